package claimgate.operator;

import claimgate.campaign.Campaign;
import claimgate.catalog.CampaignCatalog;
import claimgate.metrics.Telemetry;
import claimgate.redis.CampaignKeys;
import claimgate.redis.CampaignState;
import claimgate.redis.PipelinedRedis;
import claimgate.web.ApiError;
import claimgate.web.Replies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.RowSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A campaign's numbers for operators: admitted, queued, confirmed, rejected by reason, what each
 * merchant can still issue, latency; once ({@code stats}) or every second as Server-Sent Events
 * for the console ({@code live}). Read at most once a second per campaign and gateway, however
 * many consoles watch.
 *
 * <p>Not thread-safe: one per verticle, used on its event loop.
 */
public final class CampaignStats {

  private static final long STATS_CACHE_MS = 1_000;
  /** Console streams a gateway process serves at once. */
  public static final int MAX_LIVE_STREAMS = 16;
  /** The one key the console's streams take their slots under. */
  private static final String CONSOLE = "console";

  private record CachedStats(Future<JsonObject> stats, long atMs) {}

  private final Vertx vertx;
  private final Pool pool;
  private final PipelinedRedis redis;
  private final CampaignCatalog catalog;
  private final Telemetry telemetry;
  private final Map<String, CachedStats> statsCache = new HashMap<>();
  /** Open console streams of the whole process (shared by every event loop's stats). */
  private final claimgate.claim.StreamSlots liveStreams;

  public CampaignStats(Vertx vertx, Pool pool, PipelinedRedis redis, CampaignCatalog catalog, Telemetry telemetry,
      claimgate.claim.StreamSlots liveStreams) {
    this.liveStreams = liveStreams;
    this.vertx = vertx;
    this.pool = pool;
    this.redis = redis;
    this.catalog = catalog;
    this.telemetry = telemetry;
  }


  public void stats(RoutingContext ctx) {
    stats(ctx.pathParam("campaignId"))
        .onSuccess(stats -> Replies.json(ctx, 200, stats))
        .onFailure(ctx::fail);
  }


  /** The stats as Server-Sent Events, one a second, for the console. */
  public void live(RoutingContext ctx) {
    String id = ctx.pathParam("campaignId");
    if (!liveStreams.take(CONSOLE)) {
      throw new ApiError(429, "throttled", "too many open console streams on this gateway",
          new JsonObject().put("retryAfterMs", 5_000), 5_000L);
    }
    stats(id).onFailure(failure -> {
      liveStreams.release(CONSOLE);
      ctx.fail(failure);
    }).onSuccess(first -> {
      if (ctx.response().closed()) {
        // the console went while the first numbers were read: nothing to time, its slot back
        liveStreams.release(CONSOLE);
        return;
      }
      HttpServerResponse response = ctx.response().setChunked(true)
          .putHeader("Content-Type", "text/event-stream")
          // events are sent as they happen: never held back by a compressor
          .putHeader("Content-Encoding", "identity")
          .putHeader("Cache-Control", "no-store")
          .putHeader("X-Accel-Buffering", "no");
      response.write("data: " + first.encode() + "\n\n");
      long timer = vertx.setPeriodic(1_000, t -> stats(id).onSuccess(stats -> {
        if (!response.closed()) {
          response.write("data: " + stats.encode() + "\n\n");
        }
      }));
      response.closeHandler(closed -> {
        liveStreams.release(CONSOLE);
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
        .orElseGet(() -> Future.failedFuture(OperatorRequests.unknownCampaign(id))));
    statsCache.put(id, new CachedStats(stats, now));
    return stats;
  }


  private Future<JsonObject> readStats(CampaignCatalog.Live live, long now) {
    String id = live.campaign().id();
    CampaignKeys keys = new CampaignKeys(id);
    // the rate as the admission script reads it (an operator's change is there at once, in every gateway)
    Future<CampaignState> counters = CampaignState.read(redis, id);
    Future<Long> admitted = counters.map(CampaignState::seq);
    Future<Long> decided = counters.map(CampaignState::decided);
    Future<RowSet<Row>> outcomes = pool.preparedQuery(OperatorQueries.OUTCOMES).execute(Tuple.of(id));
    Future<RowSet<Row>> merchants = pool.preparedQuery(OperatorQueries.MERCHANT_COUNTS).execute(Tuple.of(id));
    Future<Response> answers = redis.send(Request.cmd(Command.HGETALL).arg(keys.answers()));
    return Future.all(List.of(admitted, decided, outcomes, merchants, answers)).map(all -> {
      // every answer the gateways gave (queued, each refusal at the edge, errors), up to a second behind
      JsonObject answered = new JsonObject();
      Response byOutcome = answers.result();
      if (byOutcome != null) {
        for (String outcome : byOutcome.getKeys()) {
          answered.put(outcome, byOutcome.get(outcome).toLong());
        }
      }
      long admittedN = admitted.result();
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
        int left = Campaign.remaining(m.getInteger(1), releasedBp, m.getInteger(2));
        remaining.put(m.getString(0), left);
        remainingTotal += left;
      }
      Telemetry.Latency latency = telemetry.latency(id);
      return new JsonObject()
          .put("campaignId", id)
          .put("state", live.summary().getString("state"))
          .put("frozen", live.frozen())
          .put("at", claimgate.campaign.Formats.epochMs(now))
          .put("admitted", admittedN)
          .put("queued", Math.max(0, admittedN - decided.result()))
          .put("confirmed", confirmed)
          .put("rejected", rejected)
          .put("answers", answered)
          .put("admission", new JsonObject()
              .put("ratePerSecond", counters.result().rate() == 0 ? live.campaign().admission().ratePerSecond()
                  : counters.result().rate())
              .put("burst", counters.result().burst() == 0 ? live.campaign().admission().burst()
                  : counters.result().burst()))
          .put("remaining", remaining)
          .put("remainingTotal", remainingTotal)
          .put("latencyMs", new JsonObject().put("p50", latency.p50()).put("p99", latency.p99())
              .put("p999", latency.p999()));
    });
  }
}
