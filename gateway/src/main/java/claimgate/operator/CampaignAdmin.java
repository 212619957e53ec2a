package claimgate.operator;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignException;
import claimgate.campaign.CampaignFiles;
import claimgate.campaign.CampaignStore;
import claimgate.catalog.CampaignCatalog;
import claimgate.redis.CampaignRedis;
import claimgate.redis.RedisRestore;
import claimgate.redis.PipelinedRedis;
import claimgate.web.ApiError;
import claimgate.web.Replies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.Map;
import java.util.Optional;

/**
 * Operators' changes to a campaign's document: the whole document ({@code PUT
 * /admin/v1/campaigns/{id}}) and the live admission rate. Each is written to PostgreSQL with its
 * audit row in one transaction that bumps the campaign's config version, then its settings go to
 * Redis at that version; an allocator reloads the campaign when it sees the version.
 *
 * <p>Not thread-safe: one per verticle, used on its event loop.
 */
public final class CampaignAdmin {

  private final Pool pool;
  private final PipelinedRedis redis;
  private final CampaignCatalog catalog;

  public CampaignAdmin(Pool pool, PipelinedRedis redis, CampaignCatalog catalog) {
    this.pool = pool;
    this.redis = redis;
    this.catalog = catalog;
  }


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
                .compose(version -> AuditLog.write(conn, OperatorRequests.actor(ctx), before.isPresent() ? "campaign.update" : "campaign.create",
                    id, new JsonObject()
                        .put("before", before.map(b -> CampaignFiles.toJsonObject(b)).orElse(null))
                        .put("after", CampaignFiles.toJsonObject(campaign))
                        .put("eligible", eligible.map(Map::size).orElse(null))).map(version))
                // a new campaign has nothing Redis could have lost: its gate opens before the row
                // commits, so no allocator sees the campaign before Redis holds it (one that did
                // would find the gate shut and restore it too, racing this one)
                .compose(version -> before.isEmpty()
                    ? RedisRestore.restoreNew(conn, redis, campaign, eligible).map(version) : Future.succeededFuture(version)))
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
                .put("campaign", CampaignFiles.toJsonObject(campaign))))
        .onFailure(ctx::fail);
  }


  /**
   * The outside randomness a round's draw named in advance (its {@code admission.prequeue.beacon}),
   * entered once, after the round opened; the allocator's draw waits for it.
   */
  public void enterBeacon(RoutingContext ctx) {
    String id = ctx.pathParam("campaignId");
    int round = Integer.parseInt(ctx.pathParam("round"));
    String value = Replies.body(ctx).getString("value");
    catalog.find(id).compose(found -> {
      Campaign campaign = found.orElseThrow(() -> new ApiError(404, "unknown_campaign", "no campaign " + id)).campaign();
      if (round < 1 || round > campaign.rounds().size()) {
        return Future.failedFuture(new ApiError(404, "unknown_round", "campaign " + id + " has " + campaign.rounds().size()
            + " rounds"));
      }
      if (campaign.prequeue() == null || campaign.prequeue().beacon() == null) {
        return Future.failedFuture(new ApiError(409, "no_beacon", "the draws of campaign " + id + " name no outside randomness"));
      }
      long opensAt = campaign.rounds().get(round - 1).opensAtMs();
      return pool.withTransaction(conn -> claimgate.draw.Draws.enterBeacon(conn, id, opensAt, value).compose(entered -> entered
          ? AuditLog.write(conn, OperatorRequests.actor(ctx), "draw.beacon", id, new JsonObject().put("round", round)
              .put("beacon", campaign.prequeue().beacon()).put("value", value)).map(opensAt)
          : Future.failedFuture(new ApiError(409, "beacon_refused", "round " + round + "'s beacon is entered once, after "
              + "the opening, when the pre-queue is frozen (its list's hash in the log, a moment after the opening): "
              + "the pre-queue is not frozen yet, or the beacon was entered before"))));
    }).onSuccess(opensAt -> Replies.json(ctx, 200, new JsonObject().put("campaignId", id).put("round", round)
            .put("drawAt", claimgate.campaign.Formats.instant(java.time.Instant.ofEpochMilli(opensAt))).put("value", value)))
        .onFailure(ctx::fail);
  }

  public void setAdmission(RoutingContext ctx) {
    String id = ctx.pathParam("campaignId");
    JsonObject body = Replies.body(ctx);
    int rate = body.getInteger("ratePerSecond");
    int burst = body.getInteger("burst");
    pool.withTransaction(conn -> conn.preparedQuery(OperatorQueries.SET_ADMISSION).execute(Tuple.of(id, rate, burst))
            .compose(rows -> {
              Row now = OperatorRequests.single(rows, id);
              Object old = now.getValue(0);
              return AuditLog.write(conn, OperatorRequests.actor(ctx), "campaign.admission", id, new JsonObject()
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
}
