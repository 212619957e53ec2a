package claimgate.allocation;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.allocation.AllocatorFixture.Claim;
import claimgate.campaign.Campaign;
import claimgate.testkit.Campaigns;
import claimgate.testkit.TestServers;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
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
 * Invariants 2, 3 and 5 under faults: a crash at every step of a batch, two allocators racing,
 * the leader killed, a stale leader fenced. Also rounds and eligibility.
 */
@ExtendWith(VertxExtension.class)
class AllocatorFaultTest {

  static AllocatorFixture fixture;

  @BeforeAll
  static void start(Vertx vertx) {
    fixture = new AllocatorFixture(vertx);
  }

  static List<Claim> claims(int count, int citizens, int merchants) {
    List<Claim> claims = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      claims.add(new Claim("c" + (i % citizens), List.of("m" + (i % merchants), "m" + ((i + 1) % merchants))));
    }
    return claims;
  }

  static List<String> expected(Campaign campaign, List<Claim> claims) {
    Map<String, Integer> contingents = new HashMap<>();
    campaign.merchants().forEach(m -> contingents.put(m.id(), m.contingent()));
    return ReferenceModel.decide(contingents, campaign.limits().perCitizen(), campaign.limits().perCitizenPerMerchant(), claims);
  }

  static void assertDecidedAsModelled(Campaign campaign, List<Claim> claims, List<String> tickets) {
    fixture.checkInvariants(campaign, tickets);
    Map<String, String> actual = fixture.outcomes(campaign.id());
    assertThat(tickets.stream().map(actual::get).toList()).isEqualTo(expected(campaign, claims));
    assertThat(fixture.publishedOutcomes(campaign.id())).isEqualTo(actual);
  }

  @ParameterizedTest
  @EnumSource(value = FaultHook.Step.class, names = {"AFTER_READ", "BEFORE_COMMIT", "AFTER_COMMIT"})
  @DisplayName("a crash at any step of a batch (read, before commit, after commit): restart resumes with no claim decided twice or skipped, nothing published uncommitted")
  void crashAtEveryStep(FaultHook.Step step) throws Exception {
    Campaign campaign = Campaigns.open(Campaigns.uniqueId("crash"), 2, 1, 20, 20);
    fixture.apply(campaign);
    List<Claim> claims = claims(100, 50, 2);
    List<String> tickets = fixture.feed(campaign.id(), claims);

    AtomicInteger reached = new AtomicInteger();
    CompletableFuture<Void> crashed = new CompletableFuture<>();
    FaultHook hook = (at, campaignId) -> {
      if (at == step && campaignId.equals(campaign.id()) && reached.incrementAndGet() == 2) {
        crashed.complete(null);
        throw new IllegalStateException("injected crash at " + at);
      }
    };
    Vertx process = Vertx.vertx();
    try {
      process.deployVerticle(new AllocatorVerticle(fixture.config().withBatchSize(10).withFaults(hook)
          .withBlockMs(20).withElectionRetryMs(2_000).withDiscoveryMs(100))).await();
      crashed.get(20, TimeUnit.SECONDS);
      // the allocator is down now (it rejoins after 2 s): look at what the crash left
      long committed = fixture.claimRows(campaign.id());
      long published = fixture.publishedSeq(campaign.id());
      assertThat(committed).isEqualTo(step == FaultHook.Step.AFTER_COMMIT ? 20 : 10);
      // batch 2 died before its publication: at most batch 1 is published, and only committed outcomes
      assertThat(published).as("nothing is published before its commit").isLessThanOrEqualTo(10);
      Map<String, String> committedOutcomes = fixture.outcomes(campaign.id());
      assertThat(committedOutcomes).containsAllEntriesOf(fixture.publishedOutcomes(campaign.id()));
      assertThat(fixture.publishedOutcomes(campaign.id())).hasSizeLessThanOrEqualTo(10);

      fixture.awaitDecided(campaign.id(), tickets.size(), 30_000);
      fixture.awaitPublished(campaign.id(), tickets.size(), 10_000);
      assertDecidedAsModelled(campaign, claims, tickets);
    } finally {
      process.close().await();
    }
  }

  @Test
  @DisplayName("two allocators started together: one commits; the leader killed, the standby continues")
  void failover() {
    Campaign campaign = Campaigns.open(Campaigns.uniqueId("failover"), 3, 2, 40, 40, 40);
    fixture.apply(campaign);
    Vertx first = Vertx.vertx();
    Vertx second = Vertx.vertx();
    try {
      AllocatorVerticle a = new AllocatorVerticle(fixture.config(), "first");
      AllocatorVerticle b = new AllocatorVerticle(fixture.config(), "second");
      first.deployVerticle(a).await();
      second.deployVerticle(b).await();
      List<Claim> claims = claims(200, 60, 3);
      List<String> tickets = new ArrayList<>(fixture.feed(campaign.id(), claims.subList(0, 100)));
      fixture.awaitDecided(campaign.id(), 100, 20_000);
      assertThat(epochs(campaign.id())).hasSize(1);
      assertThat(a.leads(campaign.id()) ^ b.leads(campaign.id())).as("exactly one leads").isTrue();

      Vertx leader = a.leads(campaign.id()) ? first : second;
      long killedAt = System.nanoTime();
      leader.close().await();
      tickets.addAll(fixture.feed(campaign.id(), claims.subList(100, 200)));
      fixture.awaitDecided(campaign.id(), 200, 10_000);
      long takeoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      System.out.println("standby took over and decided 100 claims " + takeoverMs + " ms after the leader died");
      fixture.awaitPublished(campaign.id(), 200, 10_000);
      assertThat(epochs(campaign.id())).hasSize(2);
      assertDecidedAsModelled(campaign, claims, tickets);
    } finally {
      first.close().await();
      second.close().await();
    }
  }

  @Test
  @DisplayName("a leader cut off from PostgreSQL without a FIN loses the lead within its lease; the standby leads; nothing commits twice")
  void silentLeaderLosesTheLead() {
    Campaign campaign = Campaigns.open(Campaigns.uniqueId("silent"), 3, 2, 40, 40, 40);
    fixture.apply(campaign);
    var direct = TestServers.database().options();
    SilentLink link = SilentLink.to(fixture.vertx, direct.getHost(), direct.getPort());
    claimgate.store.Database throughLink = new claimgate.store.Database(
        new io.vertx.pgclient.PgConnectOptions(direct).setPort(link.port()));
    long leaseMs = 1_500;
    AllocatorConfig leaderConfig = AllocatorConfig.of(TestServers.redisUrl(), throughLink, AllocatorFixture.CODES)
        .withBlockMs(20).withElectionRetryMs(200).withDiscoveryMs(100).withLease(300, leaseMs);
    Vertx first = Vertx.vertx();
    Vertx second = Vertx.vertx();
    try {
      AllocatorVerticle cutOff = new AllocatorVerticle(leaderConfig, "cut-off");
      first.deployVerticle(cutOff).await();
      List<Claim> claims = claims(120, 40, 3);
      List<String> tickets = new ArrayList<>(fixture.feed(campaign.id(), claims.subList(0, 60)));
      fixture.awaitDecided(campaign.id(), 60, 20_000);
      AllocatorVerticle standby = new AllocatorVerticle(fixture.config().withLease(300, leaseMs), "standby");
      second.deployVerticle(standby).await();
      assertThat(first.<Boolean>executeBlocking(() -> cutOff.leads(campaign.id())).await()).isTrue();
      long leaderEpoch = epochs(campaign.id()).get(0);

      long cutAt = System.nanoTime();
      link.cut();
      tickets.addAll(fixture.feed(campaign.id(), claims.subList(60, 120)));
      fixture.awaitDecided(campaign.id(), 120, 20_000);
      long takeoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt);
      System.out.println("a silent leader lost the lead; the standby decided 60 claims " + takeoverMs + " ms after the cut");
      assertThat(takeoverMs).as("the lease bounds how long a silent leader blocks the campaign").isLessThan(leaseMs + 8_000);
      long lateCommits = fixture.pool.preparedQuery("select count(*) from claim where ticket = any($1) and writer_epoch = $2")
          .execute(Tuple.of(tickets.subList(60, 120).toArray(String[]::new), leaderEpoch)).await().iterator().next().getLong(0);
      assertThat(lateCommits).as("claims committed by the cut-off leader after the cut").isZero();
      fixture.awaitPublished(campaign.id(), 120, 10_000);
      assertDecidedAsModelled(campaign, claims, tickets);
    } finally {
      first.close().await();
      second.close().await();
      link.close();
    }
  }

  @Test
  @DisplayName("a stale leader's commit is refused by the epoch fence")
  void staleLeaderIsFenced() {
    Campaign campaign = Campaigns.open(Campaigns.uniqueId("fence"), 3, 2, 30, 30);
    fixture.apply(campaign);
    Vertx process = Vertx.vertx();
    try {
      process.deployVerticle(new AllocatorVerticle(fixture.config())).await();
      List<Claim> claims = claims(60, 20, 2);
      List<String> tickets = new ArrayList<>(fixture.feed(campaign.id(), claims.subList(0, 30)));
      fixture.awaitDecided(campaign.id(), 30, 20_000);
      long leaderEpoch = epochs(campaign.id()).get(0);
      // another allocator was elected while this one was paused: the epoch moved on
      long newerEpoch = fixture.pool.preparedQuery(
              "update campaign set writer_epoch = writer_epoch + 1 where id = $1 returning writer_epoch")
          .execute(Tuple.of(campaign.id())).await().iterator().next().getLong(0);
      assertThat(newerEpoch).isGreaterThan(leaderEpoch);
      List<String> late = fixture.feed(campaign.id(), claims.subList(30, 60));
      tickets.addAll(late);
      fixture.awaitDecided(campaign.id(), 60, 20_000);
      long staleCommits = fixture.pool.preparedQuery(
              "select count(*) from claim where ticket = any($1) and writer_epoch <= $2")
          .execute(Tuple.of(late.toArray(String[]::new), newerEpoch)).await().iterator().next().getLong(0);
      assertThat(staleCommits).as("claims committed under a superseded epoch").isZero();
      fixture.awaitPublished(campaign.id(), 60, 10_000);
      assertDecidedAsModelled(campaign, claims, tickets);
    } finally {
      process.close().await();
    }
  }

  @Test
  @DisplayName("rounds release their share at opensAt, judged at admission time; claims between rounds get round_closed")
  void rounds() {
    long t0 = System.currentTimeMillis() - 3_600_000;
    java.time.OffsetDateTime base = java.time.Instant.ofEpochMilli(t0).atOffset(java.time.ZoneOffset.UTC);
    Campaign campaign = Campaigns.build(Campaigns.uniqueId("rounds"), 9, 9, List.of(
        new Campaign.Round(base, base.plusSeconds(10), 0.5),
        new Campaign.Round(base.plusSeconds(20), base.plusSeconds(30), 0.5)), 4);
    fixture.apply(campaign);
    List<Claim> claims = List.of(
        new Claim("a", List.of("m0"), t0 + 1_000), new Claim("b", List.of("m0"), t0 + 2_000),
        new Claim("c", List.of("m0"), t0 + 3_000), new Claim("d", List.of("m0"), t0 + 15_000),
        new Claim("e", List.of("m0"), t0 + 21_000), new Claim("f", List.of("m0"), t0 + 22_000),
        new Claim("g", List.of("m0"), t0 + 23_000), new Claim("h", List.of("m0"), t0 + 40_000));
    Vertx process = Vertx.vertx();
    try {
      process.deployVerticle(new AllocatorVerticle(fixture.config())).await();
      List<String> tickets = fixture.feed(campaign.id(), claims);
      fixture.awaitDecided(campaign.id(), tickets.size(), 20_000);
      Map<String, String> out = fixture.outcomes(campaign.id());
      assertThat(tickets.stream().map(out::get).toList()).containsExactly(
          "confirmed:m0", "confirmed:m0", "rejected:sold_out", "rejected:round_closed",
          "confirmed:m0", "confirmed:m0", "rejected:sold_out", "rejected:round_closed");
      fixture.checkInvariants(campaign, tickets);
      assertThat(fixture.pool.preparedQuery("select released, issued from merchant where campaign_id = $1")
          .execute(Tuple.of(campaign.id())).await().iterator().next().toJson().encode())
          .isEqualTo("{\"released\":4,\"issued\":4}");
    } finally {
      process.close().await();
    }
  }

  @Test
  @DisplayName("citizens missing from the eligibility list or below its tier are rejected not_eligible")
  void eligibility() {
    Campaign base = Campaigns.open(Campaigns.uniqueId("elig"), 9, 3, 10);
    Campaign campaign = new Campaign(base.id(), base.name(), base.currency(), base.voucherValue(), base.validDays(),
        base.limits(), new Campaign.Eligibility("eligible.csv", 2, null), base.admission(), base.rounds(), base.merchants());
    fixture.apply(campaign, Map.of("silver", 2, "bronze", 1));
    Vertx process = Vertx.vertx();
    try {
      process.deployVerticle(new AllocatorVerticle(fixture.config())).await();
      List<String> tickets = fixture.feed(campaign.id(), List.of(
          new Claim("silver", List.of("m0")), new Claim("bronze", List.of("m0")), new Claim("nobody", List.of("m0"))));
      fixture.awaitDecided(campaign.id(), 3, 20_000);
      Map<String, String> out = fixture.outcomes(campaign.id());
      assertThat(tickets.stream().map(out::get).toList())
          .containsExactly("confirmed:m0", "rejected:not_eligible", "rejected:not_eligible");
    } finally {
      process.close().await();
    }
  }

  @Test
  @DisplayName("a change to the eligibility list alone reaches the leader: a citizen added to the list is confirmed, one removed is not")
  void eligibilityListChange() {
    Campaign base = Campaigns.open(Campaigns.uniqueId("elig-change"), 9, 3, 10);
    Campaign campaign = new Campaign(base.id(), base.name(), base.currency(), base.voucherValue(), base.validDays(),
        base.limits(), new Campaign.Eligibility("eligible.csv", null, null), base.admission(), base.rounds(), base.merchants());
    fixture.apply(campaign, Map.of("early", 0, "leaving", 0));
    Vertx process = Vertx.vertx();
    try {
      process.deployVerticle(new AllocatorVerticle(fixture.config())).await();
      List<String> first = fixture.feed(campaign.id(), List.of(new Claim("early", List.of("m0"))));
      fixture.awaitDecided(campaign.id(), 1, 20_000);
      // the same document, another list: as an operator's campaign apply writes it
      long version = new claimgate.campaign.CampaignStore(fixture.pool)
          .apply(campaign, java.util.Optional.of(Map.of("early", 0, "newcomer", 0))).await();
      claimgate.redis.CampaignRedis.configure(fixture.redis, campaign, version,
          java.util.Optional.of(Map.of("early", 0, "newcomer", 0))).await();
      List<String> later = fixture.feed(campaign.id(), List.of(new Claim("newcomer", List.of("m0")),
          new Claim("leaving", List.of("m0"))));
      fixture.awaitDecided(campaign.id(), 3, 20_000);
      Map<String, String> out = fixture.outcomes(campaign.id());
      assertThat(out.get(first.get(0))).isEqualTo("confirmed:m0");
      assertThat(later.stream().map(out::get).toList()).containsExactly("confirmed:m0", "rejected:not_eligible");
    } finally {
      process.close().await();
    }
  }

  @Test
  @DisplayName("vouchers are issued and expire by PostgreSQL's clock, the one redemption judges them by: issued in the decision's transaction, valid exactly validDays")
  void voucherTimesArePostgresTimes() {
    Campaign campaign = Campaigns.open(Campaigns.uniqueId("clock"), 9, 3, 20);
    fixture.apply(campaign);
    Vertx process = Vertx.vertx();
    try {
      process.deployVerticle(new AllocatorVerticle(fixture.config())).await();
      fixture.feed(campaign.id(), claims(10, 10, 1));
      fixture.awaitDecided(campaign.id(), 10, 20_000);
      Row times = fixture.pool.preparedQuery("""
          select count(*), bool_and(v.issued_at = c.decided_at),
                 bool_and(v.expires_at - v.issued_at = make_interval(hours => 24 * $2))
          from voucher v join claim c on c.ticket = v.ticket where v.campaign_id = $1""")
          .execute(Tuple.of(campaign.id(), campaign.validDays())).await().iterator().next();
      assertThat(times.getLong(0)).isEqualTo(10);
      assertThat(times.getBoolean(1)).as("issued in the transaction that decided the claim").isTrue();
      assertThat(times.getBoolean(2)).as("valid exactly validDays").isTrue();
    } finally {
      process.close().await();
    }
  }

  private static List<Long> epochs(String campaignId) {
    List<Long> epochs = new ArrayList<>();
    fixture.pool.preparedQuery("select distinct writer_epoch from claim where campaign_id = $1 order by 1")
        .execute(Tuple.of(campaignId)).await().forEach(r -> epochs.add(r.getLong(0)));
    return epochs;
  }
}
