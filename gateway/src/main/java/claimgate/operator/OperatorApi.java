package claimgate.operator;

import claimgate.metrics.Telemetry;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignException;
import claimgate.campaign.CampaignFiles;
import claimgate.campaign.CampaignStore;
import claimgate.catalog.CampaignCatalog;
import claimgate.access.Access;
import claimgate.web.ApiError;
import claimgate.web.Replies;
import claimgate.redis.CampaignKeys;
import claimgate.redis.CampaignRedis;
import claimgate.redis.PipelinedRedis;
import claimgate.redis.RedisDurability;
import claimgate.access.MerchantKeys;
import claimgate.redemption.Vouchers;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.pgclient.PgException;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Operators' routes under {@code /admin/v1}, behind {@link Access#operator}. Every change is
 * written to the audit log in the transaction that makes it.
 *
 * <p>The kill switch: {@code pause} records the operator's word in PostgreSQL, then sets the
 * campaign's flag in Redis, and answers only after Redis has it. The admission script reads the
 * flag in the same atomic step that admits a claim, so no claim whose admission runs after the
 * answer is admitted, on any gateway (invariant 4). {@code freeze} stops the allocator from
 * deciding while admission goes on.
 *
 * <p>Not thread-safe: one per verticle, used on its event loop.
 */
public final class OperatorApi {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OperatorApi.class);

  /** A kill-switch flag: its column in PostgreSQL and field in the campaign's Redis hash. */
  private enum Flag {
    PAUSED("paused", OperatorQueries.SET_PAUSED), FROZEN("frozen", OperatorQueries.SET_FROZEN);

    final String field;
    final String sql;

    Flag(String field, String sql) {
      this.field = field;
      this.sql = sql;
    }
  }

  private static final long STATS_CACHE_MS = 1_000;
  private static final int MAX_LIVE_STREAMS = 16;

  private record CachedStats(Future<JsonObject> stats, long atMs) {}

  private final Vertx vertx;
  private final Pool pool;
  private final PipelinedRedis redis;
  private final RedisDurability durability;
  private final CampaignCatalog catalog;
  private final Telemetry telemetry;
  private final MerchantKeys merchantKeys;
  private final Vouchers vouchers;
  private final Map<String, CachedStats> statsCache = new HashMap<>();
  private int liveStreams;

  public OperatorApi(Vertx vertx, Pool pool, PipelinedRedis redis, RedisDurability durability, CampaignCatalog catalog,
      Telemetry telemetry, MerchantKeys merchantKeys, Vouchers vouchers) {
    this.vertx = vertx;
    this.pool = pool;
    this.redis = redis;
    this.durability = durability;
    this.catalog = catalog;
    this.telemetry = telemetry;
    this.merchantKeys = merchantKeys;
    this.vouchers = vouchers;
  }

  // ---- campaigns ------------------------------------------------------------------------

  public void applyCampaign(RoutingContext ctx) {
    String id = ctx.pathParam("campaignId");
    CampaignFiles.Loaded loaded;
    try {
      loaded = CampaignFiles.parseJson(ctx.body().asString());
    } catch (CampaignException e) {
      throw new ApiError(400, "invalid_request", e.getMessage());
    }
    Campaign campaign = loaded.campaign();
    if (!campaign.id().equals(id)) {
      throw new ApiError(400, "invalid_request", "the document's id " + campaign.id() + " is not " + id);
    }
    Optional<Map<String, Integer>> eligible = campaign.eligibility() == null
        ? Optional.empty() : Optional.of(loaded.eligible());
    CampaignStore store = new CampaignStore(pool);
    store.load(id)
        .compose(before -> pool.withTransaction(conn -> CampaignStore.apply(conn, campaign, eligible)
                .compose(version -> AuditLog.write(conn, actor(ctx), before.isPresent() ? "campaign.update" : "campaign.create",
                    id, new JsonObject()
                        .put("before", before.map(b -> new JsonObject(CampaignFiles.toJson(b))).orElse(null))
                        .put("after", new JsonObject(CampaignFiles.toJson(campaign)))
                        .put("eligible", eligible.map(Map::size).orElse(null))).map(version))
                // a new campaign has nothing Redis could have lost: its gate opens before the row
                // commits, so no allocator sees the campaign before Redis holds it (one that did
                // would find the gate shut and restore it too, racing this one)
                .compose(version -> before.isEmpty()
                    ? CampaignRedis.restoreNew(conn, redis, campaign, eligible).map(version) : Future.succeededFuture(version)))
            .recover(failure -> Future.failedFuture(failure instanceof CampaignException e
                ? new ApiError(409, "conflict", e.getMessage()) : failure))
            // an existing one gets its settings at the new version, and its allocator restores the
            // rest whenever Redis lost it
            .compose(version -> before.isEmpty() ? Future.<Void>succeededFuture()
                : CampaignRedis.configure(redis, campaign, version, eligible))
            .compose(v -> catalog.reloadDocuments())
            .map(v -> before.isEmpty()))
        .onSuccess(created -> Replies.json(ctx, created ? 201 : 200,
            new JsonObject().put("id", id).put("created", created)
                .put("campaign", new JsonObject(CampaignFiles.toJson(campaign)))))
        .onFailure(ctx::fail);
  }

  public void pause(RoutingContext ctx) {
    setFlag(ctx, Flag.PAUSED, true, "pause");
  }

  public void resume(RoutingContext ctx) {
    setFlag(ctx, Flag.PAUSED, false, "resume");
  }

  public void freeze(RoutingContext ctx) {
    setFlag(ctx, Flag.FROZEN, true, "freeze");
  }

  public void unfreeze(RoutingContext ctx) {
    setFlag(ctx, Flag.FROZEN, false, "unfreeze");
  }

  private void setFlag(RoutingContext ctx, Flag flag, boolean on, String action) {
    String id = ctx.pathParam("campaignId");
    JsonObject body = Replies.body(ctx);
    String reason = body == null ? null : body.getString("reason");
    CampaignKeys keys = new CampaignKeys(id);
    pool.withTransaction(conn -> conn.preparedQuery(flag.sql).execute(Tuple.of(id, on))
            .compose(rows -> {
              Row now = single(rows, id);
              return AuditLog.write(conn, actor(ctx), "campaign." + action, id, new JsonObject()
                      .put("before", new JsonObject().put(flag.field, now.getBoolean("before")))
                      .put("after", new JsonObject().put(flag.field, on))
                      .put("reason", reason))
                  .map(now);
            }))
        // the answer waits for Redis: from then on the admission script sees the flag (unless a
        // later action on this campaign, serialised by the row lock, is there first)
        .compose(now -> CampaignRedis.setFlags(redis, id, now.getLong("flags_version"), now.getBoolean("paused"),
            now.getBoolean("frozen")))
        // with replicas, the flag is on them before the answer: a failover cannot forget it
        .compose(set -> durability.confirm(redis))
        .compose(durable -> durable ? Future.succeededFuture()
            : Future.failedFuture(ApiError.unavailable("the flag is set but not yet on the replicas; send it again")))
        .onSuccess(v -> Replies.json(ctx, 200, new JsonObject().put("campaignId", id).put(flag.field, on)))
        .onFailure(ctx::fail);
  }

  public void setAdmission(RoutingContext ctx) {
    String id = ctx.pathParam("campaignId");
    JsonObject body = Replies.body(ctx);
    int rate = body.getInteger("ratePerSecond");
    int burst = body.getInteger("burst");
    pool.withTransaction(conn -> conn.preparedQuery(OperatorQueries.SET_ADMISSION).execute(Tuple.of(id, rate, burst))
            .compose(rows -> {
              Row now = single(rows, id);
              Object old = now.getValue(0);
              return AuditLog.write(conn, actor(ctx), "campaign.admission", id, new JsonObject()
                      .put("before", old instanceof JsonObject o ? o : new JsonObject(String.valueOf(old)))
                      .put("after", new JsonObject().put("ratePerSecond", rate).put("burst", burst)))
                  .map(now);
            }))
        .compose(now -> CampaignRedis.configure(redis, CampaignFiles.parseJsonUnvalidated(now.getString("document")),
            now.getLong("config_version"), Optional.empty()))
        .onSuccess(v -> Replies.json(ctx, 200, new JsonObject().put("campaignId", id)
            .put("ratePerSecond", rate).put("burst", burst)))
        .onFailure(ctx::fail);
  }

  // ---- numbers --------------------------------------------------------------------------

  public void stats(RoutingContext ctx) {
    stats(ctx.pathParam("campaignId"))
        .onSuccess(stats -> Replies.json(ctx, 200, stats))
        .onFailure(ctx::fail);
  }

  /** The stats as Server-Sent Events, one a second, for the console. */
  public void live(RoutingContext ctx) {
    String id = ctx.pathParam("campaignId");
    if (liveStreams >= MAX_LIVE_STREAMS) {
      throw new ApiError(429, "throttled", "too many open console streams on this gateway",
          new JsonObject().put("retryAfterMs", 5_000), 5_000L);
    }
    stats(id).onFailure(ctx::fail).onSuccess(first -> {
      HttpServerResponse response = ctx.response().setChunked(true)
          .putHeader("Content-Type", "text/event-stream")
          .putHeader("Cache-Control", "no-store")
          .putHeader("X-Accel-Buffering", "no");
      liveStreams++;
      response.write("data: " + first.encode() + "\n\n");
      long timer = vertx.setPeriodic(1_000, t -> stats(id).onSuccess(stats -> {
        if (!response.closed()) {
          response.write("data: " + stats.encode() + "\n\n");
        }
      }));
      response.closeHandler(closed -> {
        liveStreams--;
        vertx.cancelTimer(timer);
      });
    });
  }

  private Future<JsonObject> stats(String id) {
    long now = System.currentTimeMillis();
    CachedStats cached = statsCache.get(id);
    if (cached != null && now - cached.atMs() < STATS_CACHE_MS) {
      return cached.stats();
    }
    Future<JsonObject> stats = catalog.find(id).compose(found -> found
        .map(live -> readStats(live, now))
        .orElseGet(() -> Future.failedFuture(unknownCampaign(id))));
    statsCache.put(id, new CachedStats(stats, now));
    return stats;
  }

  private Future<JsonObject> readStats(CampaignCatalog.Live live, long now) {
    String id = live.campaign().id();
    CampaignKeys keys = new CampaignKeys(id);
    Future<Response> counters = redis.send(Request.cmd(Command.HMGET).arg(keys.config())
        .arg(CampaignKeys.SEQ).arg(CampaignKeys.DECIDED));
    Future<Response> admitted = counters.map(r -> r.get(0));
    Future<Response> decided = counters.map(r -> r.get(1));
    Future<RowSet<Row>> outcomes = pool.preparedQuery(OperatorQueries.OUTCOMES).execute(Tuple.of(id));
    Future<RowSet<Row>> merchants = pool.preparedQuery(OperatorQueries.MERCHANT_COUNTS).execute(Tuple.of(id));
    return Future.all(admitted, decided, outcomes, merchants).map(all -> {
      long admittedN = longOf(admitted.result());
      long confirmed = 0;
      JsonObject rejected = new JsonObject();
      for (Row r : outcomes.result()) {
        if ("confirmed".equals(r.getString(0))) {
          confirmed += r.getLong(2);
        } else {
          rejected.put(r.getString(1), r.getLong(2));
        }
      }
      int releasedBp = live.campaign().releasedBp(now);
      JsonObject remaining = new JsonObject();
      long remainingTotal = 0;
      for (Row m : merchants.result()) {
        int left = Math.max(0, Campaign.released(m.getInteger(1), releasedBp) - m.getInteger(2));
        remaining.put(m.getString(0), left);
        remainingTotal += left;
      }
      Telemetry.Latency latency = telemetry.latency(id);
      return new JsonObject()
          .put("campaignId", id)
          .put("state", live.summary().getString("state"))
          .put("at", java.time.Instant.ofEpochMilli(now).toString())
          .put("admitted", admittedN)
          .put("queued", Math.max(0, admittedN - longOf(decided.result())))
          .put("confirmed", confirmed)
          .put("rejected", rejected)
          .put("remaining", remaining)
          .put("remainingTotal", remainingTotal)
          .put("latencyMs", new JsonObject().put("p50", latency.p50()).put("p99", latency.p99())
              .put("p999", latency.p999()));
    });
  }

  // ---- merchants and vouchers -------------------------------------------------------------

  public void createMerchantKey(RoutingContext ctx) {
    String id = ctx.pathParam("campaignId");
    String merchantId = ctx.pathParam("merchantId");
    pool.withTransaction(conn -> merchantKeys.create(conn, id, merchantId)
            .compose(key -> AuditLog.write(conn, actor(ctx), "merchant.key.create", id,
                new JsonObject().put("merchantId", merchantId)).map(key)))
        .recover(failure -> Future.failedFuture(isForeignKeyViolation(failure)
            ? new ApiError(404, "unknown_merchant", "campaign " + id + " has no merchant " + merchantId)
            : failure))
        .onSuccess(key -> Replies.json(ctx, 201, new JsonObject().put("key", key)
            .put("campaignId", id).put("merchantId", merchantId)))
        .onFailure(ctx::fail);
  }

  public void revoke(RoutingContext ctx) {
    JsonObject body = Replies.body(ctx);
    JsonArray codes = body.getJsonArray("codes");
    String merchantId = body.getString("merchantId");
    if ((codes == null) == (merchantId == null)) {
      throw new ApiError(400, "invalid_request", "send either codes or merchantId");
    }
    Vouchers.RevocationReason reason = Vouchers.RevocationReason.of(body.getString("reason"));
    Future<JsonObject> done = codes != null
        ? pool.withTransaction(conn -> vouchers.revokeCodes(conn, codes.stream().map(String::valueOf).toList(), reason)
            .compose(revoked -> AuditLog.write(conn, actor(ctx), "voucher.revoke", null, new JsonObject()
                    .put("codes", codes).put("reason", reason.id()).put("revoked", new JsonArray(revoked.codes())))
                .map(revoked)))
            .compose(revoked -> announce(revoked).map(revocation(reason, revoked).put("codes", new JsonArray(revoked.codes()))))
        : campaignOfMerchant(body.getString("campaignId"), merchantId)
            .compose(campaignId -> pool.withTransaction(conn -> vouchers.revokeMerchant(conn, campaignId, merchantId, reason)
                .compose(revoked -> AuditLog.write(conn, actor(ctx), "voucher.revoke", campaignId, new JsonObject()
                        .put("merchantId", merchantId).put("reason", reason.id()).put("revoked", revoked.codes().size())
                        .put("shopClosed", revoked.closedShop().isPresent()))
                    .map(revoked)))
                .compose(revoked -> announce(revoked).map(revocation(reason, revoked).put("campaignId", campaignId)
                    .put("merchantId", merchantId).put("shopClosed", revoked.closedShop().isPresent()))));
    done.onSuccess(result -> Replies.json(ctx, 200, result)).onFailure(ctx::fail);
  }

  /**
   * After the commit: a closed shop's settings to Redis (its contingent), and each campaign's
   * leading allocator told to take the revocations in at its next step. Either may fail with
   * Redis away; the allocator's heartbeat then finds the change in PostgreSQL.
   */
  private Future<Void> announce(Vouchers.Revoked revoked) {
    List<Future<Void>> writes = new java.util.ArrayList<>();
    revoked.closedShop().ifPresent(shop -> writes.add(CampaignRedis.configure(redis,
        CampaignFiles.parseJsonUnvalidated(shop.document()), shop.configVersion(), Optional.empty())));
    revoked.revocationsVersions().forEach((campaignId, version) ->
        writes.add(CampaignRedis.revocationsWanted(redis, campaignId, version)));
    return Future.join(writes).<Void>mapEmpty().recover(failure -> {
      LOG.warn("revocation committed; Redis not told yet ({}): the allocators' heartbeat takes it in", failure.getMessage());
      return Future.succeededFuture();
    });
  }

  private static JsonObject revocation(Vouchers.RevocationReason reason, Vouchers.Revoked revoked) {
    int n = revoked.codes().size();
    return new JsonObject().put("revoked", n).put("reason", reason.id()).put("slotsFreed", reason.freesSlot() ? n : 0);
  }

  /** The campaign named, or the only one the merchant takes part in. */
  private Future<String> campaignOfMerchant(String campaignId, String merchantId) {
    return pool.preparedQuery(OperatorQueries.CAMPAIGNS_OF_MERCHANT).execute(Tuple.of(merchantId)).compose(rows -> {
      List<String> campaigns = new java.util.ArrayList<>();
      rows.forEach(r -> campaigns.add(r.getString(0)));
      if (campaignId != null) {
        return campaigns.contains(campaignId) ? Future.succeededFuture(campaignId)
            : Future.failedFuture(new ApiError(404, "unknown_merchant",
                "campaign " + campaignId + " has no merchant " + merchantId));
      }
      if (campaigns.size() == 1) {
        return Future.succeededFuture(campaigns.get(0));
      }
      return Future.failedFuture(campaigns.isEmpty()
          ? new ApiError(404, "unknown_merchant", "no campaign has merchant " + merchantId)
          : new ApiError(400, "invalid_request", "merchant " + merchantId
              + " takes part in several campaigns; name one as campaignId"));
    });
  }

  public void audit(RoutingContext ctx) {
    String campaignId = ctx.request().getParam("campaignId");
    String before = ctx.request().getParam("before");
    String limit = ctx.request().getParam("limit");
    AuditLog.list(pool, campaignId, before == null ? null : Long.valueOf(before),
            limit == null ? 100 : Integer.parseInt(limit))
        .onSuccess(entries -> Replies.json(ctx, 200, entries))
        .onFailure(ctx::fail);
  }

  // ---- helpers --------------------------------------------------------------------------

  private static String actor(RoutingContext ctx) {
    return "operator@" + Access.address(ctx);
  }

  private static Row single(RowSet<Row> rows, String campaignId) {
    if (rows.size() == 0) {
      throw unknownCampaign(campaignId);
    }
    return rows.iterator().next();
  }

  private static ApiError unknownCampaign(String id) {
    return new ApiError(404, "unknown_campaign", "no campaign " + id);
  }

  private static long longOf(Response r) {
    return r == null ? 0 : Long.parseLong(r.toString());
  }

  private static boolean isForeignKeyViolation(Throwable failure) {
    return failure instanceof PgException pg && "23503".equals(pg.getSqlState());
  }
}
