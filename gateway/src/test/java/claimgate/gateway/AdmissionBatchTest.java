package claimgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.admission.Admission;
import claimgate.admission.AdmissionScript;
import claimgate.campaign.Campaign;
import claimgate.redis.CampaignKeys;
import claimgate.redis.CitizenRecord;
import claimgate.redis.PipelinedRedis;
import claimgate.testkit.Campaigns;
import claimgate.testkit.TestServers;
import io.vertx.core.Future;
import io.vertx.core.Promise;
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
 * Batched admission answers each claim exactly as admitting the claims one by one would: twin
 * campaigns get the same claims, one in a single call, the other a call per claim, and every
 * answer (repeats, conflicts, the kill switch, sold out, full queues, pending caps, the address
 * bucket, admitted with its seq) must match, and match what the contract says. Invariant 4 for
 * every claim of a batch: a pause refuses every new claim in it, while repeats keep their ticket.
 */
@ExtendWith(VertxExtension.class)
class AdmissionBatchTest {

  record Step(String citizen, String merchants, String key, String address) {
    AdmissionScript.Claim claim() {
      return new AdmissionScript.Claim(citizen, merchants, CitizenRecord.requestId(key, merchants),
          CitizenRecord.fingerprint(merchants), "", address);
    }
  }

  static Campaign twin(String stem) {
    Campaign base = Campaigns.open(Campaigns.uniqueId(stem), 2, 1, 2, 0, 5);
    // queue at most what a shop can still serve; each address 4 attempts, refilled slowly
    return base.withAdmission(new Campaign.Admission(1_000_000, 1_000_000, 2, 1.0, 1, 4));
  }

  static List<String> kinds(List<Admission> answers) {
    return answers.stream().map(a -> a instanceof Admission.Queued q
        ? (q.repeat() ? "repeat:" : "queued:") + q.generation() + ":" + q.seq()
        : a.getClass().getSimpleName()).toList();
  }

  @Test
  @DisplayName("a batch mixing repeats, a conflict, sold out, a full queue, a pending cap, an address past its bucket and admissions answers as one-by-one admission does")
  void batchEqualsOneByOne(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx);
    PipelinedRedis redis = new PipelinedRedis(vertx, TestServers.redisUrl());
    Campaign batched = gw.apply(twin("batch"));
    Campaign single = gw.apply(twin("single"));
    List<Step> steps = new ArrayList<>(List.of(
        new Step("ana", "m0", "k1", "10.0.0.1"),
        new Step("ana", "m0", "k1", "10.0.0.2"),
        new Step("ana", "m2", "k1", "10.0.0.3"),
        new Step("bo", "m1", null, "10.0.0.4"),
        new Step("cai", "m0", null, "10.0.0.5"),
        new Step("dan", "m0", null, "10.0.0.6"),
        new Step("ana", "m2", "k2", "10.0.0.7"),
        new Step("ana", "m2", "k3", "10.0.0.8")));
    for (int i = 0; i < 5; i++) {
      steps.add(new Step("bot-" + i, "m2", null, "10.0.0.99"));
    }
    List<AdmissionScript.Claim> claims = steps.stream().map(Step::claim).toList();

    AdmissionScript script = new AdmissionScript(redis);
    List<Admission> inOneCall = admit(script, batched.id(), claims, true);
    List<Admission> oneByOne = admit(script, single.id(), claims, false);

    assertThat(kinds(inOneCall)).isEqualTo(kinds(oneByOne));
    // the records written: a citizen never seen, admitted twice in the one batch (ana), included
    assertThat(hash(redis, new CampaignKeys(batched.id()).citizens()))
        .isEqualTo(hash(redis, new CampaignKeys(single.id()).citizens()));
    assertThat(kinds(oneByOne)).containsExactly(
        "queued:1:1", "repeat:1:1", "Conflict", "SoldOut", "queued:1:2", "Throttled", "queued:1:3", "TooManyPending",
        "queued:1:4", "queued:1:5", "queued:1:6", "queued:1:7", "Throttled");
    redis.close().await();
  }

  @Test
  @DisplayName("paused: every new claim of a batch is refused, a repeat of an admitted claim gets its ticket, in one call or one by one")
  void pausedBatch(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx);
    PipelinedRedis redis = new PipelinedRedis(vertx, TestServers.redisUrl());
    AdmissionScript script = new AdmissionScript(redis);
    List<List<String>> answers = new ArrayList<>();
    for (String stem : List.of("pbatch", "psingle")) {
      Campaign c = gw.apply(twin(stem));
      Step first = new Step("ana", "m2", "k1", "10.0.1.1");
      assertThat(kinds(script.admit(c.id(), List.of(first.claim())).await())).containsExactly("queued:1:1");
      redis.send(Request.cmd(Command.HSET).arg(new CampaignKeys(c.id()).config()).arg(CampaignKeys.PAUSED).arg("1")).await();
      List<AdmissionScript.Claim> claims = List.of(first.claim(), new Step("bo", "m2", null, "10.0.1.2").claim(),
          new Step("ana", "m2", "k2", "10.0.1.3").claim());
      answers.add(kinds(admit(script, c.id(), claims, stem.equals("pbatch"))));
    }
    assertThat(answers.get(0)).isEqualTo(answers.get(1)).containsExactly("repeat:1:1", "Paused", "Paused");
    redis.close().await();
  }

  @Test
  @DisplayName("citizens who already hold vouchers, later choices, sold-out shops and a second claim of one citizen: the same answers, citizens' records and shops' queues in one call as one by one")
  void holdingsAndLaterChoices(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx);
    PipelinedRedis redis = new PipelinedRedis(vertx, TestServers.redisUrl());
    AdmissionScript script = new AdmissionScript(redis);
    List<Step> steps = List.of(
        new Step("held-one", "m0,m1", "k1", "10.0.2.1"),   // may hold no second at m0: queued at m1
        new Step("held-two", "m0,m1", "k1", "10.0.2.2"),   // holds one at each: limit
        new Step("held-all", "m3", "k1", "10.0.2.3"),      // holds the three a citizen may: limit
        new Step("new-one", "m2,m3", "k1", "10.0.2.4"),    // m2 has none: queued at m3
        new Step("new-two", "m2", "k1", "10.0.2.5"),       // sold out
        new Step("held-one", "m3", "k2", "10.0.2.6"),      // a second claim of one citizen: queued
        new Step("held-one", "m0,m1", "k1", "10.0.2.7"),   // a repeat of the first
        new Step("new-three", "m1,m0", "k1", "10.0.2.8"));
    List<List<String>> answers = new ArrayList<>();
    List<java.util.Map<String, String>> citizens = new ArrayList<>();
    List<java.util.Map<String, String>> merchants = new ArrayList<>();
    for (String stem : List.of("hbatch", "hsingle")) {
      Campaign c = gw.apply(Campaigns.open(Campaigns.uniqueId(stem), 3, 1, 5, 5, 0, 5)
          .withAdmission(new Campaign.Admission(1_000_000, 1_000_000, 3, 3.0, 1_000, 1_000)));
      CampaignKeys keys = new CampaignKeys(c.id());
      // what the allocator published: vouchers these citizens hold
      redis.send(Request.cmd(Command.HSET).arg(keys.citizens())
          .arg("held-one").arg(new CitizenRecord(0, 1, java.util.Map.of("m0", 1)).encode())
          .arg("held-two").arg(new CitizenRecord(0, 2, new java.util.TreeMap<>(java.util.Map.of("m0", 1, "m1", 1))).encode())
          .arg("held-all").arg(new CitizenRecord(0, 3, new java.util.TreeMap<>(java.util.Map.of("m0", 1, "m1", 1, "m3", 1))).encode()))
          .await();
      List<AdmissionScript.Claim> claims = steps.stream().map(Step::claim).toList();
      answers.add(kinds(admit(script, c.id(), claims, stem.equals("hbatch"))));
      citizens.add(hash(redis, keys.citizens()));
      merchants.add(hash(redis, keys.merchants()));
    }
    assertThat(answers.get(0)).isEqualTo(answers.get(1)).containsExactly(
        "queued:1:1", "LimitReached", "LimitReached", "queued:1:2", "SoldOut", "queued:1:3", "repeat:1:1", "queued:1:4");
    assertThat(citizens.get(0)).isEqualTo(citizens.get(1));
    assertThat(CitizenRecord.decode(citizens.get(0).get("held-one")))
        .satisfies(r -> assertThat(r.pending()).isEqualTo(2))
        .satisfies(r -> assertThat(r.heldAt()).containsEntry("m0", 1))
        .satisfies(r -> assertThat(r.requests()).extracting(CitizenRecord.Request::seq).containsExactly(1L, 3L));
    // the queues each claim was counted in: m1 (held-one's first, new-three's), m3 (new-one's, held-one's second)
    assertThat(merchants.get(0)).isEqualTo(merchants.get(1));
    assertThat(merchants.get(0).get("m1")).endsWith("|2");
    assertThat(merchants.get(0).get("m3")).endsWith("|2");
    assertThat(merchants.get(0).get("m0")).endsWith("|0");
    redis.close().await();
  }

  /** The answers to {@code claims}, in one call or in a call each. */
  @Test
  @DisplayName("two batches in flight on a connection with the script not cached yet: no batch falls back behind the other, and seqs follow the order sent")
  void twoBatchesInFlightOnANewConnection(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx);
    Campaign c = gw.apply(Campaigns.open(Campaigns.uniqueId("inflight"), 9, 3, 100, 100, 100));
    PipelinedRedis redis = new PipelinedRedis(vertx, TestServers.redisUrl());
    AdmissionScript script = new AdmissionScript(redis);
    for (String round : List.of("first connection", "a connection after a drop")) {
      // Redis forgets its scripts (a restart does that) and the script's connection is new
      gw.redis(Request.cmd(Command.SCRIPT).arg("FLUSH"));
      gw.redis(Request.cmd(Command.CLIENT).arg("KILL").arg("TYPE").arg("normal").arg("SKIPME").arg("yes"));
      long evalsBefore = evals(gw);
      List<AdmissionScript.Claim> first = List.of(new Step(round + "-a", "m0", null, "10.0.1.1").claim(),
          new Step(round + "-b", "m1", null, "10.0.1.2").claim());
      List<AdmissionScript.Claim> second = List.of(new Step(round + "-c", "m2", null, "10.0.1.3").claim());
      long deadline = System.currentTimeMillis() + 5_000;
      while (redis.serverId() != null && System.currentTimeMillis() < deadline) {
        vertx.timer(10).await();
      }
      // both sent in one turn of the event loop, the second before the first is answered
      Promise<List<Future<List<Admission>>>> sent = Promise.promise();
      vertx.getOrCreateContext().runOnContext(v -> sent.complete(List.of(script.admit(c.id(), first), script.admit(c.id(), second))));
      List<Future<List<Admission>>> futures = sent.future().await();
      List<List<Admission>> answers = Future.all(futures).map(all -> futures.stream().map(Future::result).toList()).await();
      List<Long> seqs = answers.stream().flatMap(List::stream)
          .map(a -> ((Admission.Queued) a).seq()).toList();
      assertThat(seqs).as(round).isSorted().doesNotHaveDuplicates().hasSize(3);
      assertThat(evals(gw)).as("%s: batches sent again in full (EVAL) after NOSCRIPT", round).isEqualTo(evalsBefore);
    }
    redis.close().await();
  }

  private static long evals(GatewayFixture gw) {
    // absent until Redis has run an EVAL
    return gw.redisInfo("commandstats", "cmdstat_eval:calls=(\\d+)").orElse(0);
  }

  @Test
  @DisplayName("an address's bucket: its burst passes at one instant whatever the rate's interval, the next claim waits one interval; a bucket left with one token lets one claim through")
  void addressBucketAtOneInstant(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx);
    PipelinedRedis redis = new PipelinedRedis(vertx, TestServers.redisUrl());
    AdmissionScript script = new AdmissionScript(redis);
    Campaign base = Campaigns.open(Campaigns.uniqueId("instant"), 9, 3, 1_000);
    // 7 a second: an interval of 142.857... ms, no whole number of anything
    Campaign c = gw.apply(base.withAdmission(new Campaign.Admission(1_000_000, 1_000_000, 9, null, 7, 3)));
    List<AdmissionScript.Claim> burst = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      burst.add(new Step("cell-" + i, "m0", null, "10.0.3.1").claim());
    }
    List<Admission> answers = script.admit(c.id(), burst).await();
    assertThat(kinds(answers)).as("one call, one instant").containsExactly("queued:1:1", "queued:1:2", "queued:1:3",
        "Throttled");
    assertThat(((Admission.Throttled) answers.get(3)).retryAfterMs()).as("one interval, 1000 / 7 ms rounded up")
        .isEqualTo(143);

    // a bucket left with one token (its field as the script writes it), stamped a minute ahead so
    // that no refill comes before the claims, however slow the machine
    String buckets = new CampaignKeys(c.id()).buckets();
    io.vertx.redis.client.Response time = redis.send(Request.cmd(Command.TIME)).await();
    long nowMs = time.get(0).toLong() * 1000 + time.get(1).toLong() / 1000;
    redis.send(Request.cmd(Command.HSET).arg(buckets).arg("10.0.3.2").arg("1:" + (nowMs + 60_000))).await();
    List<AdmissionScript.Claim> two = List.of(new Step("lvl-0", "m0", null, "10.0.3.2").claim(),
        new Step("lvl-1", "m0", null, "10.0.3.2").claim());
    assertThat(kinds(script.admit(c.id(), two).await())).as("one token left of three").containsExactly("queued:1:4",
        "Throttled");
    redis.close().await();
  }

  @Test
  @DisplayName("no client address names the campaign's own bucket: claims from '~' or 'bucket' draw only their own, and the campaign's is kept in the campaign hash")
  void noAddressNamesTheCampaignsBucket(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx);
    PipelinedRedis redis = new PipelinedRedis(vertx, TestServers.redisUrl());
    AdmissionScript script = new AdmissionScript(redis);
    Campaign base = Campaigns.open(Campaigns.uniqueId("names"), 9, 3, 1_000);
    // the campaign's bucket holds 100 at once; an address's, 1 (the next a second later)
    Campaign c = gw.apply(base.withAdmission(new Campaign.Admission(1, 100, 9, null, 1, 1)));
    for (String address : List.of("~", "bucket")) {
      List<AdmissionScript.Claim> two = List.of(new Step(address + "-0", "m0", null, address).claim(),
          new Step(address + "-1", "m0", null, address).claim());
      List<Admission> answers = script.admit(c.id(), two).await();
      assertThat(answers.get(0)).as(address).isInstanceOf(Admission.Queued.class);
      assertThat(answers.get(1)).as("%s: the address's own bucket is spent", address).isInstanceOf(Admission.Throttled.class);
    }
    CampaignKeys keys = new CampaignKeys(c.id());
    assertThat(hash(redis, keys.buckets())).containsOnlyKeys("~", "bucket");
    String campaignBucket = hash(redis, keys.config()).get(CampaignKeys.BUCKET);
    assertThat(Double.parseDouble(campaignBucket.split(":")[0])).as("two claims queued of 100")
        .isGreaterThanOrEqualTo(98).isLessThan(99);
    redis.close().await();
  }

  private static List<Admission> admit(AdmissionScript script, String campaignId, List<AdmissionScript.Claim> claims,
      boolean inOneCall) {
    if (inOneCall) {
      return script.admit(campaignId, claims).await();
    }
    List<Admission> result = new ArrayList<>();
    for (AdmissionScript.Claim claim : claims) {
      result.add(script.admit(campaignId, List.of(claim)).await().get(0));
    }
    return result;
  }

  private static java.util.Map<String, String> hash(PipelinedRedis redis, String key) {
    java.util.Map<String, String> out = new java.util.TreeMap<>();
    io.vertx.redis.client.Response r = redis.send(Request.cmd(Command.HGETALL).arg(key)).await();
    for (String field : r.getKeys()) {
      out.put(field, r.get(field).toString());
    }
    return out;
  }
}
