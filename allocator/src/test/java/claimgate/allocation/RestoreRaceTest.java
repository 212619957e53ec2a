package claimgate.allocation;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.redis.CampaignKeys;
import claimgate.testkit.Campaigns;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
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
    fixture.apply(campaign);
    CampaignKeys keys = new CampaignKeys(campaign.id());
    Recovery recovery = new Recovery(campaign.id(), AllocatorFixture.CODES, "test");
    SqlConnection pg = fixture.pool.getConnection().await();
    try {
      long epoch = pg.preparedQuery("update campaign set writer_epoch = writer_epoch + 1 where id = $1 returning writer_epoch")
          .execute(Tuple.of(campaign.id())).await().iterator().next().getLong(0);
      // what the election saw: not paused
      Recovery.State election = recovery.load(pg).await();
      assertThat(election.versions().paused()).isFalse();

      // an operator pauses now, as the admin API does: PostgreSQL under the row lock, then Redis
      Row paused = fixture.pool.preparedQuery("""
              update campaign set paused = true, flags_version = flags_version + 1 where id = $1
              returning flags_version""").execute(Tuple.of(campaign.id())).await().iterator().next();
      long pausedVersion = paused.getLong(0);
      claimgate.redis.CampaignRedis.setFlags(fixture.redis, campaign.id(), pausedVersion, true, false).await();

      // Redis restarted meanwhile: the gate names another server, so the leader restores
      fixture.redis.send(Request.cmd(Command.HSET).arg(keys.config()).arg(CampaignKeys.SERVER).arg("another")).await();
      Recovery.State restored = recovery.prepareRedis(pg, fixture.redis, election, epoch).await();

      assertThat(restored.versions().paused()).as("the leader goes on with the campaign as it is now").isTrue();
      assertThat(fixture.redis.send(Request.cmd(Command.HGET).arg(keys.config()).arg(CampaignKeys.PAUSED)).await()
          .toString()).as("Redis keeps the pause").isEqualTo("1");
      assertThat(fixture.redis.send(Request.cmd(Command.HGET).arg(keys.config()).arg(CampaignKeys.FLAGS_VERSION)).await()
          .toLong()).isEqualTo(pausedVersion);
      assertThat(fixture.redis.send(Request.cmd(Command.HGET).arg(keys.config()).arg(CampaignKeys.SERVER)).await()
          .toString()).as("the gate is open again").isEqualTo(fixture.redis.serverId());
    } finally {
      pg.close().await();
    }
  }

  @Test
  @DisplayName("a campaign change committed after the election read the campaign holds through the restore of Redis")
  void changeDuringRestoreHolds(Vertx vertx) {
    AllocatorFixture fixture = new AllocatorFixture(vertx);
    Campaign campaign = Campaigns.open(Campaigns.uniqueId("restorechange"), 9, 3, 10);
    fixture.apply(campaign);
    CampaignKeys keys = new CampaignKeys(campaign.id());
    Recovery recovery = new Recovery(campaign.id(), AllocatorFixture.CODES, "test");
    SqlConnection pg = fixture.pool.getConnection().await();
    try {
      long epoch = pg.preparedQuery("update campaign set writer_epoch = writer_epoch + 1 where id = $1 returning writer_epoch")
          .execute(Tuple.of(campaign.id())).await().iterator().next().getLong(0);
      Recovery.State election = recovery.load(pg).await();

      // an operator changes the admission rate now: PostgreSQL first, then Redis
      Campaign.Admission a = campaign.admission();
      Campaign changed = new Campaign(campaign.id(), campaign.name(), campaign.currency(), campaign.voucherValue(),
          campaign.validDays(), campaign.limits(), campaign.eligibility(),
          new Campaign.Admission(4_321, a.burst(), a.maxPendingPerCitizen(), a.capFactor()), campaign.rounds(),
          campaign.merchants());
      long version = new claimgate.campaign.CampaignStore(fixture.pool).apply(changed, java.util.Optional.empty()).await();
      claimgate.redis.CampaignRedis.configure(fixture.redis, changed, version, java.util.Optional.empty()).await();

      fixture.redis.send(Request.cmd(Command.HSET).arg(keys.config()).arg(CampaignKeys.SERVER).arg("another")).await();
      Recovery.State restored = recovery.prepareRedis(pg, fixture.redis, election, epoch).await();

      assertThat(restored.campaign().admission().ratePerSecond()).isEqualTo(4_321);
      assertThat(fixture.redis.send(Request.cmd(Command.HGET).arg(keys.config()).arg("rate")).await().toString())
          .as("Redis keeps the change").isEqualTo("4321");
      assertThat(fixture.redis.send(Request.cmd(Command.HGET).arg(keys.config()).arg(CampaignKeys.CONFIG_VERSION)).await()
          .toLong()).isEqualTo(version);
    } finally {
      pg.close().await();
    }
  }
}
