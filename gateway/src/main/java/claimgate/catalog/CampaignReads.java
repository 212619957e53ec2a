package claimgate.catalog;

import claimgate.campaign.Campaign;
import claimgate.web.ApiError;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.Map;

/**
 * The citizens' reads of campaigns: the list, and one campaign with its rules in plain words in
 * the reader's language ({@code lang}, else {@code Accept-Language}) and time zone ({@code tz},
 * else the campaign's). Cacheable for a second; one rendering per campaign, language and zone is
 * kept for as long as the campaign's state it was made from.
 */
public final class CampaignReads {

  private static final int MAX_RENDERINGS = 256;

  private final CampaignCatalog catalog;
  private final Languages languages;
  private final Map<String, Rendered> rendered = new HashMap<>();

  private record Rendered(CampaignCatalog.Live live, Buffer body) {}

  public CampaignReads(CampaignCatalog catalog, Languages languages) {
    this.catalog = catalog;
    this.languages = languages;
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
    String language = languages.choose(ctx.queryParams().get("lang"), ctx.request().getHeader("Accept-Language"));
    String tz = ctx.queryParams().get("tz");
    ZoneId asked;
    try {
      asked = tz == null ? null : ZoneId.of(tz);
    } catch (DateTimeException unknown) {
      throw new ApiError(400, "invalid_request", "tz: no time zone is named '" + tz + "'");
    }
    catalog.find(campaignId)
        .compose(found -> found.map(Future::succeededFuture)
            .orElseGet(() -> Future.failedFuture(new ApiError(404, "unknown_campaign", "no campaign " + campaignId))))
        .onSuccess(live -> ctx.response().putHeader("Content-Type", "application/json")
            .putHeader("Content-Language", language)
            .putHeader("Vary", "Accept-Language")
            .putHeader("Cache-Control", "public, max-age=1")
            .end(localized(live, language, asked == null ? live.campaign().zone() : asked)))
        .onFailure(ctx::fail);
  }

  private Buffer localized(CampaignCatalog.Live live, String language, ZoneId zone) {
    String key = live.campaign().id() + '|' + language + '|' + zone.getId();
    Rendered kept = rendered.get(key);
    if (kept != null && kept.live() == live) {
      return kept.body();
    }
    Campaign campaign = live.campaign();
    // a deep copy: the amounts stay the BigDecimals they are (10.00), the catalog's own stays as it is
    JsonObject answer = live.detail().copy();
    answer.put("name", campaign.name(language)).put("language", language).put("timeZone", zone.getId())
        .put("rules", new JsonArray(CampaignRules.render(campaign, languages, language, zone)))
        .put("languages", languages.list());
    JsonArray merchants = answer.getJsonArray("merchants");
    for (int i = 0; i < merchants.size(); i++) {
      merchants.getJsonObject(i).put("name", campaign.merchants().get(i).name(language));
    }
    Buffer body = answer.toBuffer();
    if (rendered.size() >= MAX_RENDERINGS) {
      rendered.clear();
    }
    rendered.put(key, new Rendered(live, body));
    return body;
  }
}
