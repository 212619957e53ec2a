package claimgate.allocation;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.allocation.AllocatorFixture.Claim;
import claimgate.campaign.Campaign;
import claimgate.draw.Draw;
import claimgate.draw.Draws;
import claimgate.testkit.Campaigns;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A pre-queue's draw in the allocator (real Redis and PostgreSQL): frozen at the opening, served
 * in the order its committed seed gives, before every claim that arrived after the opening, and
 * the same order and outcomes when the allocator dies at any step of the draw or of the first
 * batches after it.
 */
@ExtendWith(VertxExtension.class)
class PrequeueDrawTest {

  static AllocatorFixture fixture;

  @BeforeAll
  static void start(Vertx vertx) {
    fixture = new AllocatorFixture(vertx);
  }

  /** A round that opens {@code inMs} from now, with a pre-queue from an hour before it. */
  /**
   * A campaign whose one round opens {@code inMs} from now, with a pre-queue. The tests store it,
   * start an allocator and feed the pre-queue before that: on a slow machine (a loaded CI run)
   * those steps took over 800 ms, and pre-queue entries written after the opening are rightly
   * refused by the log's verifier, so the margin is seconds.
   */
  static Campaign opening(String stem, long inMs, String beacon, int... contingents) {
    OffsetDateTime opens = OffsetDateTime.now(ZoneOffset.UTC).plus(inMs, ChronoUnit.MILLIS);
    Campaign c = Campaigns.build(Campaigns.uniqueId(stem), 2, 1, List.of(new Campaign.Round(opens, opens.plusHours(1), 1.0)),
        contingents);
    return c.withAdmission(c.admission().withPrequeue(new Campaign.Prequeue(Duration.ofHours(1), beacon)));
  }

  static List<Claim> citizens(String prefix, int count, int merchants) {
    List<Claim> claims = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      claims.add(new Claim(prefix + i, List.of("m" + (i % merchants), "m" + ((i + 1) % merchants))));
    }
    return claims;
  }

  /** Feeds a pre-queue before the opening and arrivals after it; answers every ticket, pre-queue first. */
  static Fed feed(Campaign c, List<Claim> before, List<Claim> after) {
    long opens = c.rounds().get(0).opensAtMs();
    List<String> early = fixture.feed(c.id(), before, opens);
    assertThat(System.currentTimeMillis()).as("the pre-queue fed before its opening (the test's margin is too short for "
        + "this machine otherwise)").isLessThan(opens);
    awaitOpening(opens);
    List<String> late = fixture.feed(c.id(), after);
    return new Fed(early, late);
  }

  /** Until just past the opening (the allocator judges it by Redis's clock, on this machine). */
  static void awaitOpening(long opensAtMs) {
    while (System.currentTimeMillis() <= opensAtMs + 5) {
      fixture.vertx.timer(20).await();
    }
  }

  record Fed(List<String> prequeued, List<String> after) {
    List<String> all() {
      List<String> all = new ArrayList<>(prequeued);
      all.addAll(after);
      return all;
    }
  }

  /** Each drawn ticket's place as PostgreSQL holds it. */
  static Map<String, Integer> places(String campaignId) {
    Map<String, Integer> places = new HashMap<>();
    for (Row r : fixture.pool.preparedQuery("select ticket, place from claim where campaign_id = $1 and place is not null")
        .execute(Tuple.of(campaignId)).await()) {
      places.put(r.getString(0), r.getInteger(1));
    }
    return places;
  }

  /**
   * The frozen list is the pre-queue fed, and each of its claims holds the place the seed (and
   * beacon) give it; answers that order.
   */
  static List<String> assertPlacesFollowTheSeed(Campaign c, Fed fed) {
    Draws.Stored draw = Draws.load(fixture.pool, c.id(), c.rounds().get(0).opensAtMs()).await().orElseThrow();
    assertThat(draw.size()).isEqualTo(fed.prequeued().size());
    assertThat(draw.listHash()).isEqualTo(Draw.listHash(fed.prequeued()));
    List<String> order = Draw.order(draw.seed(), draw.beaconValue(), fed.prequeued());
    Map<String, Integer> places = places(c.id());
    assertThat(places).hasSize(fed.prequeued().size());
    for (int i = 0; i < order.size(); i++) {
      assertThat(places.get(order.get(i))).as("place of " + order.get(i)).isEqualTo(i + 1);
    }
    return order;
  }

  /**
   * The draw as anyone recomputes it from the seed (read here from PostgreSQL, revealed in the
   * log) and the frozen list, and the outcomes the plain rules give in that order, then arrivals.
   */
  static void assertServedInDrawnOrder(Campaign c, List<Claim> before, List<Claim> after, Fed fed) {
    List<String> order = assertPlacesFollowTheSeed(c, fed);
    Map<String, Claim> claimOf = new HashMap<>();
    for (int i = 0; i < before.size(); i++) {
      claimOf.put(fed.prequeued().get(i), before.get(i));
    }
    List<Claim> served = new ArrayList<>(order.stream().map(claimOf::get).toList());
    served.addAll(after);
    List<String> servedTickets = new ArrayList<>(order);
    servedTickets.addAll(fed.after());
    Map<String, Integer> contingents = new HashMap<>();
    c.merchants().forEach(m -> contingents.put(m.id(), m.contingent()));
    List<String> expected = ReferenceModel.decide(contingents, c.limits().perCitizen(), c.limits().perCitizenPerMerchant(), served);
    Map<String, String> actual = fixture.outcomes(c.id());
    assertThat(servedTickets.stream().map(actual::get).toList()).isEqualTo(expected);
    assertThat(fixture.publishedOutcomes(c.id())).isEqualTo(actual);
    fixture.checkInvariants(c, fed.all());
  }

  @Test
  @DisplayName("a pre-queue is held until the opening, then served in the seed's order before every later arrival; the log verifies")
  void servedInDrawnOrder() {
    Campaign c = opening("draw", 2_500, null, 15, 15);
    fixture.apply(c);
    Vertx process = Vertx.vertx();
    try {
      process.deployVerticle(new AllocatorVerticle(fixture.config().withBatchSize(10))).await();
      List<Claim> before = citizens("early", 50, 2);
      List<Claim> after = citizens("late", 20, 2);
      long opens = c.rounds().get(0).opensAtMs();
      List<String> early = fixture.feed(c.id(), before, opens);
      // nothing is decided before the opening
      fixture.vertx.timer(Math.max(0, opens - System.currentTimeMillis() - 300)).await();
      assertThat(fixture.claimRows(c.id())).isZero();
      awaitOpening(opens);
      Fed fed = new Fed(early, fixture.feed(c.id(), after));
      fixture.awaitDecided(c.id(), 70, 20_000);
      fixture.awaitPublished(c.id(), 70, 10_000);
      assertServedInDrawnOrder(c, before, after, fed);
    } finally {
      process.close().await();
    }
  }

  @ParameterizedTest
  @EnumSource(value = FaultHook.Step.class, names = {"AFTER_READ", "BEFORE_COMMIT", "AFTER_COMMIT"})
  @DisplayName("the allocator killed during the draw (its 2nd and 5th batches) and in the first batch after it: the same order, nothing decided twice or lost, the log verifies")
  void killedDuringTheDraw(FaultHook.Step step) throws Exception {
    Campaign c = opening("drawcrash", 2_500, null, 12, 12);
    fixture.apply(c);
    List<Claim> before = citizens("early", 60, 2);
    List<Claim> after = citizens("late", 20, 2);
    AtomicInteger reached = new AtomicInteger();
    CompletableFuture<Void> crashedThrice = new CompletableFuture<>();
    // batches of 10: 6 draw batches, then 2 of arrivals. A crash before the commit redoes its batch
    // (one more step), after it does not: the third crash falls on the first batch after the draw
    int third = step == FaultHook.Step.AFTER_COMMIT ? 7 : 9;
    FaultHook hook = (at, campaignId) -> {
      if (at == step && campaignId.equals(c.id())) {
        int n = reached.incrementAndGet();
        if (n == 2 || n == 5 || n == third) {
          if (n == third) {
            crashedThrice.complete(null);
          }
          throw new IllegalStateException("injected crash at " + at + " (" + n + ")");
        }
      }
    };
    Vertx process = Vertx.vertx();
    try {
      process.deployVerticle(new AllocatorVerticle(fixture.config().withBatchSize(10).withFaults(hook)
          .withElectionRetryMs(300))).await();
      Fed fed = feed(c, before, after);
      crashedThrice.get(30, TimeUnit.SECONDS);
      fixture.awaitDecided(c.id(), 80, 30_000);
      fixture.awaitPublished(c.id(), 80, 10_000);
      assertServedInDrawnOrder(c, before, after, fed);
    } finally {
      process.close().await();
    }
  }

  @Test
  @DisplayName("Redis loses the campaign's state during the draw: the rest of the draw is served from PostgreSQL's list, "
      + "in the same order; no seq is given out twice; every citizen's and shop's waiting count ends at zero")
  void redisLostDuringTheDraw() throws Exception {
    Campaign c = opening("drawloss", 2_500, null, 12, 12);
    fixture.apply(c);
    List<Claim> before = citizens("early", 60, 2);
    List<Claim> after = citizens("late", 10, 2);
    AtomicInteger reached = new AtomicInteger();
    CompletableFuture<Void> crashed = new CompletableFuture<>();
    FaultHook hook = (at, campaignId) -> {
      if (at == FaultHook.Step.AFTER_COMMIT && campaignId.equals(c.id()) && reached.incrementAndGet() == 2) {
        crashed.complete(null);
        throw new IllegalStateException("injected crash after the draw's second batch");
      }
    };
    Vertx process = Vertx.vertx();
    try {
      process.deployVerticle(new AllocatorVerticle(fixture.config().withBatchSize(10).withFaults(hook)
          .withElectionRetryMs(1_000))).await();
      long opens = c.rounds().get(0).opensAtMs();
      List<String> early = fixture.feed(c.id(), before, opens);
      crashed.get(30, TimeUnit.SECONDS);
      // the leader is down: Redis forgets the campaign (its stream, its records, its outcomes)
      claimgate.redis.CampaignKeys keys = new claimgate.redis.CampaignKeys(c.id());
      io.vertx.redis.client.Request unlink = io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.UNLINK);
      keys.all().forEach(unlink::arg);
      fixture.redis.send(unlink).await();
      // the next leader restores Redis from PostgreSQL; arrivals after the opening come once it is open again
      long deadline = System.currentTimeMillis() + 20_000;
      // the gate names the server once the rebuild is done (it names RESTORING while it runs)
      while (!isOpen(fixture.redis.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.HGET)
          .arg(keys.config()).arg(claimgate.redis.CampaignKeys.SERVER)).await())) {
        if (System.currentTimeMillis() > deadline) {
          throw new AssertionError("Redis was not restored");
        }
        fixture.vertx.timer(50).await();
      }
      long floor = Long.parseLong(fixture.redis.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.HGET)
          .arg(keys.config()).arg(claimgate.redis.CampaignKeys.SEQ)).await().toString());
      assertThat(floor).as("the seq floor covers the frozen list").isGreaterThanOrEqualTo(60);
      Fed fed = new Fed(early, fixture.feed(c.id(), after));
      fixture.awaitDecided(c.id(), 70, 30_000);
      fixture.awaitPublished(c.id(), 70, 10_000);
      assertPlacesFollowTheSeed(c, fed);
      fixture.checkInvariants(c, fed.all());
      // nothing stays counted as waiting: the decided places were not counted again, the rest released
      io.vertx.redis.client.Response citizens = fixture.redis.send(io.vertx.redis.client.Request.cmd(
          io.vertx.redis.client.Command.HGETALL).arg(keys.citizens())).await();
      for (String citizen : citizens.getKeys()) {
        assertThat(citizens.get(citizen).toString()).as("record of " + citizen).startsWith("0|");
      }
      io.vertx.redis.client.Response shops = fixture.redis.send(io.vertx.redis.client.Request.cmd(
          io.vertx.redis.client.Command.HGETALL).arg(keys.merchants())).await();
      for (String shop : shops.getKeys()) {
        assertThat(shops.get(shop).toString()).as("record of " + shop).endsWith("|0");
      }
    } finally {
      process.close().await();
    }
  }

  private static boolean isOpen(io.vertx.redis.client.Response server) {
    return server != null && !server.toString().equals(claimgate.redis.RedisRestore.RESTORING);
  }

  @Test
  @DisplayName("a draw that names outside randomness waits for it, then takes it in: the order follows seed and beacon")
  void waitsForTheBeacon() {
    Campaign c = opening("beacon", 2_500, "drand round at the opening", 5, 5);
    fixture.apply(c);
    Vertx process = Vertx.vertx();
    try {
      process.deployVerticle(new AllocatorVerticle(fixture.config().withBatchSize(10))).await();
      List<Claim> before = citizens("early", 20, 2);
      assertThat(Draws.enterBeacon(fixture.pool, c.id(), c.rounds().get(0).opensAtMs(), "too early").await())
          .as("refused before the pre-queue is frozen").isFalse();
      Fed fed = feed(c, before, List.of());
      while (!Draws.load(fixture.pool, c.id(), c.rounds().get(0).opensAtMs()).await().orElseThrow().frozen()) {
        fixture.vertx.timer(20).await();
      }
      fixture.vertx.timer(300).await();
      assertThat(fixture.claimRows(c.id())).as("nothing decided before the beacon is entered").isZero();
      assertThat(Draws.enterBeacon(fixture.pool, c.id(), c.rounds().get(0).opensAtMs(), "0f1e2d3c").await()).isTrue();
      assertThat(Draws.enterBeacon(fixture.pool, c.id(), c.rounds().get(0).opensAtMs(), "another").await())
          .as("entered once").isFalse();
      fixture.awaitDecided(c.id(), 20, 20_000);
      fixture.awaitPublished(c.id(), 20, 10_000);
      Draws.Stored draw = Draws.load(fixture.pool, c.id(), c.rounds().get(0).opensAtMs()).await().orElseThrow();
      assertThat(draw.beaconValue()).isEqualTo("0f1e2d3c");
      assertThat(Draw.order(draw.seed(), "0f1e2d3c", fed.prequeued()))
          .as("the beacon changes the order").isNotEqualTo(Draw.order(draw.seed(), null, fed.prequeued()));
      assertServedInDrawnOrder(c, before, List.of(), fed);
    } finally {
      process.close().await();
    }
  }
}
