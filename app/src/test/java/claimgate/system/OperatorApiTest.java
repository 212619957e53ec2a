package claimgate.system;

import claimgate.testkit.ApiClient;

import static claimgate.system.LiveStack.admin;
import static claimgate.system.LiveStack.awaitFinal;
import static claimgate.system.LiveStack.claim;
import static claimgate.system.LiveStack.create;
import static claimgate.system.LiveStack.get;
import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignFiles;
import claimgate.testkit.Campaigns;
import claimgate.testkit.TestServers;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The operators' API on a running claimgate (gateway and allocator). Guards invariant 4 (no
 * claim admitted after pause returned) under a race of 50 clients, resume "exactly where it
 * stopped", freeze, live admission rate, campaign changes refused when they would break an
 * invariant, the audit trail, stats and metrics.
 */
class OperatorApiTest {

  record Sent(long startNanos, int status, String error, String ticket) {}

  static Campaign campaign(int perCitizen, int... contingents) {
    return create(Campaigns.open(Campaigns.uniqueId("ops"), perCitizen, Math.min(3, perCitizen), contingents));
  }

  @Test
  @DisplayName("pause races 50 clients: every claim sent after pause returned is 503 paused, none admitted after it, every 202 ends final")
  void pauseRace() throws Exception {
    Campaign c = campaign(9, 100_000, 100_000, 100_000);
    ConcurrentLinkedQueue<Sent> sent = new ConcurrentLinkedQueue<>();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong counter = new AtomicLong();
    ExecutorService clients = Executors.newFixedThreadPool(50);
    for (int t = 0; t < 50; t++) {
      clients.submit(() -> {
        while (!stop.get()) {
          long start = System.nanoTime();
          ApiClient.Reply r = claim(c.id(), "racer-" + counter.incrementAndGet(), "m0", "m1", "m2");
          sent.add(new Sent(start, r.status(), r.error(), r.status() == 202 ? r.json().getString("ticket") : null));
        }
        return null;
      });
    }
    LiveStack.pause(1_500);
    ApiClient.Reply paused = admin("POST", "/admin/v1/campaigns/" + c.id() + "/pause",
        new JsonObject().put("reason", "race test"));
    long pauseReturnedNanos = System.nanoTime();
    long pauseReturnedMs = System.currentTimeMillis();
    assertThat(paused.status()).isEqualTo(200);
    LiveStack.pause(1_500);
    stop.set(true);
    clients.shutdown();
    assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

    List<Sent> after = sent.stream().filter(s -> s.startNanos() > pauseReturnedNanos).toList();
    List<Sent> admitted = sent.stream().filter(s -> s.status() == 202).toList();
    assertThat(after).as("claims sent after pause returned").hasSizeGreaterThan(50);
    assertThat(after).allSatisfy(s -> {
      assertThat(s.status()).isEqualTo(503);
      assertThat(s.error()).isEqualTo("paused");
    });
    assertThat(admitted).as("claims admitted before the pause").hasSizeGreaterThan(50);
    assertThat(sent).allSatisfy(s -> assertThat(s.status()).isIn(202, 503));

    // every 202 ends decided, and no decided claim was admitted (Redis time) after pause returned
    for (Sent s : admitted) {
      assertThat(awaitFinal(s.ticket()).getString("status")).isIn("confirmed", "rejected");
    }
    Vertx vertx = Vertx.vertx();
    Pool pool = TestServers.database().pool(vertx, 1);
    try {
      var row = pool.preparedQuery("select count(*), max(split_part(stream_id, '-', 1)::bigint) from claim where campaign_id = $1")
          .execute(Tuple.of(c.id())).await().iterator().next();
      assertThat(row.getLong(0)).isEqualTo(admitted.size());
      assertThat(row.getLong(1)).isLessThanOrEqualTo(pauseReturnedMs);
    } finally {
      pool.close().await();
      vertx.close().await();
    }
    assertThat(get("/api/v1/campaigns/" + c.id()).json().getString("state")).isEqualTo("paused");
    assertThat(admin("POST", "/admin/v1/campaigns/" + c.id() + "/resume", null).status()).isEqualTo(200);
    assertThat(claim(c.id(), "after-resume", "m0").status()).isEqualTo(202);
  }

  @Test
  @DisplayName("freeze stops decisions, pause stops admission, resume continues exactly where it stopped, unfreeze decides all")
  void freezePauseResume() {
    Campaign c = campaign(9, 10);
    assertThat(admin("POST", "/admin/v1/campaigns/" + c.id() + "/freeze", null).json().getBoolean("frozen")).isTrue();
    List<String> tickets = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      ApiClient.Reply r = claim(c.id(), "frozen-" + i, "m0");
      assertThat(r.status()).isEqualTo(202);
      assertThat(r.json().getLong("position")).isEqualTo(i);
      tickets.add(r.json().getString("ticket"));
    }
    admin("POST", "/admin/v1/campaigns/" + c.id() + "/pause", null);
    ApiClient.Reply refused = claim(c.id(), "frozen-4", "m0");
    assertThat(refused.status()).isEqualTo(503);
    assertThat(refused.header("Retry-After")).isNotNull();
    assertThat(refused.json().getLong("retryAfterMs")).isPositive();
    admin("POST", "/admin/v1/campaigns/" + c.id() + "/resume", null);
    ApiClient.Reply resumed = claim(c.id(), "frozen-4", "m0");
    assertThat(resumed.status()).isEqualTo(202);
    assertThat(resumed.json().getLong("position")).isEqualTo(4);
    tickets.add(resumed.json().getString("ticket"));
    LiveStack.pause(1_500);
    JsonObject waiting = get("/api/v1/claims/" + tickets.get(0)).json();
    assertThat(waiting.getString("status")).isEqualTo("queued");
    // frozen: no decision comes, so no wait is promised (the catalog reads the flag within a second)
    assertThat(waiting.containsKey("etaMs")).as(waiting.encode()).isFalse();

    admin("POST", "/admin/v1/campaigns/" + c.id() + "/unfreeze", null);
    for (String t : tickets) {
      assertThat(awaitFinal(t).getString("status")).isEqualTo("confirmed");
    }
  }

  /** Whether the campaign list, asked repeatedly (every event loop answers in turn), comes to (not) list it within 8 s. */
  static boolean listedWithin(String campaignId, boolean listed) {
    long deadline = System.currentTimeMillis() + 8_000;
    int agreeing = 0;
    while (System.currentTimeMillis() < deadline) {
      boolean has = get("/api/v1/campaigns").array().stream().anyMatch(o -> ((JsonObject) o).getString("id").equals(campaignId));
      // several answers in a row agree: the event loops' lists, not just one of them
      agreeing = has == listed ? agreeing + 1 : 0;
      if (agreeing >= 8) {
        return true;
      }
      LiveStack.pause(100);
    }
    return false;
  }

  @Test
  @DisplayName("archive: paused for good, off the campaign list, resume refused with 409, queued claims still decided, audited")
  void archive() {
    Campaign c = campaign(9, 10);
    // every event loop's list has it within its reload of the documents (5 s)
    assertThat(listedWithin(c.id(), true)).as("listed").isTrue();
    admin("POST", "/admin/v1/campaigns/" + c.id() + "/freeze", null);
    String queued = claim(c.id(), "before-archive", "m0").json().getString("ticket");

    ApiClient.Reply archived = admin("POST", "/admin/v1/campaigns/" + c.id() + "/archive",
        new JsonObject().put("reason", "rehearsal over"));
    assertThat(archived.status()).isEqualTo(200);
    assertThat(archived.json().getBoolean("archived")).isTrue();
    assertThat(listedWithin(c.id(), false)).as("off every list").isTrue();
    ApiClient.Reply refused = claim(c.id(), "after-archive", "m0");
    assertThat(refused.status()).isEqualTo(503);
    assertThat(refused.error()).isEqualTo("paused");
    ApiClient.Reply resume = admin("POST", "/admin/v1/campaigns/" + c.id() + "/resume", null);
    assertThat(resume.status()).isEqualTo(409);
    assertThat(resume.error()).isEqualTo("archived");
    assertThat(claim(c.id(), "after-resume", "m0").status()).as("still paused after the refused resume").isEqualTo(503);
    assertThat(admin("POST", "/admin/v1/campaigns/" + c.id() + "/archive", null).status()).as("twice").isEqualTo(200);

    admin("POST", "/admin/v1/campaigns/" + c.id() + "/unfreeze", null);
    assertThat(awaitFinal(queued).getString("status")).isEqualTo("confirmed");
    assertThat(admin("GET", "/admin/v1/audit?campaignId=" + c.id(), null).array().stream()
        .map(o -> ((JsonObject) o).getString("action"))).contains("campaign.archive");
    assertThat(admin("POST", "/admin/v1/campaigns/no-such-" + c.id() + "/archive", null).status()).isEqualTo(404);
  }

  @Test
  @DisplayName("admission rate and burst change live: burst 1 throttles the second claim, a higher rate admits again")
  void admissionRateIsLive() {
    Campaign c = campaign(9, 100, 100);
    ApiClient.Reply set = admin("PUT", "/admin/v1/campaigns/" + c.id() + "/admission",
        new JsonObject().put("ratePerSecond", 1).put("burst", 1));
    assertThat(set.status()).isEqualTo(200);
    assertThat(claim(c.id(), "rate-1", "m0").status()).isEqualTo(202);
    ApiClient.Reply throttled = claim(c.id(), "rate-2", "m0");
    assertThat(throttled.status()).isEqualTo(429);
    assertThat(throttled.error()).isEqualTo("throttled");
    assertThat(throttled.header("Retry-After")).isEqualTo("1");
    admin("PUT", "/admin/v1/campaigns/" + c.id() + "/admission", new JsonObject().put("ratePerSecond", 10_000).put("burst", 10_000));
    assertThat(claim(c.id(), "rate-2", "m0").status()).isEqualTo(202);
    ApiClient.Reply bad = admin("PUT", "/admin/v1/campaigns/" + c.id() + "/admission",
        new JsonObject().put("ratePerSecond", 0).put("burst", 1));
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().getString("message")).contains("ratePerSecond");
  }

  @Test
  @DisplayName("campaign PUT: 201 created, 200 updated, 400 naming the field, 409 for a contingent below what is issued; audited with before and after")
  void campaignDocument() {
    Campaign c = Campaigns.open(Campaigns.uniqueId("doc"), 9, 3, 1, 5);
    String path = "/admin/v1/campaigns/" + c.id();
    JsonObject document = new JsonObject(CampaignFiles.toJson(c));
    assertThat(admin("PUT", path, document).status()).isEqualTo(201);
    assertThat(get("/api/v1/campaigns/" + c.id()).status()).isEqualTo(200);
    assertThat(awaitFinal(claim(c.id(), "doc-1", "m0").json().getString("ticket")).getString("status")).isEqualTo("confirmed");

    ApiClient.Reply renamed = admin("PUT", path, document.copy().put("name", "Renamed"));
    assertThat(renamed.status()).isEqualTo(200);
    // every gateway sees the change within its next refresh (the campaign answer may be a second stale)
    String name = null;
    for (int i = 0; i < 30 && !"Renamed".equals(name); i++) {
      LiveStack.pause(100);
      name = get("/api/v1/campaigns/" + c.id()).json().getString("name");
    }
    assertThat(name).isEqualTo("Renamed");

    JsonObject negative = document.copy();
    negative.getJsonArray("merchants").getJsonObject(1).put("contingent", -1);
    ApiClient.Reply invalid = admin("PUT", path, negative);
    assertThat(invalid.status()).isEqualTo(400);
    assertThat(invalid.json().getString("message")).contains("merchants[1].contingent");

    ApiClient.Reply otherId = admin("PUT", "/admin/v1/campaigns/not-" + c.id(), document);
    assertThat(otherId.status()).isEqualTo(400);

    JsonObject lowered = document.copy();
    lowered.getJsonArray("merchants").getJsonObject(0).put("contingent", 0);
    ApiClient.Reply conflict = admin("PUT", path, lowered);
    assertThat(conflict.status()).isEqualTo(409);
    assertThat(conflict.error()).isEqualTo("conflict");
    assertThat(conflict.json().getString("message")).contains("below the vouchers already issued");

    JsonArray audit = admin("GET", "/admin/v1/audit?campaignId=" + c.id(), null).array();
    assertThat(audit.stream().map(o -> ((JsonObject) o).getString("action")).toList())
        .containsExactly("campaign.update", "campaign.create");
    JsonObject update = audit.getJsonObject(0);
    assertThat(update.getString("actor")).startsWith("operator@");
    assertThat(update.getJsonObject("detail").getJsonObject("before").getString("name")).isEqualTo(c.name());
    assertThat(update.getJsonObject("detail").getJsonObject("after").getString("name")).isEqualTo("Renamed");
  }

  @Test
  @DisplayName("a raised contingent is allocated at once: the allocator reloads a campaign an operator changed")
  void allocatorFollowsChangedCampaign() {
    Campaign c = campaign(9, 1);
    assertThat(awaitFinal(claim(c.id(), "grow-1", "m0").json().getString("ticket")).getString("status")).isEqualTo("confirmed");
    JsonObject raised = new JsonObject(CampaignFiles.toJson(c));
    raised.getJsonArray("merchants").getJsonObject(0).put("contingent", 3);
    assertThat(admin("PUT", "/admin/v1/campaigns/" + c.id(), raised).status()).isEqualTo(200);
    assertThat(awaitFinal(claim(c.id(), "grow-2", "m0").json().getString("ticket")).getString("status")).isEqualTo("confirmed");
    assertThat(awaitFinal(claim(c.id(), "grow-3", "m0").json().getString("ticket")).getString("status")).isEqualTo("confirmed");
  }

  @Test
  @DisplayName("stats count admitted, queued, confirmed, rejected by reason, remaining and latency; /metrics is Prometheus text")
  void statsAndMetrics() throws Exception {
    Campaign c = campaign(1, 2);
    List<String> tickets = new ArrayList<>();
    for (String citizen : List.of("s-1", "s-2", "s-3")) {
      tickets.add(claim(c.id(), citizen, "m0").json().getString("ticket"));
    }
    tickets.forEach(LiveStack::awaitFinal);
    JsonObject stats = admin("GET", "/admin/v1/campaigns/" + c.id() + "/stats", null).json();
    assertThat(stats.getLong("admitted")).isEqualTo(3);
    assertThat(stats.getLong("queued")).isZero();
    assertThat(stats.getLong("confirmed")).isEqualTo(2);
    assertThat(stats.getJsonObject("rejected").getLong("sold_out")).isEqualTo(1);
    assertThat(stats.getJsonObject("remaining").getInteger("m0")).isZero();
    assertThat(stats.getJsonObject("latencyMs").getDouble("p50")).isPositive();
    assertThat(stats.getJsonObject("latencyMs").getDouble("p999")).isGreaterThanOrEqualTo(
        stats.getJsonObject("latencyMs").getDouble("p50"));

    assertThat(get("/metrics").status()).as("metrics are the operator's").isEqualTo(401);
    // claims for campaigns that do not exist, refused before the campaign is looked up, add no series
    for (int i = 0; i < 5; i++) {
      LiveStack.send("POST", "/api/v1/campaigns/ghost-" + i + "/claims", null, "{\"citizenId\":", null);
      LiveStack.send("POST", "/api/v1/campaigns/ghost-" + i + "/claims", null,
          new JsonObject().put("citizenId", "g").put("merchantIds", new JsonArray().add("m0")), "bad key");
    }
    String metrics = admin("GET", "/metrics", null).raw().body();
    assertThat(metrics).doesNotContain("ghost-");
    assertThat(metrics).contains("claimgate_claims_total{campaign=\"" + c.id() + "\",outcome=\"queued\"} 3.0");
    assertThat(metrics).contains("claimgate_claim_latency_ms{campaign=\"" + c.id() + "\"");
    assertThat(metrics).contains("vertx_http_server_requests_total");

    // on the management port (CLAIMGATE_MANAGEMENT_PORT) the same metrics need no token; the
    // gateway port still asks for one
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    java.net.http.HttpResponse<String> scraped = http.send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(LiveStack.managementBase() + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(scraped.statusCode()).isEqualTo(200);
    assertThat(scraped.body()).contains("claimgate_claims_total{campaign=\"" + c.id() + "\",outcome=\"queued\"} 3.0");
    java.net.http.HttpResponse<String> ready = http.send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(LiveStack.managementBase() + "/health/ready")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(ready.statusCode()).isEqualTo(200);
    claimgate.testkit.ContractCheck contract = claimgate.testkit.ContractCheck.of().orElseThrow();
    for (java.net.http.HttpResponse<String> answer : List.of(scraped, ready)) {
      contract.check("GET", answer.uri().getPath(), answer.statusCode(),
          answer.headers().firstValue("Content-Type").orElse(null), answer.body());
    }
    assertThat(get("/metrics").status()).isEqualTo(401);
    assertThat(get("/health/live").json().getString("status")).isEqualTo("up");
  }
}
