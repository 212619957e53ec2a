package claimgate.allocation;

import claimgate.redis.CampaignKeys;
import claimgate.redis.PipelinedRedis;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's measured decision rate, which the waiting room turns into each claim's wait:
 * decisions counted on the decision thread, smoothed and reported to Redis once a second. The
 * report expires unless renewed, so with no leader reporting there is no rate (and no wait told).
 */
final class DrainRate {

  private static final Logger LOG = LoggerFactory.getLogger(DrainRate.class);
  /** How long a reported decision rate counts: a leader reports every second. */
  static final long TTL_MS = 5_000;

  private final PipelinedRedis writer;
  private final CampaignKeys keys;
  private long decided;
  private long decidedAtLastReport;
  private double perSecond;

  DrainRate(PipelinedRedis writer, CampaignKeys keys) {
    this.writer = writer;
    this.keys = keys;
  }

  /** Counts decisions; on the decision thread. */
  void decided(int n) {
    decided += n;
  }

  /** Once a second, on the decision thread: the smoothed rate, to Redis. */
  void report() {
    long delta = decided - decidedAtLastReport;
    decidedAtLastReport = decided;
    perSecond = perSecond == 0 ? delta : 0.5 * perSecond + 0.5 * delta;
    Future.all(writer.send(Request.cmd(Command.HSET).arg(keys.stats()).arg(CampaignKeys.DRAIN_PER_SECOND)
            .arg(String.format(Locale.ROOT, "%.1f", perSecond))),
        writer.send(Request.cmd(Command.PEXPIRE).arg(keys.stats()).arg(TTL_MS)))
        .onFailure(failure -> LOG.debug("drain rate not reported: {}", failure.getMessage()));
  }
}
