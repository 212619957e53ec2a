package claimgate.claim;

import claimgate.catalog.CampaignCatalog;
import claimgate.web.ApiError;
import claimgate.redis.CampaignKeys;
import claimgate.redis.PipelinedRedis;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.Optional;

/**
 * The status of a ticket: the published outcome in Redis, else the queue position (the ticket
 * carries its seq), else the decision in PostgreSQL. A ticket of ours that the allocator has
 * passed with no decision anywhere was acknowledged and then lost with Redis's state: it ends
 * rejected, reason {@code lost}, and the page tells the citizen to claim again.
 */
public final class ClaimLookup {

  static final String SELECT_OUTCOME = """
      select c.status, c.reason, v.code, v.merchant_id, v.value, v.currency, v.expires_at
      from claim c left join voucher v on v.ticket = c.ticket where c.ticket = $1""";

  private final PipelinedRedis redis;
  private final Pool pool;
  private final CampaignCatalog catalog;
  private final Tickets tickets;

  public ClaimLookup(PipelinedRedis redis, Pool pool, CampaignCatalog catalog, Tickets tickets) {
    this.redis = redis;
    this.pool = pool;
    this.catalog = catalog;
    this.tickets = tickets;
  }

  /** The ticket's status JSON; fails with 404 {@code unknown_ticket} for a ticket never issued. */
  public Future<JsonObject> status(String ticket) {
    Optional<Tickets.Ticket> read = tickets.read(ticket);
    if (read.isEmpty()) {
      return Future.failedFuture(unknown());
    }
    // find, not get: a campaign created a moment ago through another gateway is known to Redis first
    return catalog.find(read.get().campaignId()).compose(found -> found.isEmpty()
        ? Future.failedFuture(unknown())
        : status(ticket, read.get(), found.get()));
  }

  private Future<JsonObject> status(String ticket, Tickets.Ticket read, CampaignCatalog.Live live) {
    CampaignKeys keys = new CampaignKeys(read.campaignId());
    Future<Response> outcome = redis.send(Request.cmd(Command.HGET).arg(keys.outcomes()).arg(ticket));
    Future<Response> decided = redis.send(Request.cmd(Command.HGET).arg(keys.config()).arg(CampaignKeys.DECIDED));
    return Future.all(outcome, decided).compose(all -> {
      if (outcome.result() != null) {
        return Future.succeededFuture(new JsonObject().put("ticket", ticket)
            .mergeIn(new JsonObject(outcome.result().toBuffer())));
      }
      long decidedSeq = decided.result() == null ? 0 : Long.parseLong(decided.result().toString());
      if (read.seq() > decidedSeq) {
        long position = read.seq() - decidedSeq;
        return Future.succeededFuture(new JsonObject().put("ticket", ticket).put("status", "queued")
            .put("position", position).put("etaMs", live.etaMs(position)));
      }
      return fromDatabase(ticket);
    });
  }

  private Future<JsonObject> fromDatabase(String ticket) {
    return pool.preparedQuery(SELECT_OUTCOME).execute(Tuple.of(ticket)).map(rows -> rows.size() == 0
        // ours (its tag verified), passed by the allocator, decided nowhere: lost with Redis's state
        ? new JsonObject().put("ticket", ticket).put("status", "rejected").put("reason", "lost")
        : render(ticket, rows.iterator().next()));
  }

  static JsonObject render(String ticket, Row row) {
    JsonObject status = new JsonObject().put("ticket", ticket).put("status", row.getString("status"));
    if (row.getString("reason") != null) {
      status.put("reason", row.getString("reason"));
    }
    if (row.getString("code") != null) {
      OffsetDateTime expires = row.getOffsetDateTime("expires_at");
      status.put("voucher", new JsonObject()
          .put("code", row.getString("code"))
          .put("merchantId", row.getString("merchant_id"))
          .put("value", row.getBigDecimal("value"))
          .put("currency", row.getString("currency"))
          .put("expiresAt", expires.toInstant().toString()));
    }
    return status;
  }

  private static ApiError unknown() {
    return new ApiError(404, "unknown_ticket", "no claim was ever queued with this ticket");
  }
}
