package claimgate.catalog;

import claimgate.web.ApiError;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.RoutingContext;

/** The citizens' reads of campaigns: the list and one campaign, cacheable for a second. */
public final class CampaignReads {

  private final CampaignCatalog catalog;

  public CampaignReads(CampaignCatalog catalog) {
    this.catalog = catalog;
  }

  public void list(RoutingContext ctx) {
    JsonArray list = new JsonArray();
    catalog.all().forEach(live -> list.add(live.summary()));
    ctx.response().putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "public, max-age=1")
        .end(list.toBuffer());
  }

  public void get(RoutingContext ctx) {
    String campaignId = ctx.pathParam("campaignId");
    catalog.find(campaignId)
        .compose(found -> found.map(Future::succeededFuture)
            .orElseGet(() -> Future.failedFuture(new ApiError(404, "unknown_campaign", "no campaign " + campaignId))))
        .onSuccess(live -> ctx.response().putHeader("Content-Type", "application/json")
            .putHeader("Cache-Control", "public, max-age=1")
            .end(live.detail()))
        .onFailure(ctx::fail);
  }
}
