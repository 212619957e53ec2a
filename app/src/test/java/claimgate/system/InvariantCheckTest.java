package claimgate.system;

import claimgate.store.InvariantCheck;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.testkit.Campaigns;
import claimgate.testkit.TestServers;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The invariant check passes a sound campaign and names each breach planted in one. */
class InvariantCheckTest {

  static List<String> check(String campaignId, boolean requireFinal) {
    return InvariantCheck.run(TestServers.redisUrl(), TestServers.database(), campaignId, requireFinal);
  }

  @Test
  @DisplayName("a campaign that ran cleanly (claims, redemption, pause and resume) has no breach")
  void soundCampaign() {
    Campaign c = LiveStack.create(Campaigns.open(Campaigns.uniqueId("sound"), 2, 1, 3, 3));
    for (String citizen : List.of("a", "b", "c")) {
      LiveStack.awaitFinal(LiveStack.claim(c.id(), citizen, "m0", "m1").json().getString("ticket"));
    }
    String code = LiveStack.awaitFinal(LiveStack.claim(c.id(), "d", "m1").json().getString("ticket"))
        .getJsonObject("voucher").getString("code");
    LiveStack.send("POST", "/api/v1/redemptions", LiveStack.merchantKey(c.id(), "m1"), new JsonObject().put("code", code));
    LiveStack.admin("POST", "/admin/v1/campaigns/" + c.id() + "/pause", null);
    assertThat(LiveStack.claim(c.id(), "e", "m0").status()).isEqualTo(503);
    LiveStack.admin("POST", "/admin/v1/campaigns/" + c.id() + "/resume", null);
    assertThat(check(c.id(), true)).isEmpty();
    JsonObject overHttp = LiveStack.admin("GET", "/admin/v1/campaigns/" + c.id() + "/check?requireFinal=true", null).json();
    assertThat(overHttp.getBoolean("sound")).as(overHttp.encode()).isTrue();
    assertThat(overHttp.getJsonArray("breaches")).isEmpty();
  }

  @Test
  @DisplayName("planted breaches are named: a claim admitted while paused, a redemption after revocation, undecided claims")
  void plantedBreaches() {
    Campaign c = LiveStack.create(Campaigns.open(Campaigns.uniqueId("breach"), 9, 3, 10));
    String code = LiveStack.awaitFinal(LiveStack.claim(c.id(), "x", "m0").json().getString("ticket"))
        .getJsonObject("voucher").getString("code");
    LiveStack.admin("POST", "/admin/v1/campaigns/" + c.id() + "/freeze", null);
    assertThat(LiveStack.claim(c.id(), "y", "m0").status()).isEqualTo(202);
    LiveStack.admin("POST", "/admin/v1/campaigns/" + c.id() + "/pause", null);
    long pausedLater = System.currentTimeMillis() + 5_000;

    Vertx vertx = Vertx.vertx();
    Pool pool = TestServers.database().pool(vertx, 1);
    try {
      pool.preparedQuery("""
          insert into claim (ticket, campaign_id, seq, stream_id, citizen_id, merchant_ids, charged_merchant, status,
                             reason, writer_epoch)
          values ($1, $2, 999999, $3, 'sneaked', 'm0', 'm0', 'rejected', 'sold_out', 0)""")
          .execute(Tuple.of(c.id() + ".sneaked", c.id(), pausedLater + "-0")).await();
      pool.preparedQuery("update voucher set revoked_at = now() - interval '1 hour', revoke_reason = 'fraud', redeemed_at = now() where code = $1")
          .execute(Tuple.of(code)).await();
    } finally {
      pool.close().await();
      vertx.close().await();
    }
    List<String> breaches = check(c.id(), true);
    assertThat(breaches).anyMatch(b -> b.startsWith("invariant 4: ticket " + c.id() + ".sneaked"));
    assertThat(breaches).anyMatch(b -> b.startsWith("invariant 7: voucher " + code));
    assertThat(breaches).anyMatch(b -> b.startsWith("invariant 8: 1 admitted claims are not decided"));
    assertThat(check(c.id(), false)).noneMatch(b -> b.startsWith("invariant 8"));

    // the admin API answers the same breaches, for a load tester without the stores' addresses
    JsonObject overHttp = LiveStack.admin("GET", "/admin/v1/campaigns/" + c.id() + "/check?requireFinal=true", null).json();
    assertThat(overHttp.getBoolean("sound")).isFalse();
    assertThat(overHttp.getJsonArray("breaches").getList()).containsExactlyInAnyOrderElementsOf(breaches);
    assertThat(LiveStack.admin("GET", "/admin/v1/campaigns/" + c.id() + "/check", null).json()
        .getJsonArray("breaches").getList()).noneMatch(b -> b.toString().startsWith("invariant 8"));
    assertThat(LiveStack.admin("GET", "/admin/v1/campaigns/no-such-" + c.id() + "/check", null).status()).isEqualTo(404);
  }
}
