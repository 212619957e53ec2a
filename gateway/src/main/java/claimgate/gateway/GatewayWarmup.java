package claimgate.gateway;

import claimgate.campaign.Campaign;
import claimgate.store.ScratchCampaign;
import claimgate.store.Settling;
import claimgate.metrics.Telemetry;
import claimgate.redis.PipelinedRedis;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gateway that starts cold is slowest exactly in the launch minute. Before it reports ready,
 * this sends claims (and status reads and campaign pages) through the gateway's own HTTP port
 * into a {@link ScratchCampaign} on the real Redis and PostgreSQL, at full speed from
 * {@value #CONCURRENCY} connections, until the admitted rate is steady and the JIT compilers are
 * done ({@link Settling}) or {@code maxTime} passes; then it removes the scratch campaign and its
 * meters. Blocking: call it from the starting thread, never an event loop.
 */
public final class GatewayWarmup {

  private static final Logger LOG = LoggerFactory.getLogger(GatewayWarmup.class);
  static final int CONCURRENCY = 64;

  /** What the warm-up did: claims admitted, seconds, and the settled rate (claims per second). */
  public record Result(long claims, double seconds, double settledPerSecond, boolean settled) {}

  private GatewayWarmup() {}

  public static Result run(Vertx vertx, GatewayConfig config, Telemetry telemetry, Duration maxTime) {
    Pool pool = config.stores().database().pool(vertx, 1);
    PipelinedRedis redis = new PipelinedRedis(vertx, config.stores().redisUrl());
    Campaign campaign = ScratchCampaign.create();
    HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(config.http().port()).setKeepAlive(true), new PoolOptions().setHttp1MaxSize(CONCURRENCY));
    // behind proxies the gateway reads the client's address from X-Forwarded-For: that path too
    int hops = config.http().trustedProxyHops();
    // the traffic and the windows on one event loop
    Context context = vertx.getOrCreateContext();
    Traffic traffic = new Traffic(context, http, campaign.id(), hops);
    long started = System.nanoTime();
    try {
      ScratchCampaign.install(pool, redis, campaign).await();
      long deadline = started + maxTime.toNanos();
      Settling settling = new Settling();
      Promise<Boolean> over = Promise.promise();
      context.runOnContext(v -> {
        for (int i = 0; i < CONCURRENCY; i++) {
          traffic.next();
        }
        vertx.setPeriodic(1_000, timer -> {
          settling.window(traffic.admitted);
          if (settling.settled() || System.nanoTime() >= deadline) {
            vertx.cancelTimer(timer);
            over.complete(settling.settled());
          }
        });
      });
      boolean settled = over.future().await();
      // the scratch campaign goes only once every connection's last request is answered
      traffic.stop().await();
      double seconds = (System.nanoTime() - started) / 1e9;
      LOG.info("warmed up: {} claims in {} s, {} claims/s at the end{}; {}", traffic.admitted, Math.round(seconds),
          settling.lastRate(), settled ? "" : " (not settled within " + maxTime.toSeconds() + " s)", settling);
      return new Result(traffic.admitted, seconds, settling.lastRate(), settled);
    } finally {
      // no new request once the client is closed, however the warm-up ended
      traffic.stop();
      http.close().await();
      ScratchCampaign.remove(pool, redis, campaign.id()).await();
      telemetry.forget(campaign.id());
      redis.close().await();
      pool.close().await();
    }
  }

  /**
   * {@value #CONCURRENCY} connections' worth of traffic, each a claim, then now and then its status
   * or the campaign page, until stopped. Used on its context's event loop.
   */
  private static final class Traffic {
    final Context context;
    final HttpClient http;
    final String campaignId;
    final int hops;
    final Promise<Void> stopped = Promise.promise();
    long sequence;
    long admitted;
    int running;
    boolean stopping;

    Traffic(Context context, HttpClient http, String campaignId, int hops) {
      this.context = context;
      this.http = http;
      this.campaignId = campaignId;
      this.hops = hops;
    }

    /** Ends the traffic; the future completes when the last request in flight is answered. */
    Future<Void> stop() {
      context.runOnContext(v -> {
        stopping = true;
        if (running == 0) {
          stopped.tryComplete();
        }
      });
      return stopped.future();
    }

    void next() {
      if (stopping) {
        if (running == 0) {
          stopped.tryComplete();
        }
        return;
      }
      running++;
      long n = ++sequence;
      String body = "{\"citizenId\":\"w" + n + "\",\"merchantIds\":[\"" + ScratchCampaign.merchantId((int) (n % 300))
          + "\",\"" + ScratchCampaign.merchantId((int) ((n * 7 + 13) % 300)) + "\"]}";
      RequestOptions claim = request(HttpMethod.POST, "/api/v1/campaigns/" + campaignId + "/claims", n)
          .putHeader("Content-Type", "application/json");
      http.request(claim)
          .compose(request -> request.send(Buffer.buffer(body)))
          .compose(response -> response.body().map(answer -> {
            if (response.statusCode() == 202) {
              admitted++;
            }
            return response.statusCode() == 202 && n % 16 == 0 ? answer.toJsonObject().getString("ticket") : null;
          }))
          .compose(ticket -> ticket == null ? Future.succeededFuture()
              : get(request(HttpMethod.GET, "/api/v1/claims/" + ticket, n))
                  .compose(v -> get(request(HttpMethod.GET, "/api/v1/campaigns/" + campaignId, n))))
          .onComplete(done -> {
            running--;
            next();
          });
    }

    /**
     * A request of the n-th citizen, from an address of its own behind the trusted proxies when
     * there are any (the client's entry, then one per further hop), answered within 10 s.
     */
    private RequestOptions request(HttpMethod method, String uri, long n) {
      RequestOptions options = new RequestOptions().setMethod(method).setURI(uri).setIdleTimeout(10_000);
      if (hops > 0) {
        StringBuilder forwardedFor = new StringBuilder("10.").append(n >> 16 & 0xff).append('.').append(n >> 8 & 0xff)
            .append('.').append(n & 0xff);
        for (int hop = 1; hop < hops; hop++) {
          forwardedFor.append(", 192.0.2.").append(hop);
        }
        options.putHeader("X-Forwarded-For", forwardedFor.toString());
      }
      return options;
    }

    private Future<Void> get(RequestOptions options) {
      return http.request(options).compose(request -> request.send()).compose(r -> r.body()).mapEmpty();
    }
  }
}
