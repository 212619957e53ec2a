package claimgate.claim;

import claimgate.catalog.CampaignCatalog;
import claimgate.gateway.ApiError;
import claimgate.keys.CampaignKeys;
import claimgate.keys.PipelinedRedis;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;

/**
 * The status of a ticket: the published outcome in Redis, else the queue position, else the
 * decision in PostgreSQL. A ticket that the allocator has passed without a decision anywhere
 * ends as rejected/expired rather than staying queued.
 */
public final class ClaimLookup {

  static final String SELECT_OUTCOME = """
      select c.status, c.reason, v.code, v.merchant_id, v.value, v.currency, v.expires_at
      from claim c left join voucher v on v.ticket = c.ticket where c.ticket = $1""";

  private final PipelinedRedis redis;
  private final Pool pool;
  private final CampaignCatalog catalog;

  public ClaimLookup(PipelinedRedis redis, Pool pool, CampaignCatalog catalog) {
    this.redis = redis;
    this.pool = pool;
    this.catalog = catalog;
  }

  /** The ticket's status JSON; fails with 404 {@code unknown_ticket} for a ticket never issued. */
  public Future<JsonObject> status(String ticket) {
    String campaignId = ticket.substring(0, ticket.indexOf('.'));
    // find, not get: a campaign created a moment ago through another gateway is known to Redis first
    return catalog.find(campaignId).compose(found -> found.isEmpty()
        ? Future.failedFuture(unknown())
        : status(ticket, campaignId, found.get()));
  }

  private Future<JsonObject> status(String ticket, String campaignId, CampaignCatalog.Live live) {
    CampaignKeys keys = new CampaignKeys(campaignId);
    Future<Response> outcome = redis.send(Request.cmd(Command.HGET).arg(keys.outcomes()).arg(ticket));
    Future<Response> seq = redis.send(Request.cmd(Command.HGET).arg(keys.tickets()).arg(ticket));
    Future<Response> decided = redis.send(Request.cmd(Command.GET).arg(keys.decided()));
    return Future.all(outcome, seq, decided).compose(all -> {
      if (outcome.result() != null) {
        return Future.succeededFuture(new JsonObject().put("ticket", ticket)
            .mergeIn(new JsonObject(outcome.result().toBuffer())));
      }
      long decidedSeq = decided.result() == null ? 0 : Long.parseLong(decided.result().toString());
      if (seq.result() != null) {
        long mySeq = Long.parseLong(seq.result().toString());
        if (mySeq > decidedSeq) {
          long position = mySeq - decidedSeq;
          return Future.succeededFuture(new JsonObject().put("ticket", ticket).put("status", "queued")
              .put("position", position).put("etaMs", live.etaMs(position)));
        }
      }
      return fromDatabase(ticket, seq.result() != null);
    });
  }

  private Future<JsonObject> fromDatabase(String ticket, boolean admitted) {
    return pool.preparedQuery(SELECT_OUTCOME).execute(Tuple.of(ticket)).compose(rows -> {
      if (rows.size() == 0) {
        return admitted
            // the allocator passed this claim but has no decision for it: its entry was lost
            ? Future.succeededFuture(new JsonObject().put("ticket", ticket).put("status", "rejected")
                .put("reason", "expired"))
            : Future.failedFuture(unknown());
      }
      return Future.succeededFuture(render(ticket, rows.iterator().next()));
    });
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
