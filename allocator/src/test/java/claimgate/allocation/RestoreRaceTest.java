package claimgate.allocation;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignStore;
import claimgate.redis.CampaignKeys;
import claimgate.redis.CampaignRedis;
import claimgate.testkit.Campaigns;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Invariant 4 across a restore: an operator's action that lands between a new leader's read of
 * the campaign and its rebuild of Redis is not written over with what the election saw.
 */
@ExtendWith(VertxExtension.class)
class RestoreRaceTest {

  @Test
  @DisplayName("a pause committed after the election read the campaign holds through the restore of Redis")
  void pauseDuringRestoreHolds(Vertx vertx) {
    AllocatorFixture fixture = new AllocatorFixture(vertx);
    Campaign campaign = Campaigns.open(Campaigns.uniqueId("restorerace"), 9, 3, 10);
    long[] pausedVersion = new long[1];
    Recovery.State restored = restoreAfter(fixture, campaign, c -> {
      // an operator pauses, as the admin API does: PostgreSQL under the row lock, then Redis
      pausedVersion[0] = fixture.pool.preparedQuery("""
              update campaign set paused = true, flags_version = flags_version + 1 where id = $1
              returning flags_version""").execute(Tuple.of(c.id())).await().iterator().next().getLong(0);
      CampaignRedis.setFlags(fixture.redis, c.id(), pausedVersion[0], true, false).await();
    });
    assertThat(restored.versions().paused()).as("the leader goes on with the campaign as it is now").isTrue();
    assertThat(config(fixture, campaign, CampaignKeys.PAUSED)).as("Redis keeps the pause").isEqualTo("1");
    assertThat(config(fixture, campaign, CampaignKeys.FLAGS_VERSION)).isEqualTo(Long.toString(pausedVersion[0]));
    assertThat(config(fixture, campaign, CampaignKeys.SERVER)).as("the gate is open again").isEqualTo(fixture.redis.serverId());
  }

  @Test
  @DisplayName("a campaign change committed after the election read the campaign holds through the restore of Redis")
  void changeDuringRestoreHolds(Vertx vertx) {
    AllocatorFixture fixture = new AllocatorFixture(vertx);
    Campaign campaign = Campaigns.open(Campaigns.uniqueId("restorechange"), 9, 3, 10);
    long[] version = new long[1];
    Recovery.State restored = restoreAfter(fixture, campaign, c -> {
      // an operator changes the admission rate: PostgreSQL first, then Redis
      Campaign.Admission a = c.admission();
      Campaign changed = new Campaign(c.id(), c.name(), c.currency(), c.voucherValue(), c.validDays(), c.limits(),
          c.eligibility(), new Campaign.Admission(4_321, a.burst(), a.maxPendingPerCitizen(), a.capFactor()), c.rounds(),
          c.merchants());
      version[0] = new CampaignStore(fixture.pool).apply(changed, Optional.empty()).await();
      CampaignRedis.configure(fixture.redis, changed, version[0], Optional.empty()).await();
    });
    assertThat(restored.campaign().admission().ratePerSecond()).isEqualTo(4_321);
    assertThat(config(fixture, campaign, CampaignKeys.RATE)).as("Redis keeps the change").isEqualTo("4321");
    assertThat(config(fixture, campaign, CampaignKeys.CONFIG_VERSION)).isEqualTo(Long.toString(version[0]));
  }

  /**
   * A leader's election (epoch bumped, the campaign read), then {@code operator} acts, then Redis
   * turns out to have restarted (the gate names another server) and the leader restores it.
   */
  private static Recovery.State restoreAfter(AllocatorFixture fixture, Campaign campaign, Consumer<Campaign> operator) {
    fixture.apply(campaign);
    Recovery recovery = new Recovery(campaign.id(), AllocatorFixture.CODES, "test");
    SqlConnection pg = fixture.pool.getConnection().await();
    try {
      long epoch = pg.preparedQuery("update campaign set writer_epoch = writer_epoch + 1 where id = $1 returning writer_epoch")
          .execute(Tuple.of(campaign.id())).await().iterator().next().getLong(0);
      Recovery.State election = recovery.load(pg).await();
      operator.accept(campaign);
      fixture.redis.send(Request.cmd(Command.HSET).arg(new CampaignKeys(campaign.id()).config())
          .arg(CampaignKeys.SERVER).arg("another")).await();
      return recovery.prepareRedis(pg, fixture.redis, election, epoch).await();
    } finally {
      pg.close().await();
    }
  }

  private static String config(AllocatorFixture fixture, Campaign campaign, String field) {
    return fixture.redis.send(Request.cmd(Command.HGET).arg(new CampaignKeys(campaign.id()).config()).arg(field))
        .await().toString();
  }
}
