package claimgate.gateway;

import claimgate.campaign.Campaign;
import claimgate.store.ScratchCampaign;
import claimgate.metrics.Telemetry;
import claimgate.redis.PipelinedRedis;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gateway that starts cold is slowest exactly in the launch minute. Before it reports ready,
 * this sends claims (and status reads and campaign pages) through the gateway's own HTTP port
 * into a {@link ScratchCampaign} on the real Redis and PostgreSQL, at full speed from
 * {@value #CONCURRENCY} connections, until the admitted rate settles (three one-second windows
 * within 10 % of each other, after at least five) or {@code maxTime} passes; then it removes the
 * scratch campaign and its meters. Blocking: call it from the starting thread, never an event loop.
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
    long started = System.nanoTime();
    try {
      ScratchCampaign.install(pool, redis, campaign).await();
      AtomicLong admitted = new AtomicLong();
      AtomicLong sequence = new AtomicLong();
      long deadline = started + maxTime.toNanos();
      Promise<Void> stop = Promise.promise();
      for (int i = 0; i < CONCURRENCY; i++) {
        vertx.runOnContext(v -> loop(http, campaign.id(), sequence, admitted, deadline, stop.future()));
      }
      List<Long> windows = new ArrayList<>();
      long last = 0;
      boolean settled = false;
      while (System.nanoTime() < deadline && !settled) {
        Thread.sleep(1_000);
        long now = admitted.get();
        windows.add(now - last);
        last = now;
        settled = ScratchCampaign.settled(windows);
      }
      stop.tryComplete();
      Thread.sleep(200);
      double seconds = (System.nanoTime() - started) / 1e9;
      double rate = windows.isEmpty() ? 0 : windows.get(windows.size() - 1);
      LOG.info("warmed up: {} claims in {} s, {} claims/s at the end{}", admitted.get(), Math.round(seconds),
          Math.round(rate), settled ? "" : " (not settled within " + maxTime.toSeconds() + " s)");
      return new Result(admitted.get(), seconds, rate, settled);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while warming up", e);
    } finally {
      http.close().await();
      ScratchCampaign.remove(pool, redis, campaign.id()).await();
      telemetry.forget(campaign.id());
      redis.close().await();
      pool.close().await();
    }
  }



  /** One connection's worth of traffic: a claim, then now and then its status or the campaign page. */
  private static void loop(HttpClient http, String campaignId, AtomicLong sequence, AtomicLong admitted, long deadline,
      Future<Void> stop) {
    if (stop.isComplete() || System.nanoTime() > deadline) {
      return;
    }
    long n = sequence.incrementAndGet();
    String body = "{\"citizenId\":\"w" + n + "\",\"merchantIds\":[\"" + ScratchCampaign.merchantId((int) (n % 300))
        + "\",\"" + ScratchCampaign.merchantId((int) ((n * 7 + 13) % 300)) + "\"]}";
    http.request(new RequestOptions().setMethod(HttpMethod.POST).setURI("/api/v1/campaigns/" + campaignId + "/claims")
            .putHeader("Content-Type", "application/json"))
        .compose(request -> request.send(Buffer.buffer(body)))
        .compose(response -> response.body().map(answer -> {
          if (response.statusCode() == 202) {
            admitted.incrementAndGet();
          }
          return response.statusCode() == 202 && n % 16 == 0 ? answer.toJsonObject().getString("ticket") : null;
        }))
        .compose(ticket -> ticket == null ? Future.succeededFuture()
            : get(http, "/api/v1/claims/" + ticket).compose(v -> get(http, "/api/v1/campaigns/" + campaignId)))
        .onComplete(done -> loop(http, campaignId, sequence, admitted, deadline, stop));
  }

  private static Future<Void> get(HttpClient http, String uri) {
    return http.request(HttpMethod.GET, uri).compose(request -> request.send()).compose(r -> r.body()).mapEmpty();
  }
}
