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
    List<Admission> inOneCall = script.admit(batched.id(), claims).await();
    List<Admission> oneByOne = new ArrayList<>();
    for (AdmissionScript.Claim claim : claims) {
      oneByOne.add(script.admit(single.id(), List.of(claim)).await().get(0));
    }

    assertThat(kinds(inOneCall)).isEqualTo(kinds(oneByOne));
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
      List<Admission> result = new ArrayList<>();
      if (stem.equals("pbatch")) {
        result.addAll(script.admit(c.id(), claims).await());
      } else {
        for (AdmissionScript.Claim claim : claims) {
          result.add(script.admit(c.id(), List.of(claim)).await().get(0));
        }
      }
      answers.add(kinds(result));
    }
    assertThat(answers.get(0)).isEqualTo(answers.get(1)).containsExactly("repeat:1:1", "Paused", "Paused");
    redis.close().await();
  }
}
