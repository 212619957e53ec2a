package claimgate.gateway;

import static claimgate.gateway.GatewayFixture.claimBody;
import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignStore;
import claimgate.redis.RedisRestore;
import claimgate.redis.PipelinedRedis;
import claimgate.store.EmbeddedServers;
import claimgate.testkit.Campaigns;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import redis.embedded.RedisServer;

/** Redis unreachable: 503 unavailable with Retry-After, readiness red, no hang; recovery by itself. */
@ExtendWith(VertxExtension.class)
class RedisOutageTest {

  @Test
  @DisplayName("with Redis down claims get 503 unavailable and readiness is 503; back, Redis may have lost writes, so claims stay 503 until the campaign is restored, then 202")
  void outage(Vertx vertx) throws Exception {
    int redisPort = EmbeddedServers.freePort();
    Path dir = Files.createTempDirectory("redis-outage");
    RedisServer redis = EmbeddedServers.startRedis(dir, redisPort);
    String url = "redis://127.0.0.1:" + redisPort;
    try {
      GatewayFixture gw = GatewayFixture.start(vertx, url);
      Campaign campaign = Campaigns.open(Campaigns.uniqueId("outage"), 9, 3, 100);
      PipelinedRedis own = new PipelinedRedis(vertx, url);
      gw.store.apply(campaign, Optional.empty()).await();
      RedisRestore.restoreNew(gw.pool, own, campaign, Optional.empty()).await();
      own.close().await();
      gw.apply(campaign);
      assertThat(gw.claim(campaign.id(), claimBody("a", "m0")).statusCode()).isEqualTo(202);
      assertThat(gw.get("/health/ready").statusCode()).isEqualTo(200);

      redis.stop();
      HttpResponse<Buffer> down = gw.claim(campaign.id(), claimBody("b", "m0"));
      assertThat(down.statusCode()).isEqualTo(503);
      assertThat(down.bodyAsJsonObject().getString("error")).isEqualTo("unavailable");
      assertThat(down.getHeader("Retry-After")).isNotNull();
      HttpResponse<Buffer> ready = gw.get("/health/ready");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.bodyAsJsonObject().getString("message")).contains("redis");

      redis.start();
      int status = 0;
      for (int i = 0; i < 50 && status != 503; i++) {
        status = gw.claim(campaign.id(), claimBody("b", "m0")).statusCode();
      }
      HttpResponse<Buffer> gated = gw.claim(campaign.id(), claimBody("b", "m0"));
      assertThat(gated.statusCode()).as("a restarted Redis admits nothing before the restore").isEqualTo(503);
      assertThat(gated.bodyAsJsonObject().getString("error")).isEqualTo("unavailable");
      assertThat(gw.get("/health/ready").statusCode()).isEqualTo(200);

      // what the campaign's allocator does when it finds the server changed
      PipelinedRedis restorer = new PipelinedRedis(vertx, url);
      RedisRestore.restore(restorer, RedisRestore.Snapshot.fresh(campaign,
              claimgate.campaign.CampaignStore.versions(gw.pool, campaign.id()).await(), Optional.empty()),
          surviving -> claimgate.campaign.CampaignStore.openGeneration(gw.pool, campaign.id(), null, surviving)
              .map(java.util.Optional::orElseThrow)).await();
      restorer.close().await();
      assertThat(gw.claim(campaign.id(), claimBody("b", "m0")).statusCode()).isEqualTo(202);
    } finally {
      redis.stop();
    }
  }

  @Test
  @DisplayName("a Redis demoted to a replica (a failover moved the primary) refuses writes: claims and operator actions get 503 unavailable, never 500")
  void demotedPrimary(Vertx vertx) throws Exception {
    int redisPort = EmbeddedServers.freePort();
    int newPrimaryPort = EmbeddedServers.freePort();
    RedisServer redis = EmbeddedServers.startRedis(Files.createTempDirectory("redis-demoted"), redisPort);
    RedisServer newPrimary = EmbeddedServers.startRedis(Files.createTempDirectory("redis-promoted"), newPrimaryPort);
    String url = "redis://127.0.0.1:" + redisPort;
    try {
      GatewayFixture gw = GatewayFixture.start(vertx, url);
      Campaign campaign = Campaigns.open(Campaigns.uniqueId("demoted"), 9, 3, 100);
      PipelinedRedis own = new PipelinedRedis(vertx, url);
      RedisRestore.create(gw.pool, own, campaign, Optional.empty()).await();
      gw.apply(campaign);
      assertThat(gw.claim(campaign.id(), claimBody("a", "m0")).statusCode()).isEqualTo(202);

      own.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.REPLICAOF).arg("127.0.0.1")
          .arg(newPrimaryPort)).await();
      for (int i = 0; i < 100 && !own.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.INFO)
          .arg("replication")).await().toString().contains("master_link_status:up"); i++) {
        Thread.sleep(50);
      }
      HttpResponse<Buffer> claim = gw.claim(campaign.id(), claimBody("b", "m0"));
      assertThat(claim.statusCode()).as(claim.bodyAsString()).isEqualTo(503);
      assertThat(claim.bodyAsJsonObject().getString("error")).isEqualTo("unavailable");
      HttpResponse<Buffer> pause = gw.client.post("/admin/v1/campaigns/" + campaign.id() + "/pause")
          .putHeader("Authorization", "Bearer " + GatewayFixture.OPERATOR_TOKEN)
          .sendJsonObject(new io.vertx.core.json.JsonObject().put("reason", "drill")).await();
      assertThat(pause.statusCode()).as(pause.bodyAsString()).isEqualTo(503);
      assertThat(pause.bodyAsJsonObject().getString("error")).isEqualTo("unavailable");
      assertThat(pause.getHeader("Retry-After")).isNotNull();
      // PostgreSQL took the pause: it holds, whatever Redis could not be told
      assertThat(CampaignStore.versions(gw.pool, campaign.id()).await().paused()).isTrue();
      own.close().await();
    } finally {
      // a replica writing its first append-only file ignores a plain stop
      EmbeddedServers.stop(redis, redisPort);
      newPrimary.stop();
    }
  }

  @Test
  @DisplayName("Redis's answers that mean not now (loading, replica, busy, no primary, connection closed) are 503 unavailable")
  void transientAnswers() {
    for (String answer : java.util.List.of("LOADING Redis is loading the dataset in memory",
        "READONLY You can't write against a read only replica.", "MASTERDOWN Link with MASTER is down",
        "BUSY Redis is busy running a script.", "TRYAGAIN Multiple keys request during rehashing of slot",
        "NOREPLICAS Not enough good replicas to write.", "CONNECTION_CLOSED",
        // Redis 6 wraps a script's failed call in an ERR of its own
        "ERR Error running script (call to f_a5415f6b95f525f90b1326b5a4a160df02ff14d6): @user_script:10: "
            + "@user_script: 10: -READONLY You can't write against a read only replica.")) {
      claimgate.web.ApiError error = claimgate.web.Failures.toApiError(
          io.vertx.redis.client.impl.types.ErrorType.create(answer), 0);
      assertThat(error.status()).as(answer).isEqualTo(503);
      assertThat(error.error()).isEqualTo("unavailable");
    }
    assertThat(claimgate.web.Failures.toApiError(io.vertx.redis.client.impl.types.ErrorType.create(
        "ERR unknown command"), 0).status()).as("a real error stays a bug").isEqualTo(500);
    assertThat(claimgate.web.Failures.toApiError(io.vertx.redis.client.impl.types.ErrorType.create(
        "ERR Error running script (call to f_0): @user_script:3: user_script:3: attempt to compare nil with number"),
        0).status()).as("a script's own fault stays a bug").isEqualTo(500);
  }
}
