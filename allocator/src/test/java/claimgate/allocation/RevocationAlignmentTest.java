package claimgate.allocation;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.redis.CampaignKeys;
import claimgate.redis.RedisRevocations;
import claimgate.redis.CitizenRecord;
import claimgate.redis.MerchantRecord;
import claimgate.testkit.Campaigns;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Revocations committed while no allocator leads reach Redis when one takes the lead: what the
 * citizen holds, what the shop has issued, the ticket's published outcome removed. A deposed
 * leader, whose ledger is behind what Redis has published, writes nothing.
 */
class RevocationAlignmentTest {

  static Vertx vertx;
  static AllocatorFixture fixture;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    fixture = new AllocatorFixture(vertx);
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  /** What an operator's revoking transaction does, as the gateway's Vouchers writes it, for one voucher: a withdrawal. */
  static void withdraw(String campaignId, String ticket) {
    fixture.pool.withTransaction(conn -> conn.preparedQuery("select id from campaign where id = $1 for update")
        .execute(Tuple.of(campaignId))
        .compose(locked -> conn.preparedQuery(
            "update campaign set revocations_version = revocations_version + 1 where id = $1 returning revocations_version")
            .execute(Tuple.of(campaignId)))
        // as the gateway's revocation does: the public log states it in the same transaction
        .compose(bumped -> claimgate.log.DecisionLog.append(conn, campaignId, List.of(claimgate.log.DecisionLog.record(
            "revocation", new io.vertx.core.json.JsonObject().put("version", bumped.iterator().next().getLong(0))
                .put("reason", "withdrawal").put("slotFreed", true)
                .put("tickets", new io.vertx.core.json.JsonArray().add(ticket))))))
        .compose(logged -> conn.preparedQuery("""
            with revoked as (
              update voucher v set revoked_at = now(), revoke_reason = 'withdrawal', citizen_slot = null, merchant_slot = null,
                revoked_in = (select revocations_version from campaign c where c.id = v.campaign_id)
              where ticket = $1 returning campaign_id, merchant_id)
            update merchant m set issued = m.issued - 1 from revoked r
            where m.campaign_id = r.campaign_id and m.id = r.merchant_id""").execute(Tuple.of(ticket)))).await();
  }

  static CitizenRecord citizen(String campaignId, String citizenId) {
    Response r = fixture.redis.send(Request.cmd(Command.HGET).arg(new CampaignKeys(campaignId).citizens()).arg(citizenId))
        .await();
    return CitizenRecord.decode(r.toString());
  }

  static int issued(String campaignId, String merchantId) {
    Response r = fixture.redis.send(Request.cmd(Command.HGET).arg(new CampaignKeys(campaignId).merchants()).arg(merchantId))
        .await();
    return MerchantRecord.decode(r.toString()).issued();
  }

  @Test
  @DisplayName("a withdrawal committed while no allocator runs: the next leader lowers the holding and the issued count, removes the outcome")
  void nextLeaderAligns() throws InterruptedException {
    Campaign campaign = Campaigns.open(Campaigns.uniqueId("align"), 1, 1, 5);
    fixture.apply(campaign);
    List<String> tickets = fixture.feed(campaign.id(), List.of(new AllocatorFixture.Claim("c1", List.of("m0")),
        new AllocatorFixture.Claim("c2", List.of("m0")), new AllocatorFixture.Claim("c3", List.of("m0"))));
    Vertx first = Vertx.vertx();
    first.deployVerticle(new AllocatorVerticle(fixture.config(), "first")).await();
    fixture.awaitPublished(campaign.id(), 3, 20_000);
    first.close().await();
    assertThat(citizen(campaign.id(), "c1").held()).isEqualTo(1);
    assertThat(issued(campaign.id(), "m0")).isEqualTo(3);

    withdraw(campaign.id(), tickets.get(0));
    // nobody leads: Redis still counts the voucher
    assertThat(citizen(campaign.id(), "c1").held()).isEqualTo(1);

    Vertx second = Vertx.vertx();
    try {
      second.deployVerticle(new AllocatorVerticle(fixture.config(), "second")).await();
      long deadline = System.currentTimeMillis() + 20_000;
      while (citizen(campaign.id(), "c1").held() != 0 && System.currentTimeMillis() < deadline) {
        Thread.sleep(50);
      }
      assertThat(citizen(campaign.id(), "c1").held()).isZero();
      assertThat(citizen(campaign.id(), "c1").heldAt()).isEmpty();
      assertThat(issued(campaign.id(), "m0")).isEqualTo(2);
      assertThat(fixture.publishedOutcomes(campaign.id())).doesNotContainKey(tickets.get(0))
          .containsKeys(tickets.get(1), tickets.get(2));
      assertThat(RedisRevocations.revocationsApplied(fixture.redis, campaign.id()).await()).isEqualTo(1);

      // the freed slot is c1's again
      List<String> again = fixture.feed(campaign.id(), List.of(new AllocatorFixture.Claim("c1", List.of("m0"))));
      fixture.awaitDecided(campaign.id(), 4, 20_000);
      assertThat(fixture.outcomes(campaign.id()).get(again.get(0))).isEqualTo("confirmed:m0");
      fixture.checkInvariants(campaign, List.of(tickets.get(0), tickets.get(1), tickets.get(2), again.get(0)));
    } finally {
      second.close().await();
    }
  }

  @Test
  @DisplayName("a deposed leader's revocations write nothing once Redis has a newer leader's publications")
  void deposedLeaderWritesNothing() {
    Campaign campaign = Campaigns.open(Campaigns.uniqueId("deposed"), 1, 1, 5);
    fixture.apply(campaign);
    fixture.feed(campaign.id(), List.of(new AllocatorFixture.Claim("c1", List.of("m0"))));
    Vertx process = Vertx.vertx();
    process.deployVerticle(new AllocatorVerticle(fixture.config(), "leader")).await();
    fixture.awaitPublished(campaign.id(), 1, 20_000);
    process.close().await();
    // a ledger that has decided nothing (seq 0) tries to set c1 to holding none
    RedisRevocations.applyRevocations(fixture.redis, campaign.id(), 0, 7, Map.of("c1", Map.of()), Map.of("m0", 0),
        List.of()).await();
    assertThat(citizen(campaign.id(), "c1").held()).isEqualTo(1);
    assertThat(issued(campaign.id(), "m0")).isEqualTo(1);
    assertThat(RedisRevocations.revocationsApplied(fixture.redis, campaign.id()).await()).isNotEqualTo(7);
  }

}
