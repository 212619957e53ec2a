package claimgate.operator;

import claimgate.campaign.CampaignStore;
import claimgate.redis.PipelinedRedis;
import claimgate.store.InvariantCheck;
import claimgate.web.Replies;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.time.Instant;

/**
 * The invariant check over HTTP ({@code GET /admin/v1/campaigns/{id}/check}): the same checks as
 * {@code claimgate check}, for a load tester who has the operator's token but not the database's
 * or Redis's addresses. With {@code requireFinal=true} admitted claims not yet decided are a breach
 * too (after a run has drained). The answer names each breach; an empty list means the campaign
 * is sound.
 */
public final class CampaignCheck {

  private final Pool pool;
  private final PipelinedRedis redis;

  public CampaignCheck(Pool pool, PipelinedRedis redis) {
    this.pool = pool;
    this.redis = redis;
  }

  public void check(RoutingContext ctx) {
    String id = ctx.pathParam("campaignId");
    boolean requireFinal = "true".equals(ctx.queryParams().get("requireFinal"));
    new CampaignStore(pool).load(id)
        .compose(found -> {
          if (found.isEmpty()) {
            throw OperatorRequests.unknownCampaign(id);
          }
          return new InvariantCheck(pool, redis).check(id, requireFinal);
        })
        .onSuccess(breaches -> Replies.json(ctx, 200, new JsonObject()
            .put("campaignId", id)
            .put("requireFinal", requireFinal)
            .put("sound", breaches.isEmpty())
            .put("breaches", new JsonArray(breaches))
            .put("checkedAt", Instant.now().toString())))
        .onFailure(ctx::fail);
  }
}
