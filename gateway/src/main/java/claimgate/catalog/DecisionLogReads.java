package claimgate.catalog;

import claimgate.log.DecisionLog;
import claimgate.ticket.Tickets;
import claimgate.web.ApiError;
import claimgate.web.Replies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;

/**
 * The public decision log, served to anyone: pages of its records as their exact lines, its
 * head, and a decided claim's receipt. A full page below the head never changes, so it may be
 * cached for good; the rest for a second.
 */
public final class DecisionLogReads {

  private final Pool pool;
  private final CampaignCatalog catalog;
  private final Tickets tickets;

  public DecisionLogReads(Pool pool, CampaignCatalog catalog, Tickets tickets) {
    this.pool = pool;
    this.catalog = catalog;
    this.tickets = tickets;
  }

  public void page(RoutingContext ctx) {
    String campaignId = ctx.pathParam("campaignId");
    long after = ctx.queryParam("after").isEmpty() ? 0 : Long.parseLong(ctx.queryParam("after").get(0));
    int limit = ctx.queryParam("limit").isEmpty() ? DecisionLog.MAX_PAGE : Integer.parseInt(ctx.queryParam("limit").get(0));
    known(campaignId)
        .compose(v -> DecisionLog.page(pool, campaignId, after, limit))
        .onSuccess(lines -> {
          boolean full = lines.size() == limit;
          ctx.response().putHeader("Cache-Control", full ? "public, max-age=31536000, immutable" : "public, max-age=1");
          Replies.json(ctx, 200, new JsonObject().put("campaignId", campaignId).put("records", new JsonArray(lines))
              .put("next", full ? after + limit : null));
        })
        .onFailure(ctx::fail);
  }

  public void head(RoutingContext ctx) {
    String campaignId = ctx.pathParam("campaignId");
    known(campaignId)
        .compose(v -> DecisionLog.head(pool, campaignId))
        .onSuccess(head -> {
          ctx.response().putHeader("Cache-Control", "public, max-age=1");
          Replies.json(ctx, 200, head.orElse(new DecisionLog.Entry(0, DecisionLog.GENESIS)).json()
              .put("campaignId", campaignId));
        })
        .onFailure(ctx::fail);
  }

  public void receipt(RoutingContext ctx) {
    String ticket = ctx.pathParam("ticket");
    Tickets.Ticket read = tickets.read(ticket).orElseThrow(() -> unknownTicket());
    DecisionLog.receipt(pool, read.campaignId(), ticket)
        .onSuccess(receipt -> {
          if (receipt instanceof DecisionLog.Receipt.Found found) {
            ctx.response().putHeader("Cache-Control", "public, max-age=31536000, immutable");
            Replies.json(ctx, 200, new JsonObject().put("ticket", ticket).put("campaignId", read.campaignId())
                .mergeIn(found.receipt()));
          } else if (receipt instanceof DecisionLog.Receipt.NotLogged) {
            ctx.fail(new ApiError(404, "not_logged",
                "this claim was decided before the campaign kept a public log: it has no receipt"));
          } else {
            ctx.fail(new ApiError(404, "not_decided", "this claim is not decided yet: its receipt comes with its decision"));
          }
        })
        .onFailure(ctx::fail);
  }

  /**
   * What anyone needs to check a campaign's draws: per round its seed's commitment and when the
   * pre-queue opens and the draw happens; once drawn the frozen list's hash, the seed and the beacon.
   * The top-level fields are those of the next draw not served yet (else the last).
   */
  public void fairness(RoutingContext ctx) {
    String campaignId = ctx.pathParam("campaignId");
    catalog.find(campaignId).compose(found -> found.isPresent() ? Future.succeededFuture(found.get().campaign())
            : Future.failedFuture(new ApiError(404, "unknown_campaign", "no campaign " + campaignId)))
        .compose(campaign -> claimgate.draw.Draws.published(pool, campaignId).map(draws -> {
          JsonObject answer = new JsonObject().put("campaignId", campaignId).put("prequeue", campaign.prequeue() != null);
          JsonObject current = null;
          for (int i = 0; i < draws.size(); i++) {
            JsonObject d = draws.getJsonObject(i);
            long drawAt = java.time.Instant.parse(d.getString("opensAt")).toEpochMilli();
            d.put("round", roundOf(campaign, drawAt)).put("drawAt", d.remove("opensAt"));
            if (campaign.prequeue() != null) {
              d.put("prequeueOpensAt", claimgate.campaign.Formats.instant(
                  java.time.Instant.ofEpochMilli(drawAt - campaign.prequeue().opensBeforeMs())));
            }
            // the draw to come or under way: not drawn yet and still ahead, or frozen and not served
            boolean ahead = d.getInteger("entries") == null ? drawAt > System.currentTimeMillis()
                : !d.getInteger("entries").equals(d.getInteger("placesDecided"));
            if (current == null && (ahead || i == draws.size() - 1)) {
              current = d;
            }
          }
          if (current != null) {
            answer.mergeIn(current.copy());
          }
          return answer.put("draws", draws);
        }))
        .onSuccess(answer -> {
          ctx.response().putHeader("Cache-Control", "public, max-age=1");
          Replies.json(ctx, 200, answer);
        })
        .onFailure(ctx::fail);
  }

  /** The round (from 1) that opens at {@code opensAtMs}; 0 when the document no longer has one then. */
  private static int roundOf(claimgate.campaign.Campaign campaign, long opensAtMs) {
    for (int i = 0; i < campaign.rounds().size(); i++) {
      if (campaign.rounds().get(i).opensAtMs() == opensAtMs) {
        return i + 1;
      }
    }
    return 0;
  }

  private Future<Void> known(String campaignId) {
    return catalog.find(campaignId).compose(found -> found.isPresent() ? Future.succeededFuture()
        : Future.failedFuture(new ApiError(404, "unknown_campaign", "no campaign " + campaignId)));
  }

  private static ApiError unknownTicket() {
    return new ApiError(404, "unknown_ticket", "no claim was ever queued with this ticket");
  }
}
