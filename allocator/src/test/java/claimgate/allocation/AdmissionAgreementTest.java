package claimgate.allocation;

import claimgate.allocation.ReferenceModel.Scenario;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.allocation.AllocatorFixture.Claim;
import claimgate.campaign.Campaign;
import claimgate.redis.CampaignKeys;
import claimgate.redis.CitizenRecord;
import claimgate.redis.LuaScript;
import claimgate.testkit.Campaigns;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The limits are checked twice on purpose: the admission script refuses early what is sure to
 * fail (the edge filters), the allocator's ledger decides (invariant 6). This proves the two
 * agree, claim by claim, on random campaigns: each claim goes through the real admission script,
 * and once it is decided and published the next one comes. A claim the script refuses as
 * limit_reached or sold_out is one the sequential model would reject for that reason; a claim it
 * admits is decided as the model decides it; with the open round releasing all of each
 * contingent or only a share of it (rounded down alike by both).
 */
class AdmissionAgreementTest {

  static final LuaScript ADMIT = LuaScript.load("admit.lua");
  static Vertx vertx;
  static AllocatorFixture fixture;

  @BeforeContainer
  static void start() {
    vertx = Vertx.vertx();
    fixture = new AllocatorFixture(vertx);
    vertx.deployVerticle(new AllocatorVerticle(fixture.config().withBlockMs(5).withElectionRetryMs(200).withDiscoveryMs(50))).await();
  }

  @AfterContainer
  static void stop() {
    vertx.close().await();
  }

  @Provide
  Arbitrary<Scenario> scenarios() {
    return Arbitraries.integers().between(0, 3).array(int[].class).ofMinSize(1).ofMaxSize(4)
        .flatMap(contingents -> Combinators.combine(
                Arbitraries.integers().between(1, 3),
                Arbitraries.integers().between(1, 3),
                Combinators.combine(Arbitraries.integers().between(0, 4),
                        Arbitraries.integers().between(0, contingents.length - 1).list().uniqueElements()
                            .ofMinSize(1).ofMaxSize(Math.min(3, contingents.length)))
                    .as((citizen, prefs) -> new Claim("c" + citizen, prefs.stream().map(i -> "m" + i).toList()))
                    .list().ofMinSize(1).ofMaxSize(30))
            .as((perCitizen, perMerchant, claims) ->
                new Scenario(contingents, perCitizen, Math.min(perMerchant, perCitizen), claims)));
  }

  @Provide
  Arbitrary<Double> firstRoundShares() {
    return Arbitraries.of(1.0, 0.34, 0.5, 0.67, 0.99);
  }

  @Property(tries = 40)
  void admissionAgreesWithTheLedger(@ForAll("scenarios") Scenario s, @ForAll("firstRoundShares") double firstShare) {
    java.time.OffsetDateTime now = java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC);
    // the open round releases a share of each contingent (the rest later): the script rounds the
    // released stock as the ledger does, or they would disagree at the edge of a contingent
    List<Campaign.Round> rounds = firstShare >= 1.0
        ? List.of(new Campaign.Round(now.minusMinutes(1), now.plusHours(1), 1.0))
        : List.of(new Campaign.Round(now.minusMinutes(1), now.plusHours(1), firstShare),
            new Campaign.Round(now.plusDays(7), now.plusDays(7).plusHours(1), Math.round((1.0 - firstShare) * 100) / 100.0));
    Campaign campaign = Campaigns.build(Campaigns.uniqueId("agree"), s.perCitizen(), s.perMerchant(), rounds,
        s.contingents());
    fixture.apply(campaign);
    int releasedBp = campaign.releasedBp(System.currentTimeMillis());
    Map<String, Integer> contingents = new HashMap<>();
    for (int i = 0; i < s.contingents().length; i++) {
      contingents.put("m" + i, Campaign.released(s.contingents()[i], releasedBp));
    }
    List<Claim> admitted = new ArrayList<>();
    for (int i = 0; i < s.claims().size(); i++) {
      Claim claim = s.claims().get(i);
      String verdict = admit(campaign, claim, "request-" + i);
      List<Claim> withThis = new ArrayList<>(admitted);
      withThis.add(claim);
      String modelled = ReferenceModel.decide(contingents, s.perCitizen(), s.perMerchant(), withThis).get(admitted.size());
      switch (verdict.charAt(0)) {
        case 'q' -> {
          admitted.add(claim);
          // an admitted claim is answered 'q' and takes the batch's first seq: it is alone in its batch
          long seq = Long.parseLong(verdict.substring(2));
          fixture.awaitPublished(campaign.id(), seq, 10_000);
          String decided = fixture.outcomes(campaign.id()).get(AllocatorFixture.TICKETS.issue(campaign.id(), 1, seq));
          assertThat(decided).as("claim %d %s admitted and decided", i, claim).isEqualTo(modelled);
        }
        case 'l' -> assertThat(modelled).as("claim %d %s refused at the edge as limit_reached", i, claim)
            .isEqualTo("rejected:limit_reached");
        case 's' -> assertThat(modelled).as("claim %d %s refused at the edge as sold_out", i, claim)
            .isEqualTo("rejected:sold_out");
        default -> throw new AssertionError("claim " + i + " " + claim + ": unexpected answer " + verdict);
      }
    }
  }

  /** One claim through the admission script; its answer token ({@code q:<seq>} when admitted). */
  static String admit(Campaign campaign, Claim claim, String key) {
    String merchants = String.join(",", claim.merchantIds());
    String answer = fixture.redis.connection().compose(c -> ADMIT.call(fixture.redis::send,
        new CampaignKeys(campaign.id()).admitKeys(), List.of(fixture.redis.serverId(), "1", claim.citizenId(), merchants,
            CitizenRecord.requestId(key, merchants), CitizenRecord.fingerprint(merchants), "", "10.0.0.1")))
        .await().toString();
    // 'A gen decided firstSeq answer': an admission as 'q:<seq>', every other answer as it is
    String[] tokens = answer.split(" ");
    return tokens[4].equals("q") ? "q:" + tokens[3] : tokens[4];
  }
}
