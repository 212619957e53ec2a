package claimgate.operator;

import claimgate.campaign.Campaign;
import claimgate.catalog.CampaignCatalog;
import claimgate.metrics.Telemetry;
import claimgate.redis.CampaignKeys;
import claimgate.redis.CampaignRedis;
import claimgate.redis.PipelinedRedis;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The installation-wide count of claim answers by outcome, which {@link CampaignStats} reads:
 * each gateway process adds what it answered since its last report to the campaign's hash in
 * Redis, and keeps the numbers for the next report while Redis is away.
 */
public final class AnswerTally {

  private final PipelinedRedis redis;
  private final CampaignCatalog catalog;
  private final Telemetry telemetry;

  public AnswerTally(PipelinedRedis redis, CampaignCatalog catalog, Telemetry telemetry) {
    this.redis = redis;
    this.catalog = catalog;
    this.telemetry = telemetry;
  }

  /**
   * Adds the claim answers this process gave since the last second to the campaign's count in
   * Redis, which operators' stats read for the whole installation; put back if Redis is away.
   */
  public void report() {
    Map<String, Map<String, Long>> answered = telemetry.takeAnswered();
    answered.forEach((campaignId, byOutcome) -> {
      Optional<CampaignCatalog.Live> live = catalog.get(campaignId);
      if (live.isEmpty() || Campaign.isScratch(campaignId)) {
        return;
      }
      CampaignKeys keys = new CampaignKeys(campaignId);
      List<Future<?>> writes = new ArrayList<>();
      byOutcome.forEach((outcome, n) -> writes.add(redis.send(Request.cmd(Command.HINCRBY).arg(keys.answers())
          .arg(outcome).arg(n))));
      writes.add(redis.send(Request.cmd(Command.PEXPIREAT).arg(keys.answers())
          .arg(CampaignRedis.forgetAtMs(live.get().campaign()))));
      Future.all(writes).onFailure(failure -> telemetry.giveBack(Map.of(campaignId, byOutcome)));
    });
  }

}
