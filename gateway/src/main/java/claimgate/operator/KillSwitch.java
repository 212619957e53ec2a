package claimgate.operator;

import claimgate.catalog.CampaignCatalog;
import claimgate.log.DecisionLog;
import claimgate.redis.CampaignRedis;
import claimgate.redis.PipelinedRedis;
import claimgate.redis.RedisDurability;
import claimgate.web.ApiError;
import claimgate.web.Replies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.List;

/**
 * The kill switch and the allocator's brake. {@code pause} records the operator's word in
 * PostgreSQL, then sets the campaign's flag in Redis, and answers only after Redis has it (and,
 * with replicas, after they have it). The admission script reads the flag in the same atomic step
 * that admits a claim, so no claim whose admission runs after the answer is admitted, on any
 * gateway (invariant 4). {@code freeze} stops the allocator from deciding while admission goes on.
 * {@code archive} pauses a campaign for good (no resume) and takes it off the lists citizens and
 * the console read; its claims and vouchers stay, and queued claims are still decided.
 *
 * <p>Not thread-safe: one per verticle, used on its event loop.
 */
public final class KillSwitch {

  /** A flag: its column in PostgreSQL and field in the campaign's Redis hash. */
  private enum Flag {
    PAUSED("paused", OperatorQueries.SET_PAUSED), FROZEN("frozen", OperatorQueries.SET_FROZEN),
    /** Paused for good and no longer listed: a finished rehearsal. */
    ARCHIVED("paused", OperatorQueries.ARCHIVE);

    final String field;
    final String sql;

    Flag(String field, String sql) {
      this.field = field;
      this.sql = sql;
    }
  }

  private final Pool pool;
  private final PipelinedRedis redis;
  private final RedisDurability durability;
  private final CampaignCatalog catalog;

  public KillSwitch(Pool pool, PipelinedRedis redis, RedisDurability durability, CampaignCatalog catalog) {
    this.pool = pool;
    this.redis = redis;
    this.durability = durability;
    this.catalog = catalog;
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


  public void archive(RoutingContext ctx) {
    setFlag(ctx, Flag.ARCHIVED, true, "archive");
  }


  private void setFlag(RoutingContext ctx, Flag flag, boolean on, String action) {
    String id = ctx.pathParam("campaignId");
    JsonObject body = Replies.body(ctx);
    String reason = body == null ? null : body.getString("reason");
    pool.withTransaction(conn -> conn.preparedQuery(flag.sql).execute(Tuple.of(id, on))
            .compose(rows -> {
              Row now = OperatorRequests.single(rows, id);
              if (flag == Flag.PAUSED && !on && now.getBoolean("archived")) {
                // rolls the transaction back: an archived campaign stays paused
                throw new ApiError(409, "archived", "campaign " + id + " is archived; it cannot be resumed");
              }
              return AuditLog.write(conn, OperatorRequests.actor(ctx), "campaign." + action, id, new JsonObject()
                      .put("before", new JsonObject().put(flag.field, now.getBoolean("before")))
                      .put("after", new JsonObject().put(flag.field, on))
                      .put("reason", reason))
                  // in the public log too, in the same transaction: a verifier sees when admission stopped
                  .compose(audited -> DecisionLog.append(conn, id, List.of(DecisionLog.record(action, new JsonObject()))))
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
        // this gateway lists it no more at once; the others at their next reload of the documents
        .compose(v -> flag == Flag.ARCHIVED ? catalog.reloadDocuments() : Future.<Void>succeededFuture())
        .onSuccess(v -> Replies.json(ctx, 200, flag == Flag.ARCHIVED
            ? new JsonObject().put("campaignId", id).put("paused", true).put("archived", true)
            : new JsonObject().put("campaignId", id).put(flag.field, on)))
        .onFailure(ctx::fail);
  }
}
