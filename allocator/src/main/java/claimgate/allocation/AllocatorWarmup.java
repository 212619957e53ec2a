package claimgate.allocation;

import claimgate.campaign.Campaign;
import claimgate.store.ScratchCampaign;
import claimgate.store.Settling;
import claimgate.redis.CampaignKeys;
import claimgate.redis.CampaignState;
import claimgate.redis.PipelinedRedis;
import claimgate.redis.StreamEntries;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Before an allocator process stands by or leads, it decides a stream of claims of a
 * {@link ScratchCampaign} through the real path (election, recovery, decisions, batch commits,
 * publication) until it has settled ({@link Settling}) or {@code maxTime} passes, so that a takeover in
 * the launch minute runs compiled code; then every trace of the scratch campaign is removed.
 * Blocking: call it from the starting thread.
 */
public final class AllocatorWarmup {

  private static final Logger LOG = LoggerFactory.getLogger(AllocatorWarmup.class);
  private static final int CLAIMS_PER_ENTRY = 64;
  /** Claims kept waiting in the scratch stream, so the allocator always has a full batch to decide. */
  private static final int BACKLOG = 5_000;

  /** Claims decided, seconds, and the decision rate at the end. */
  public record Result(long decided, double seconds, double perSecond) {}

  private AllocatorWarmup() {}

  public static Result run(Vertx vertx, AllocatorConfig config, Duration maxTime) {
    Pool pool = config.stores().database().pool(vertx, 1);
    PipelinedRedis redis = new PipelinedRedis(vertx, config.stores().redisUrl());
    Campaign campaign = ScratchCampaign.create();
    CampaignKeys keys = new CampaignKeys(campaign.id());
    long started = System.nanoTime();
    String deployment = null;
    try {
      ScratchCampaign.install(pool, redis, campaign).await();
      deployment = vertx.deployVerticle(AllocatorVerticle.only(config, campaign.id())).await();
      long deadline = started + maxTime.toNanos();
      long fed = 0;
      long decided = 0;
      Settling settling = new Settling();
      long windowStart = System.nanoTime();
      while (System.nanoTime() < deadline && !settling.settled()) {
        decided = decided(redis, keys);
        List<Future<Response>> appends = new ArrayList<>();
        while (fed - decided < BACKLOG) {
          appends.add(redis.send(StreamEntries.append(keys, "*", 1, fed + 1, lines(fed))));
          fed += CLAIMS_PER_ENTRY;
        }
        Future.all(appends).await();
        redis.send(claimgate.redis.CampaignRedis.admittedUpTo(keys, fed)).await();
        vertx.timer(100).await();
        if (System.nanoTime() - windowStart >= 1_000_000_000L) {
          settling.window(decided);
          windowStart = System.nanoTime();
        }
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      LOG.info("warmed up: {} claims decided in {} s, {} decisions/s at the end; {}", decided, Math.round(seconds),
          settling.lastRate(), settling);
      return new Result(decided, seconds, settling.lastRate());
    } finally {
      if (deployment != null) {
        vertx.undeploy(deployment).await();
      }
      ScratchCampaign.remove(pool, redis, campaign.id()).await();
      redis.close().await();
      pool.close().await();
    }
  }

  private static long decided(PipelinedRedis redis, CampaignKeys keys) {
    return CampaignState.read(redis, keys.campaignId()).await().decided();
  }

  private static List<StreamEntries.Line> lines(long from) {
    List<StreamEntries.Line> lines = new ArrayList<>(CLAIMS_PER_ENTRY);
    for (long n = from; n < from + CLAIMS_PER_ENTRY; n++) {
      String first = ScratchCampaign.merchantId((int) (n % ScratchCampaign.MERCHANTS));
      lines.add(new StreamEntries.Line("w" + n, List.of(first,
          ScratchCampaign.merchantId((int) ((n * 7 + 13) % ScratchCampaign.MERCHANTS))), first, null));
    }
    return lines;
  }


}
