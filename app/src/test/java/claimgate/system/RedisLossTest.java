package claimgate.system;

import claimgate.cli.Stack;

import claimgate.store.InvariantCheck;

import claimgate.testkit.ApiClient;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignFiles;
import claimgate.settings.Settings;
import claimgate.store.EmbeddedServers;
import claimgate.testkit.Campaigns;
import claimgate.testkit.TestServers;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisServer;

/**
 * Redis forgets: it is stopped and started again from a copy of its append-only file taken
 * before the last claims were acknowledged and before the operator's last word (what a crash
 * under {@code appendfsync everysec}, or a promoted asynchronous replica, does). PostgreSQL is
 * the truth: the kill switch holds, claims wait (503) until the allocator has restored the
 * campaign, seqs never repeat so the allocator goes on deciding, acknowledged tickets Redis
 * lost end rejected as lost (invariant 8), and every invariant holds.
 */
class RedisLossTest {

  static final String TOKEN = "cgo_loss";
  String base;

  @Test
  @DisplayName("Redis restarted from older files: the pause holds, claims wait for the restore, lost tickets end rejected/lost, decisions go on, invariants hold")
  void redisForgets() throws Exception {
    Path dir = Files.createTempDirectory("claimgate-loss");
    Path redisDir = dir.resolve("redis");
    Files.createDirectories(redisDir);
    int redisPort = EmbeddedServers.freePort();
    RedisServer redis = EmbeddedServers.startRedis(redisDir, redisPort);
    String redisUrl = "redis://127.0.0.1:" + redisPort;
    int port = EmbeddedServers.freePort();
    base = "http://127.0.0.1:" + port;
    // its own database: the JVM's shared allocator would lead its campaign on the shared Redis
    String pgUrl = TestServers.separateDatabase("redis_loss");
    Settings settings = Settings.local(port, dir)
        .withServers(redisUrl, pgUrl)
        .withOperatorToken(TOKEN)
        .withStatusPerAddressPerSecond(100_000);
    try (Stack stack = Stack.start(settings, Optional.empty(), false, Stack.Role.GATEWAY, Stack.Role.ALLOCATOR)) {
      Campaign campaign = Campaigns.open(Campaigns.uniqueId("loss"), 9, 3, 1_000, 1_000);
      assertThat(send("PUT", "/admin/v1/campaigns/" + campaign.id(), new JsonObject(CampaignFiles.toJson(campaign))).statusCode())
          .isEqualTo(201);

      List<String> before = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        before.add(ticket(admitted(campaign.id(), "before-" + i)));
      }
      for (String t : before) {
        assertThat(new ApiClient(base, TOKEN).awaitFinal(t).getString("status")).isEqualTo("confirmed");
      }
      // the copy a crash would leave: every write so far is in the file (fsync'd each second)
      Thread.sleep(1_500);
      Path aof = redisDir.resolve("appendonly.aof");
      Path older = dir.resolve("appendonly.aof.older");
      Files.copy(aof, older, StandardCopyOption.REPLACE_EXISTING);

      // after the copy: the allocator is frozen, claims are acknowledged, the operator pauses
      assertThat(send("POST", "/admin/v1/campaigns/" + campaign.id() + "/freeze", new JsonObject()).statusCode()).isEqualTo(200);
      List<String> lost = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        lost.add(ticket(admitted(campaign.id(), "lost-" + i)));
      }
      assertThat(send("POST", "/admin/v1/campaigns/" + campaign.id() + "/pause", new JsonObject().put("reason", "drill"))
          .statusCode()).isEqualTo(200);
      Thread.sleep(1_500);

      redis.stop();
      Files.copy(older, aof, StandardCopyOption.REPLACE_EXISTING);
      redis.start();

      // Redis's copy says neither paused nor frozen; PostgreSQL says both: the pause holds
      List<Integer> statuses = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        HttpResponse<String> r = claim(campaign.id(), "after-restart-" + i);
        statuses.add(r.statusCode());
        assertThat(r.statusCode()).as("no claim is admitted while PostgreSQL says paused: %s", r.body()).isEqualTo(503);
        if (new JsonObject(r.body()).getString("error").equals("paused")) {
          break;
        }
        Thread.sleep(100);
      }
      assertThat(new JsonObject(claim(campaign.id(), "still-paused").body()).getString("error")).isEqualTo("paused");

      // tickets acknowledged and then lost with Redis's state end rejected, reason lost
      for (String t : lost) {
        JsonObject status = new ApiClient(base, TOKEN).awaitFinal(t);
        assertThat(status.getString("status")).as(t).isEqualTo("rejected");
        assertThat(status.getString("reason")).isEqualTo("lost");
      }
      for (String t : before) {
        assertThat(new ApiClient(base, TOKEN).awaitFinal(t).getString("status")).isEqualTo("confirmed");
      }

      assertThat(send("POST", "/admin/v1/campaigns/" + campaign.id() + "/resume", new JsonObject()).statusCode()).isEqualTo(200);
      assertThat(send("POST", "/admin/v1/campaigns/" + campaign.id() + "/unfreeze", new JsonObject()).statusCode()).isEqualTo(200);
      List<String> after = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        after.add(ticket(admitted(campaign.id(), "after-" + i)));
      }
      for (String t : after) {
        assertThat(new ApiClient(base, TOKEN).awaitFinal(t).getString("status")).as("decisions go on after the loss: %s", t).isEqualTo("confirmed");
      }
      assertThat(after).doesNotContainAnyElementsOf(lost);
      List<String> breaches = InvariantCheck.run(redisUrl, claimgate.store.Database.fromUrl(pgUrl), campaign.id(), true);
      assertThat(breaches).isEmpty();
    } finally {
      redis.stop();
    }
  }

  HttpResponse<String> claim(String campaignId, String citizen) throws Exception {
    return send("POST", "/api/v1/campaigns/" + campaignId + "/claims", null,
        new JsonObject().put("citizenId", citizen).put("merchantIds", new JsonArray().add("m0").add("m1")));
  }

  /** A claim, retried while the waiting room is being restored; its 202. */
  HttpResponse<String> admitted(String campaignId, String citizen) throws Exception {
    HttpResponse<String> r = claim(campaignId, citizen);
    for (int i = 0; i < 50 && r.statusCode() == 503; i++) {
      Thread.sleep(100);
      r = claim(campaignId, citizen);
    }
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return r;
  }

  static String ticket(HttpResponse<String> r) {
    return new JsonObject(r.body()).getString("ticket");
  }

  HttpResponse<String> send(String method, String path, JsonObject body) throws Exception {
    return send(method, path, TOKEN, body);
  }

  /** Through the test kit's client, which checks every answer against the contract. */
  HttpResponse<String> send(String method, String path, String bearer, JsonObject body) throws Exception {
    return new ApiClient(base, TOKEN).send(method, path, bearer, body).raw();
  }
}
