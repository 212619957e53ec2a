package claimgate.allocation;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.allocation.AllocatorFixture.Claim;
import claimgate.campaign.Campaign;
import claimgate.redis.CampaignKeys;
import claimgate.redis.CampaignRedis;
import claimgate.testkit.Campaigns;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Redis's memory per claim is bounded: decided entries leave the stream, and the published
 * outcomes expire after the campaign's last round plus the retention (status then comes from
 * PostgreSQL).
 */
@ExtendWith(VertxExtension.class)
class RedisRetentionTest {

  @Test
  @DisplayName("decided claims leave the stream and their outcomes expire after the last round plus the retention")
  void decidedClaimsAreForgotten(Vertx vertx) {
    AllocatorFixture fixture = new AllocatorFixture(vertx);
    Campaign campaign = Campaigns.open(Campaigns.uniqueId("retention"), 9, 3, 100);
    fixture.apply(campaign);
    CampaignKeys keys = new CampaignKeys(campaign.id());
    Vertx process = Vertx.vertx();
    try {
      process.deployVerticle(new AllocatorVerticle(fixture.config())).await();
      List<Claim> claims = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        claims.add(new Claim("c" + i, List.of("m" + (i % 3))));
      }
      fixture.feed(campaign.id(), claims);
      fixture.awaitPublished(campaign.id(), 200, 20_000);
      assertThat(fixture.redis.send(Request.cmd(Command.XLEN).arg(keys.stream())).await().toLong())
          .as("only the entry at the decided offset stays").isLessThanOrEqualTo(1);
      long ttlMs = fixture.redis.send(Request.cmd(Command.PTTL).arg(keys.outcomes())).await().toLong();
      long expected = CampaignRedis.forgetAtMs(campaign) - System.currentTimeMillis();
      assertThat(ttlMs).isBetween(expected - 5_000, expected + 5_000);
    } finally {
      process.close().await();
    }
  }
}
