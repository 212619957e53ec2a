package claimgate.allocation;

import claimgate.allocation.ReferenceModel.Scenario;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.allocation.AllocatorFixture.Claim;
import claimgate.campaign.Campaign;
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
 * Invariants 1, 3, 6 and 8 on random campaigns: many citizens, random ranked preferences, tiny
 * contingents, small batches. Every claim is decided exactly once, no merchant oversells, no
 * citizen exceeds a limit, the published outcomes equal the committed ones, and the outcomes
 * equal what the plain sequential {@link ReferenceModel} computes.
 */
class AllocationPropertyTest {

  static Vertx vertx;
  static AllocatorFixture fixture;

  @BeforeContainer
  static void start() {
    vertx = Vertx.vertx();
    fixture = new AllocatorFixture(vertx);
    vertx.deployVerticle(new AllocatorVerticle(fixture.config().withBatchSize(7))).await();
  }

  @AfterContainer
  static void stop() {
    vertx.close().await();
  }

  @Provide
  Arbitrary<Scenario> scenarios() {
    return Arbitraries.integers().between(0, 6).array(int[].class).ofMinSize(1).ofMaxSize(5)
        .flatMap(contingents -> Combinators.combine(
                Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(1, 4),
                claim(contingents.length).list().ofMinSize(1).ofMaxSize(120))
            .as((perCitizen, perMerchant, claims) ->
                new Scenario(contingents, perCitizen, Math.min(perMerchant, perCitizen), claims)));
  }

  private static Arbitrary<Claim> claim(int merchants) {
    return Combinators.combine(
            Arbitraries.integers().between(0, 11),
            Arbitraries.integers().between(0, merchants - 1).list().uniqueElements()
                .ofMinSize(1).ofMaxSize(Math.min(3, merchants)))
        .as((citizen, prefs) -> new Claim("c" + citizen, prefs.stream().map(i -> "m" + i).toList()));
  }

  @Property(tries = 25)
  void decisionsMatchTheSequentialModel(@ForAll("scenarios") Scenario s) {
    Campaign campaign = Campaigns.open(Campaigns.uniqueId("prop"), s.perCitizen(), s.perMerchant(), s.contingents());
    fixture.apply(campaign);
    List<String> tickets = fixture.feed(campaign.id(), s.claims());
    fixture.awaitDecided(campaign.id(), tickets.size(), 20_000);
    fixture.awaitPublished(campaign.id(), fixture.decidedSeq(campaign.id()), 5_000);

    fixture.checkInvariants(campaign, tickets);
    Map<String, Integer> contingents = new HashMap<>();
    for (int i = 0; i < s.contingents().length; i++) {
      contingents.put("m" + i, s.contingents()[i]);
    }
    List<String> expected = ReferenceModel.decide(contingents, s.perCitizen(), s.perMerchant(), s.claims());
    Map<String, String> actual = fixture.outcomes(campaign.id());
    List<String> inOrder = new ArrayList<>();
    tickets.forEach(t -> inOrder.add(actual.get(t)));
    assertThat(inOrder).isEqualTo(expected);
    assertThat(fixture.publishedOutcomes(campaign.id())).isEqualTo(actual);
  }
}
