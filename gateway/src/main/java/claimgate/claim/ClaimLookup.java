package claimgate.claim;

import claimgate.ticket.Tickets;

import claimgate.catalog.CampaignCatalog;
import claimgate.web.ApiError;
import claimgate.redis.CampaignKeys;
import claimgate.redis.CampaignState;
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
 * The status of a ticket. From memory where the gateway's view is current: an outcome the
 * {@link DecisionFeed} heard in the last minute, or the queue position (the ticket carries its
 * seq) against the decided seq of a campaign state read while the feed's subscription held (and,
 * for a waiting page's stream, the size of the pre-queue the ticket is in).
 * Otherwise from Redis: the published outcome, else the queue position, else the decision in
 * PostgreSQL. A ticket of ours that the allocator has
 * passed with no decision anywhere was acknowledged and then lost with Redis's state: it ends
 * rejected, reason {@code lost}, and the page tells the citizen to claim again. A revoked
 * voucher's outcome is removed from Redis by the allocator, so its status is read here.
 */
public final class ClaimLookup {

  /** Where the generation after a ticket's began: its seqs above this were lost with Redis's state. */
  static final String SURVIVING_SEQ = """
      select surviving_seq from redis_generation where campaign_id = $1 and generation = $2""";

  static final String SELECT_OUTCOME = """
      select c.status, c.reason, v.code, v.merchant_id, v.value, v.currency, v.expires_at, v.revoked_at,
             v.revoke_reason, v.citizen_slot is null as slot_freed
      from claim c left join voucher v on v.ticket = c.ticket where c.ticket = $1""";

  private final PipelinedRedis redis;
  private final Pool pool;
  private final CampaignCatalog catalog;
  private final Tickets tickets;
  private final DecisionFeed feed;
  private final QueueView queue;

  /**
   * A campaign state read this soon after the subscription was taken may predate it on the
   * server (the two travel on different connections): only later reads make the view current.
   */
  static final long SUBSCRIPTION_SETTLE_MS = 200;

  public ClaimLookup(PipelinedRedis redis, Pool pool, CampaignCatalog catalog, Tickets tickets, DecisionFeed feed,
      QueueView queue) {
    this.queue = queue;
    this.redis = redis;
    this.pool = pool;
    this.catalog = catalog;
    this.tickets = tickets;
    this.feed = feed;
  }

  /** What a ticket says (campaign, generation, seq), if it is one of ours. */
  public Optional<Tickets.Ticket> ticket(String ticket) {
    return tickets.read(ticket);
  }

  /** The ticket's status JSON; fails with 404 {@code unknown_ticket} for a ticket never issued. */
  public Future<JsonObject> status(String ticket) {
    Optional<Tickets.Ticket> read = tickets.read(ticket);
    if (read.isEmpty()) {
      return Future.failedFuture(unknown());
    }
    Optional<JsonObject> known = fromMemory(ticket, read.get());
    if (known.isPresent()) {
      return Future.succeededFuture(known.get());
    }
    // find, not get: a campaign created a moment ago through another gateway is known to Redis first
    return catalog.find(read.get().campaignId()).compose(found -> found.isEmpty()
        ? Future.failedFuture(unknown())
        : status(ticket, read.get(), found.get()));
  }

  /**
   * The status from what this process already knows, without asking Redis: the outcome the feed
   * heard, or the queue position while the view is current (see the class comment); empty when
   * only Redis or PostgreSQL can tell.
   */
  public Optional<JsonObject> fromMemory(String ticket, Tickets.Ticket read) {
    Optional<String> heard = feed.outcome(ticket);
    if (heard.isPresent()) {
      return Optional.of(published(ticket, heard.get()));
    }
    Optional<CampaignCatalog.Live> live = current(read);
    if (live.isEmpty()) {
      return Optional.empty();
    }
    long decided = decidedSeq(live.get(), read.campaignId());
    // a campaign with a pre-queue: whether the ticket is in it now, only Redis's current state
    // tells (a waiting page's stream takes the catalog's last read instead: prequeuedFromMemory)
    if (read.seq() <= decided || live.get().campaign().prequeue() != null) {
      return Optional.empty();
    }
    JsonObject queued = queued(ticket, read.seq() - decided, live.get());
    queue.outlook(live.get(), read.seq(), decided, null).ifPresent(outlook -> queued.put("outlook", outlook));
    return Optional.of(queued);
  }

  /**
   * A ticket waiting in its campaign's pre-queue, from the campaign state this process read last
   * (a second old at most): how many are in the pre-queue and when it is drawn, with the outlook
   * of the gateway's view of the queue. For a waiting page's stream, whose pre-queue grows while
   * it waits; empty when only Redis can tell. The status endpoint reads Redis instead: a page
   * that asks once is told the pre-queue as it is now.
   */
  public Optional<JsonObject> prequeuedFromMemory(String ticket, Tickets.Ticket read) {
    Optional<CampaignCatalog.Live> live = current(read);
    if (live.isEmpty() || live.get().prequeue() == null) {
      return Optional.empty();
    }
    CampaignState.Prequeue prequeue = live.get().prequeue();
    long decided = decidedSeq(live.get(), read.campaignId());
    if (!prequeue.holds(read.seq()) || read.seq() <= decided) {
      return Optional.empty();
    }
    JsonObject waiting = prequeued(ticket, prequeue);
    queue.outlook(live.get(), read.seq(), decided, prequeue).ifPresent(outlook -> waiting.put("outlook", outlook));
    return Optional.of(waiting);
  }

  /**
   * The campaign state this process read, when it is current for the ticket: read after the
   * decisions' subscription settled (no decision since then went unheard) and of the ticket's
   * generation.
   */
  private Optional<CampaignCatalog.Live> current(Tickets.Ticket read) {
    Optional<CampaignCatalog.Live> live = catalog.get(read.campaignId());
    Optional<Long> since = feed.subscribedSinceMs();
    if (live.isEmpty() || since.isEmpty() || live.get().readAtMs() < since.get() + SUBSCRIPTION_SETTLE_MS
        || read.generation() != live.get().generation()) {
      return Optional.empty();
    }
    return live;
  }

  /** Whether the ticket's turn has passed by what this process knows (its decision is due or was missed). */
  public boolean passed(Tickets.Ticket read) {
    return catalog.get(read.campaignId())
        .map(live -> read.seq() <= decidedSeq(live, read.campaignId()))
        .orElse(false);
  }

  /** The decided seq as this process knows it: the campaign state's read, or a later decision heard. */
  private long decidedSeq(CampaignCatalog.Live live, String campaignId) {
    return Math.max(live.decidedSeq(), feed.decidedSeq(campaignId));
  }

  private static JsonObject queued(String ticket, long position, CampaignCatalog.Live live) {
    JsonObject queued = new JsonObject().put("ticket", ticket).put("status", "queued").put("position", position);
    long eta = live.etaMs(position);
    // no etaMs while none can be told (the allocator is frozen): the page says so
    return eta < 0 ? queued : queued.put("etaMs", eta);
  }

  /** A claim in a pre-queue: how many are in it, and when it is drawn. */
  public static JsonObject prequeued(String ticket, long size, long drawAtMs) {
    return new JsonObject().put("ticket", ticket).put("status", "prequeued").put("prequeue", new JsonObject()
        .put("size", size).put("drawAt", claimgate.campaign.Formats.instant(java.time.Instant.ofEpochMilli(drawAtMs))));
  }

  private static JsonObject prequeued(String ticket, CampaignState.Prequeue prequeue) {
    return prequeued(ticket, prequeue.size(), prequeue.opensAtMs());
  }

  /** An outcome as the allocator published it, as the status endpoint answers it. */
  static JsonObject published(String ticket, String json) {
    JsonObject published = new JsonObject(json);
    JsonObject voucher = published.getJsonObject("voucher");
    if (voucher != null && voucher.getValue("value") != null) {
      // JSON numbers decode as doubles (10.00 becomes 10.0): the amount again in its currency's decimals
      voucher.put("value", claimgate.campaign.Formats.money(new java.math.BigDecimal(voucher.getValue("value").toString()),
          voucher.getString("currency")));
    }
    return withImage(ticket, new JsonObject().put("ticket", ticket).mergeIn(published));
  }

  /** A voucher names where its QR code is, for the till's scanner. */
  private static JsonObject withImage(String ticket, JsonObject status) {
    JsonObject voucher = status.getJsonObject("voucher");
    if (voucher != null && "confirmed".equals(status.getString("status"))) {
      voucher.put("image", "/api/v1/claims/" + ticket + "/voucher.svg");
    }
    return status;
  }

  private Future<JsonObject> status(String ticket, Tickets.Ticket read, CampaignCatalog.Live live) {
    CampaignKeys keys = new CampaignKeys(read.campaignId());
    Future<Response> outcome = redis.send(Request.cmd(Command.HGET).arg(keys.outcomes()).arg(ticket));
    Future<CampaignState> counters = CampaignState.read(redis, read.campaignId());
    return Future.all(outcome, counters).compose(all -> {
      if (outcome.result() != null) {
        return Future.succeededFuture(published(ticket, outcome.result().toString()));
      }
      long decidedSeq = counters.result().decided();
      long current = counters.result().generation() == 0 ? read.generation() : counters.result().generation();
      Future<Boolean> survived = read.generation() >= current || read.seq() <= decidedSeq
          ? Future.succeededFuture(true)
          // a ticket of an earlier generation: queued still only if its seq survived the restore
          : pool.preparedQuery(SURVIVING_SEQ).execute(Tuple.of(read.campaignId(), read.generation() + 1))
              .map(rows -> rows.size() == 0 || read.seq() <= rows.iterator().next().getLong(0));
      return survived.compose(kept -> {
        CampaignState.Prequeue prequeue = counters.result().prequeue();
        if (kept && read.seq() > decidedSeq) {
          // waiting: in a pre-queue or in the queue, with the outlook at each chosen shop
          boolean inPrequeue = prequeue != null && prequeue.holds(read.seq()) && read.generation() == current;
          JsonObject waiting = inPrequeue ? prequeued(ticket, prequeue) : queued(ticket, read.seq() - decidedSeq, live);
          return queue.outlookNow(live, read.seq(), decidedSeq, inPrequeue ? prequeue : null)
              .map(outlook -> outlook.map(o -> waiting.put("outlook", o)).orElse(waiting))
              .recover(unread -> Future.succeededFuture(waiting));
        }
        // a voucher confirmed in PostgreSQL names its QR code as a published one does
        return fromDatabase(ticket).map(status -> withImage(ticket, status));
      });
    });
  }

  private Future<JsonObject> fromDatabase(String ticket) {
    return pool.preparedQuery(SELECT_OUTCOME).execute(Tuple.of(ticket)).map(rows -> rows.size() == 0
        // ours (its tag verified), passed by the allocator, decided nowhere: lost with Redis's state
        ? new JsonObject().put("ticket", ticket).put("status", "rejected").put("reason", "lost")
        : render(ticket, rows.iterator().next()));
  }

  /**
   * A decided claim as PostgreSQL has it. A confirmed claim whose voucher was revoked is
   * {@code revoked}, with the reason and whether the citizen's slot was freed (they may claim
   * again) or stays used (fraud).
   */
  static JsonObject render(String ticket, Row row) {
    OffsetDateTime revokedAt = row.getOffsetDateTime("revoked_at");
    JsonObject status = new JsonObject().put("ticket", ticket)
        .put("status", revokedAt != null ? "revoked" : row.getString("status"));
    if (revokedAt != null) {
      status.put("revocation", new JsonObject().put("reason", row.getString("revoke_reason"))
          .put("revokedAt", claimgate.campaign.Formats.instant(revokedAt)).put("slotFreed", row.getBoolean("slot_freed")));
    }
    if (row.getString("reason") != null) {
      status.put("reason", row.getString("reason"));
    }
    if (row.getString("code") != null) {
      OffsetDateTime expires = row.getOffsetDateTime("expires_at");
      status.put("voucher", new JsonObject()
          .put("code", row.getString("code"))
          .put("merchantId", row.getString("merchant_id"))
          .put("value", claimgate.campaign.Formats.money(row.getBigDecimal("value"), row.getString("currency")))
          .put("currency", row.getString("currency"))
          .put("expiresAt", claimgate.campaign.Formats.instant(expires)));
    }
    return status;
  }

  private static ApiError unknown() {
    return new ApiError(404, "unknown_ticket", "no claim was ever queued with this ticket");
  }
}
