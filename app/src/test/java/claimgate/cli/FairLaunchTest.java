package claimgate.cli;

import static claimgate.system.LiveStack.admin;
import static claimgate.system.LiveStack.awaitFinal;
import static claimgate.system.LiveStack.claim;
import static claimgate.system.LiveStack.create;
import static claimgate.system.LiveStack.get;
import static claimgate.system.LiveStack.send;
import static claimgate.system.PublicLog.indexOf;
import static claimgate.system.PublicLog.rechain;
import static claimgate.system.PublicLog.verify;
import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignFiles;
import claimgate.draw.Draw;
import claimgate.system.LiveStack;
import claimgate.system.PublicLog;
import claimgate.testkit.ApiClient.Reply;
import claimgate.testkit.Campaigns;
import claimgate.verify.LogVerifier;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A fair launch through the whole system (gateway, allocator, real Redis and PostgreSQL): claims
 * before the opening wait in a pre-queue, the draw serves them in the order the committed seed
 * gives before every later arrival, receipts name places, the fairness endpoint reveals the seed,
 * and the verifier finds every way to bend the draw.
 */
class FairLaunchTest {

  static Campaign c;
  static long opensAt;
  static final List<String> prequeued = new ArrayList<>();
  static final List<String> late = new ArrayList<>();
  static List<String> lines;
  static JsonObject fairnessBefore;

  static Campaign withPrequeue(String stem, long opensInMs, int... contingents) {
    OffsetDateTime opens = OffsetDateTime.now(ZoneOffset.UTC).plus(opensInMs, ChronoUnit.MILLIS).truncatedTo(ChronoUnit.MILLIS);
    Campaign base = Campaigns.build(Campaigns.uniqueId(stem), 2, 1, List.of(new Campaign.Round(opens, opens.plusHours(1), 1.0)),
        contingents);
    return base.withAdmission(base.admission().withPrequeue(new Campaign.Prequeue(Duration.ofHours(1), null)));
  }

  static void awaitOpening(long atMs) {
    while (System.currentTimeMillis() < atMs) {
      LiveStack.pause(Math.max(1, Math.min(50, atMs - System.currentTimeMillis())));
    }
  }

  @BeforeAll
  static void launch() {
    // 13 in the pre-queue take 8 at m0 and 5 at m1: the 3 late arrivals are served after them, at m1
    c = create(withPrequeue("fair", 5_000, 8, 8));
    opensAt = c.rounds().get(0).opensAtMs();
    for (int i = 0; i < 12; i++) {
      Reply r = claim(c.id(), "early-" + i, "m0", "m1");
      assertThat(r.status()).as(r.raw().body()).isEqualTo(202);
      assertThat(r.json().getString("status")).isEqualTo("prequeued");
      assertThat(r.json().getJsonObject("prequeue").getLong("size")).isEqualTo(i + 1);
      assertThat(Instant.parse(r.json().getJsonObject("prequeue").getString("drawAt")).toEpochMilli()).isEqualTo(opensAt);
      prequeued.add(r.json().getString("ticket"));
    }
    // with an idempotency key: the repeat answers the same ticket, still prequeued
    Reply keyed = send("POST", "/api/v1/campaigns/" + c.id() + "/claims", null,
        new JsonObject().put("citizenId", "early-keyed").put("merchantIds", List.of("m1")), "key-early");
    Reply repeat = send("POST", "/api/v1/campaigns/" + c.id() + "/claims", null,
        new JsonObject().put("citizenId", "early-keyed").put("merchantIds", List.of("m1")), "key-early");
    assertThat(repeat.status()).isEqualTo(202);
    assertThat(repeat.json().getString("ticket")).isEqualTo(keyed.json().getString("ticket"));
    assertThat(repeat.json().getString("status")).isEqualTo("prequeued");
    prequeued.add(keyed.json().getString("ticket"));
    fairnessBefore = get("/api/v1/campaigns/" + c.id() + "/fairness").json();
    assertThat(get("/api/v1/claims/" + prequeued.get(3)).json().getString("status")).isEqualTo("prequeued");
    awaitOpening(opensAt + 20);
    for (int i = 0; i < 3; i++) {
      Reply r = claim(c.id(), "late-" + i, "m0", "m1");
      // while the draw is served, m0's queue is at its cap: a late claim may be asked to retry
      for (int tries = 0; r.status() == 429 && tries < 100; tries++) {
        LiveStack.pause(100);
        r = claim(c.id(), "late-" + i, "m0", "m1");
      }
      assertThat(r.status()).as(r.raw().body()).isEqualTo(202);
      assertThat(r.json().getString("status")).isEqualTo("queued");
      late.add(r.json().getString("ticket"));
    }
    prequeued.forEach(t -> awaitFinal(t));
    late.forEach(t -> awaitFinal(t));
    lines = PublicLog.export(c.id(), 1000);
  }

  @Test
  @DisplayName("one pre-queue entry per citizen: a second claim while the first waits is 429 too_many_pending")
  void onePerCitizen() {
    Campaign other = create(withPrequeue("fair-one", 60_000, 3, 3));
    assertThat(claim(other.id(), "someone", "m0").status()).isEqualTo(202);
    // another claim (another body), not a repeat of the first
    Reply again = claim(other.id(), "someone", "m1");
    assertThat(again.status()).isEqualTo(429);
    assertThat(again.json().getString("error")).isEqualTo("too_many_pending");
  }

  @Test
  @DisplayName("the draw serves the pre-queue in the order its seed gives, before later arrivals; receipts name places; the log verifies")
  void servedInDrawnOrder() {
    LogVerifier.Result result = verify(lines, CampaignFiles.toJsonObject(c), null);
    assertThat(result.ok()).as(result.message()).isTrue();
    assertThat(result.figures()).containsEntry("draws", 1L).containsEntry("admissions", 16L);

    JsonObject fairness = get("/api/v1/campaigns/" + c.id() + "/fairness").json();
    assertThat(fairnessBefore.getString("seedCommitment")).isEqualTo(fairness.getString("seedCommitment"));
    assertThat(fairnessBefore.containsKey("seed")).as("no seed before the draw").isFalse();
    assertThat(fairnessBefore.containsKey("listHash")).isFalse();
    byte[] seed = Draw.unhex(fairness.getString("seed"));
    assertThat(Draw.commitment(seed)).isEqualTo(fairness.getString("seedCommitment"));
    assertThat(fairness.getString("listHash")).isEqualTo(Draw.listHash(prequeued));
    assertThat(Instant.parse(fairness.getString("drawAt")).toEpochMilli()).isEqualTo(opensAt);

    // places by receipt, as the citizen sees them
    List<String> byPlace = new ArrayList<>(prequeued);
    Map<String, Integer> places = new ConcurrentHashMap<>();
    for (String t : prequeued) {
      JsonObject receipt = get("/api/v1/claims/" + t + "/receipt").json();
      places.put(t, receipt.getInteger("place"));
      // the status names the same records once decided
      JsonObject inStatus = get("/api/v1/claims/" + t).json().getJsonObject("receipt");
      assertThat(inStatus).as("receipt in the status of " + t).isNotNull();
      assertThat(inStatus.getJsonObject("admission")).isEqualTo(receipt.getJsonObject("admission"));
      assertThat(inStatus.getJsonObject("decision")).isEqualTo(receipt.getJsonObject("decision"));
      assertThat(inStatus.getString("pseudonym")).isEqualTo(receipt.getString("pseudonym"));
      assertThat(inStatus.getInteger("place")).isEqualTo(receipt.getInteger("place"));
      assertThat(verify(lines, null, receipt.put("ticket", t)).ok()).isTrue();
    }
    for (String t : late) {
      assertThat(get("/api/v1/claims/" + t + "/receipt").json().getValue("place")).isNull();
    }
    byPlace.sort(Comparator.comparing(places::get));
    assertThat(byPlace).isEqualTo(Draw.order(seed, null, prequeued));
    // served first: every drawn admission comes before the first late one
    int lastDrawn = 0;
    int firstLate = Integer.MAX_VALUE;
    for (String line : lines) {
      JsonObject r = new JsonObject(line);
      if ("admission".equals(r.getString("type"))) {
        if (r.getValue("place") != null) {
          lastDrawn = Math.max(lastDrawn, r.getInteger("index"));
        } else {
          firstLate = Math.min(firstLate, r.getInteger("index"));
        }
      }
    }
    assertThat(lastDrawn).isLessThan(firstLate);
  }

  @Test
  @DisplayName("bending the draw is found at its record: another seed revealed, two places swapped, a late arrival served early "
      + "(during the draw or before the freeze), a second commitment, a decision while frozen")
  void bentDraws() {
    int reveal = indexOf(lines, "draw_reveal", 1);
    LogVerifier.Result otherSeed = verify(rechain(lines, (i, r) -> i == reveal ? r.put("seed", Draw.hex(Draw.newSeed())) : r),
        null, null);
    assertThat(otherSeed.index()).isEqualTo(reveal);
    assertThat(otherSeed.message()).contains("commitment");

    int first = indexOf(lines, "admission", 1);
    int second = indexOf(lines, "admission", 2);
    List<String> swapped = new ArrayList<>(lines);
    // the two first places' admissions and decisions trade places, their place fields too
    Collections.swap(swapped, first - 1, second - 1);
    Collections.swap(swapped, first, second);
    LogVerifier.Result swap = verify(rechain(swapped, (i, r) -> "admission".equals(r.getString("type")) && r.getValue("place") != null
        ? r.put("place", i == second ? 1 : i == first ? 2 : r.getInteger("place")) : r), null, null);
    assertThat(swap.ok()).isFalse();
    assertThat(swap.index()).as(swap.message()).isEqualTo(first);
    assertThat(swap.message()).contains("place 1 of the draw belongs to ticket");

    int lateAdmission = indexOf(lines, "admission", 14);
    List<String> jumped = new ArrayList<>(lines);
    String admission = jumped.remove(lateAdmission - 1);
    String decision = jumped.remove(lateAdmission - 1);
    jumped.add(reveal, decision);
    jumped.add(reveal, admission);
    LogVerifier.Result early = verify(rechain(jumped, (i, r) -> r), null, null);
    assertThat(early.index()).isEqualTo(reveal + 1);
    assertThat(early.message()).contains("served before that opening's pre-queue is through");

    // a late arrival served before the pre-queue was even frozen
    int list = indexOf(lines, "draw_list", 1);
    List<String> beforeFreeze = new ArrayList<>(lines);
    String lateAdmitted = beforeFreeze.remove(lateAdmission - 1);
    String lateDecided = beforeFreeze.remove(lateAdmission - 1);
    beforeFreeze.add(list - 1, lateDecided);
    beforeFreeze.add(list - 1, lateAdmitted);
    LogVerifier.Result unfrozen = verify(rechain(beforeFreeze, (i, r) -> r), null, null);
    assertThat(unfrozen.ok()).isFalse();
    // here it is caught at its decision: no allocator had stated its rules yet
    assertThat(unfrozen.index()).as(unfrozen.message()).isEqualTo(list + 1);
    // and with the rules stated before it, at the freeze
    List<String> withRules = new ArrayList<>(beforeFreeze);
    withRules.add(list - 1, lines.get(indexOf(lines, "rules", 1) - 1));
    // (its outcome as the rules give it there: m0 had all its stock)
    String lateTicket = new JsonObject(lateAdmitted).getString("ticket");
    LogVerifier.Result ruled = verify(rechain(withRules, (i, r) -> lateTicket.equals(r.getString("ticket"))
        && "decision".equals(r.getString("type")) ? r.put("merchant", "m0") : r), null, null);
    assertThat(ruled.index()).as(ruled.message()).isEqualTo(list + 3);
    assertThat(ruled.message()).contains("before that opening's pre-queue was frozen");

    // a second commitment, made once the list is known: the first one stands
    int commitment = indexOf(lines, "draw_commitment", 1);
    List<String> recommitted = new ArrayList<>(lines);
    recommitted.add(list - 1, new JsonObject(lines.get(commitment - 1)).put("seedHash", "0".repeat(64)).encode());
    LogVerifier.Result twice = verify(rechain(recommitted, (i, r) -> r), null, null);
    assertThat(twice.index()).isEqualTo(list);
    assertThat(twice.message()).contains("a second seed is committed");

    int lastDecision = indexOf(lines, "decision", 16);
    List<String> whileFrozen = new ArrayList<>(lines);
    whileFrozen.add(lastDecision - 1, claimgate.log.DecisionLog.line(0, "", new JsonObject().put("type", "freeze")));
    LogVerifier.Result frozen = verify(rechain(whileFrozen, (i, r) -> r), null, null);
    assertThat(frozen.index()).isEqualTo(lastDecision + 1);
    assertThat(frozen.message()).contains("while the campaign is frozen");
  }

  @Test
  @DisplayName("claims racing the opening: each is in the frozen list or queued after it, never both, never lost; the log verifies")
  void racingTheOpening() throws Exception {
    Campaign racing = create(withPrequeue("fair-race", 2_500, 30, 30));
    long opens = racing.rounds().get(0).opensAtMs();
    awaitOpening(opens - 150);
    Map<String, String> answered = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
      IntStream.range(0, 80).forEach(i -> sent.add(pool.submit(() -> {
        LiveStack.pause(i * 4L);
        Reply r = claim(racing.id(), "racer-" + i, "m0", "m1");
        if (r.status() == 202) {
          answered.put(r.json().getString("ticket"), r.json().getString("status"));
        }
      })));
      for (var f : sent) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdown();
    }
    assertThat(answered.values()).contains("prequeued", "queued");
    answered.keySet().forEach(t -> awaitFinal(t));
    List<String> log = PublicLog.export(racing.id(), 1000);
    LogVerifier.Result result = verify(log, null, null);
    assertThat(result.ok()).as(result.message()).isTrue();
    assertThat(result.figures()).containsEntry("admissions", (long) answered.size());
    for (Map.Entry<String, String> a : answered.entrySet()) {
      JsonObject receipt = get("/api/v1/claims/" + a.getKey() + "/receipt").json();
      assertThat(receipt.getValue("place") != null).as(a.getKey() + " answered " + a.getValue())
          .isEqualTo(a.getValue().equals("prequeued"));
    }
  }
}
