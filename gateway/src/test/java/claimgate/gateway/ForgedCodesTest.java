package claimgate.gateway;

import claimgate.web.Bearer;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.redis.PipelinedRedis;
import claimgate.testkit.Campaigns;
import claimgate.testkit.TestServers;
import claimgate.voucher.ForgedCodes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Invariant 7 against forgery: codes that are well formed but were never issued are refused
 * before any database read, and guessing is throttled. PostgreSQL's own counters of scans on the
 * voucher table show whether it was read.
 */
@ExtendWith(VertxExtension.class)
class ForgedCodesTest {

  static final String VOUCHER_SCANS = """
      select coalesce(seq_scan, 0) + coalesce(idx_scan, 0) from pg_stat_user_tables where relname = 'voucher'""";

  String keyHash;

  @Test
  @DisplayName("1,000,000 random well-formed codes through the batch API: none accepted, the voucher table never read")
  void millionForgedCodes(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx, config -> config.withFailedAttempts(new GatewayConfig.Rate(1e9, 1_000_000_000)));
    Campaign c = gw.apply(Campaigns.open(Campaigns.uniqueId("forge"), 9, 3, 10));
    String key = gw.merchantKey(c.id(), "m0");
    keyHash = Bearer.hash(key);
    Pool pool = TestServers.database().pool(vertx, 1);
    long before = settledScans(vertx, pool, -1);

    ForgedCodes forged = new ForgedCodes(42);
    int accepted = 0;
    int unknown = 0;
    for (int sent = 0; sent < 1000; sent += 4) {
      List<Future<HttpResponse<Buffer>>> inFlight = new ArrayList<>();
      for (int b = 0; b < 4; b++) {
        JsonArray items = new JsonArray();
        for (int i = 0; i < 1000; i++) {
          items.add(new JsonObject().put("code", forged.next(c.codePrefix())).put("redeemedAt", "2026-01-01T10:00:00Z"));
        }
        inFlight.add(gw.client.post("/api/v1/redemptions/batch").bearerTokenAuthentication(key)
            .sendJsonObject(new JsonObject().put("items", items)));
      }
      for (Future<HttpResponse<Buffer>> f : inFlight) {
        HttpResponse<Buffer> r = f.await();
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        for (Object o : r.bodyAsJsonObject().getJsonArray("results")) {
          JsonObject result = (JsonObject) o;
          accepted += "redeemed".equals(result.getString("status")) ? 1 : 0;
          unknown += "unknown_code".equals(result.getString("error")) ? 1 : 0;
        }
      }
    }
    assertThat(accepted).isZero();
    assertThat(unknown).isEqualTo(1_000_000);

    // one genuine read (a correctly signed code that was never issued) shows that the counter moves
    String signedNeverIssued = GatewayFixture.CODES.issue(c.id(), c.codePrefix(), 999_999);
    HttpResponse<Buffer> lookup = gw.client.get("/api/v1/vouchers/" + signedNeverIssued)
        .bearerTokenAuthentication(key).send().await();
    assertThat(lookup.statusCode()).isEqualTo(404);
    assertThat(lookup.bodyAsJsonObject().getString("error")).isEqualTo("unknown_code");
    // the gateway's connections closed: a backend reports its counts at the latest when it ends
    // (an idle one may hold them back), so every read the gateway made is counted now
    for (String deployment : java.util.List.copyOf(vertx.deploymentIDs())) {
      vertx.undeploy(deployment).await();
    }
    assertThat(settledScans(vertx, pool, before + 1)).isEqualTo(before + 1);
    pool.close().await();
  }

  @Test
  @DisplayName("guessing is throttled: after the burst of failed attempts a merchant key, then its address, gets 429")
  void bruteForceIsThrottled(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx, config -> config.withFailedAttempts(new GatewayConfig.Rate(0.2, 20)));
    Campaign c = gw.apply(Campaigns.open(Campaigns.uniqueId("brute"), 9, 3, 10));
    String key = gw.merchantKey(c.id(), "m0");
    keyHash = Bearer.hash(key);
    ForgedCodes forged = new ForgedCodes(7);
    List<Integer> statuses = new ArrayList<>();
    HttpResponse<Buffer> last = null;
    for (int i = 0; i < 30; i++) {
      last = gw.client.post("/api/v1/redemptions").bearerTokenAuthentication(key)
          .sendJsonObject(new JsonObject().put("code", forged.next(c.codePrefix()))).await();
      statuses.add(last.statusCode());
    }
    assertThat(statuses.subList(0, 20)).containsOnly(404);
    assertThat(statuses.subList(20, 30)).containsOnly(429);
    assertThat(last.bodyAsJsonObject().getString("error")).isEqualTo("throttled");
    assertThat(Integer.parseInt(last.getHeader("Retry-After"))).isPositive();

    // the address is spent too: even an unknown key is throttled before it is looked up
    WebClient anonymous = gw.client(new WebClientOptions());
    HttpResponse<Buffer> wrongKey = anonymous.post("/api/v1/redemptions").bearerTokenAuthentication("cgm_nope")
        .sendJsonObject(new JsonObject().put("code", "X")).await();
    assertThat(wrongKey.statusCode()).isEqualTo(429);
  }

  @AfterEach
  void forgetFailedAttempts(Vertx vertx) {
    // the buckets are per address, and every test calls from 127.0.0.1
    PipelinedRedis redis = new PipelinedRedis(vertx, TestServers.redisUrl());
    redis.send(Request.cmd(Command.DEL).arg("{attempts}:addr:127.0.0.1").arg("{attempts}:key:" + keyHash)).await();
    redis.close().await();
  }

  /** The voucher table's scan count once it stops moving (statistics reach the view in batches). */
  static long settledScans(Vertx vertx, Pool pool, long atLeast) {
    long last = -1;
    for (int i = 0; i < 100; i++) {
      long now = pool.query("select pg_stat_clear_snapshot()").execute()
          .compose(v -> pool.query(VOUCHER_SCANS).execute())
          .map(rows -> rows.iterator().hasNext() ? rows.iterator().next().getLong(0) : 0L)
          .await();
      if (now == last && now >= atLeast) {
        return now;
      }
      last = now;
      vertx.timer(600).await();
    }
    return last;
  }
}
