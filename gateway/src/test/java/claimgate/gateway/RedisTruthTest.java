package claimgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignStore;
import claimgate.redis.CampaignKeys;
import claimgate.redis.CampaignRedis;
import claimgate.testkit.Campaigns;
import claimgate.testkit.TestServers;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * PostgreSQL is the truth and Redis holds versions of it: racing operator actions end with Redis
 * in PostgreSQL's latest state, an older write never overwrites a newer one, and what Redis keeps
 * per claim expires after the campaign's last round plus the retention.
 */
@ExtendWith(VertxExtension.class)
class RedisTruthTest {

  @Test
  @DisplayName("40 racing pause and resume calls: when all have answered, Redis's flag is PostgreSQL's")
  void racingOperators(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx);
    Campaign c = gw.apply(Campaigns.open(Campaigns.uniqueId("race"), 9, 3, 10));
    for (int round = 0; round < 3; round++) {
      List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        calls.add(gw.client.post("/admin/v1/campaigns/" + c.id() + (i % 2 == 0 ? "/pause" : "/resume"))
            .bearerTokenAuthentication(GatewayFixture.OPERATOR_TOKEN).sendJsonObject(new JsonObject()));
      }
      Future.all(calls).await();
      calls.forEach(f -> assertThat(f.result().statusCode()).isEqualTo(200));
      CampaignStore.Versions truth = CampaignStore.versions(gw.pool, c.id()).await();
      Response redis = gw.redis(Request.cmd(Command.HMGET).arg(new CampaignKeys(c.id()).config())
          .arg(CampaignKeys.PAUSED).arg(CampaignKeys.FLAGS_VERSION));
      assertThat(redis.get(0).toString()).as("round %d", round).isEqualTo(truth.paused() ? "1" : "0");
      assertThat(redis.get(1).toLong()).isEqualTo(truth.flags());
    }
  }

  @Test
  @DisplayName("an older version never overwrites a newer one: flags and settings (a change landing during an election's preparation)")
  void olderWritesLose(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx);
    Campaign c = gw.apply(Campaigns.open(Campaigns.uniqueId("older"), 9, 3, 10));
    CampaignKeys keys = new CampaignKeys(c.id());
    CampaignRedis.setFlags(gw.redis, c.id(), 50, true, false).await();
    CampaignRedis.setFlags(gw.redis, c.id(), 49, false, false).await();
    assertThat(gw.redis(Request.cmd(Command.HGET).arg(keys.config()).arg(CampaignKeys.PAUSED)).toString()).isEqualTo("1");

    Campaign faster = c.withAdmission(new Campaign.Admission(777, 777, 3, null, 1_000_000, 1_000_000));
    CampaignRedis.configure(gw.redis, faster, 50, Optional.empty()).await();
    CampaignRedis.configure(gw.redis, c, 49, Optional.empty()).await();
    assertThat(gw.redis(Request.cmd(Command.HGET).arg(keys.config()).arg(CampaignKeys.RATE)).toString()).isEqualTo("777");
  }

  @Test
  @DisplayName("replacing a large eligibility list: a citizen on both lists is never missing meanwhile (built aside, renamed into place)")
  void listReplacedAtomically(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx);
    Campaign c = withEligibilityList(Campaigns.open(Campaigns.uniqueId("list"), 9, 3, 10));
    java.util.Map<String, Integer> first = new java.util.HashMap<>();
    java.util.Map<String, Integer> second = new java.util.HashMap<>();
    for (int i = 0; i < 20_000; i++) {
      first.put("old-" + i, 0);
      second.put("new-" + i, 0);
    }
    first.put("stays", 0);
    second.put("stays", 0);
    gw.apply(c, Optional.of(first));
    String eligible = new CampaignKeys(c.id()).eligible();
    Future<Void> replaced = CampaignRedis.configure(gw.redis, c, 99, Optional.of(second));
    int reads = 0;
    while (!replaced.isComplete()) {
      assertThat(gw.redis(Request.cmd(Command.HGET).arg(eligible).arg("stays"))).as("read %d", reads).isNotNull();
      reads++;
    }
    replaced.await();
    assertThat(gw.redis(Request.cmd(Command.HGET).arg(eligible).arg("stays"))).isNotNull();
    assertThat(gw.redis(Request.cmd(Command.HGET).arg(eligible).arg("old-1"))).isNull();
    assertThat(gw.redis(Request.cmd(Command.HGET).arg(eligible).arg("new-1"))).isNotNull();
    assertThat(reads).isPositive();
  }

  @Test
  @DisplayName("an operator's list and a leader's reload racing: the newer list ends in place whole, with no expiry and no leftovers")
  void racingListWriters(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx);
    Campaign c = withEligibilityList(Campaigns.open(Campaigns.uniqueId("listrace"), 9, 3, 10));
    gw.apply(c, Optional.of(java.util.Map.of("first", 0)));
    String eligible = new CampaignKeys(c.id()).eligible();
    for (int round = 0; round < 5; round++) {
      java.util.Map<String, Integer> older = new java.util.HashMap<>();
      java.util.Map<String, Integer> newer = new java.util.HashMap<>();
      for (int i = 0; i < 5_000; i++) {
        older.put("older-" + round + "-" + i, 0);
        newer.put("newer-" + round + "-" + i, 0);
      }
      // two writers on connections of their own, as a gateway and an allocator are
      claimgate.redis.PipelinedRedis operator = new claimgate.redis.PipelinedRedis(vertx, TestServers.redisUrl());
      claimgate.redis.PipelinedRedis leader = new claimgate.redis.PipelinedRedis(vertx, TestServers.redisUrl());
      long version = 1_000 + 2L * round;
      Future.all(CampaignRedis.configure(leader, c, version, Optional.of(older)),
          CampaignRedis.configure(operator, c, version + 1, Optional.of(newer))).await();
      operator.close().await();
      leader.close().await();
      assertThat(gw.redis(Request.cmd(Command.HLEN).arg(eligible)).toLong()).as("round %d", round).isEqualTo(5_000);
      assertThat(gw.redis(Request.cmd(Command.HGET).arg(eligible).arg("newer-" + round + "-4999"))).isNotNull();
      assertThat(gw.redis(Request.cmd(Command.PTTL).arg(eligible)).toLong()).as("the list never expires").isEqualTo(-1);
      assertThat(gw.redis(Request.cmd(Command.KEYS).arg(eligible + ":building*")).size()).as("leftovers").isZero();
    }
  }

  @Test
  @DisplayName("a hash built aside that is not whole (its temporary name expired or was evicted) never replaces the live one")
  void partialBuildNeverReplaces(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx);
    String live = "{partial-" + System.nanoTime() + "}:merchants";
    String building = live + ":building:1";
    gw.redis(Request.cmd(Command.HSET).arg(live).arg("m0").arg("1").arg("m1").arg("2"));
    claimgate.redis.LuaScript rename = claimgate.redis.LuaScript.load("rename_into_place.lua");
    // gone before the rename, as an expired temporary name is
    assertThat(rename.call(gw.redis::send, List.of(building, live), List.of("2")).otherwiseEmpty().await()).isNull();
    // half-built
    gw.redis(Request.cmd(Command.HSET).arg(building).arg("m0").arg("9"));
    assertThat(rename.call(gw.redis::send, List.of(building, live), List.of("2")).otherwiseEmpty().await()).isNull();
    assertThat(gw.redis(Request.cmd(Command.HLEN).arg(live)).toLong()).as("the live hash is as it was").isEqualTo(2);
    assertThat(gw.redis(Request.cmd(Command.HGET).arg(live).arg("m0")).toString()).isEqualTo("1");
    // whole: it takes the place
    gw.redis(Request.cmd(Command.HSET).arg(building).arg("m1").arg("8"));
    rename.call(gw.redis::send, List.of(building, live), List.of("2")).await();
    assertThat(gw.redis(Request.cmd(Command.HGET).arg(live).arg("m0")).toString()).isEqualTo("9");
  }

  @Test
  @DisplayName("durability replicas:1 with no replica acknowledging: no claim is acknowledged (503), nor a pause; the claim waits in Redis")
  void replicasMustAcknowledge(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx, config -> new GatewayConfig(config.http(),
        new GatewayConfig.Stores(config.stores().redisUrl(), config.stores().database(),
            claimgate.redis.RedisDurability.parse("replicas:1")), config.credentials(), config.limits()));
    Campaign c = gw.apply(Campaigns.open(Campaigns.uniqueId("replicas"), 9, 3, 10));
    HttpResponse<Buffer> claim = gw.claim(c.id(), GatewayFixture.claimBody("careful", "m0"));
    assertThat(claim.statusCode()).isEqualTo(503);
    assertThat(claim.bodyAsJsonObject().getString("error")).isEqualTo("unavailable");
    assertThat(gw.claim(c.id(), GatewayFixture.claimBody("careful", "m0")).statusCode()).as("the repeat too").isEqualTo(503);
    assertThat(gw.client.post("/admin/v1/campaigns/" + c.id() + "/pause").bearerTokenAuthentication(GatewayFixture.OPERATOR_TOKEN)
        .sendJsonObject(new JsonObject()).await().statusCode()).isEqualTo(503);
    Response entries = gw.redis(Request.cmd(Command.XLEN).arg(new CampaignKeys(c.id()).stream()));
    assertThat(entries.toLong()).as("admitted in Redis, not acknowledged").isEqualTo(1);
  }

  @Test
  @DisplayName("what Redis keeps per claim (citizens' records, outcomes) expires after the last round plus the retention")
  void perClaimStateExpires(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx);
    Campaign c = gw.apply(Campaigns.open(Campaigns.uniqueId("expiry"), 9, 3, 10));
    assertThat(gw.claim(c.id(), GatewayFixture.claimBody("someone", "m0")).statusCode()).isEqualTo(202);
    long ttlMs = gw.redis(Request.cmd(Command.PTTL).arg(new CampaignKeys(c.id()).citizens())).toLong();
    long expected = CampaignRedis.forgetAtMs(c) - System.currentTimeMillis();
    assertThat(ttlMs).isBetween(expected - 5_000, expected + 5_000);
  }

  private static Campaign withEligibilityList(Campaign base) {
    return new Campaign(base.id(), base.name(), base.currency(), base.voucherValue(), base.validDays(),
        base.limits(), new Campaign.Eligibility("eligible.csv", null, null), base.admission(), base.rounds(), base.merchants());
  }
}
