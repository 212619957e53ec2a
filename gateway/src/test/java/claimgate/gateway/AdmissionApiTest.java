package claimgate.gateway;

import static claimgate.gateway.GatewayFixture.claimBody;
import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.redis.CampaignKeys;
import claimgate.redis.CitizenRecord;
import claimgate.redis.StreamEntries;
import io.vertx.redis.client.Response;
import claimgate.testkit.Campaigns;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every row of the claim status table of the API guide (docs/api.md), against real Redis and PostgreSQL; the edge
 * only queues (no allocator runs here). Guards invariant 4 (nothing admitted while paused) at
 * the script level and the admission caps.
 */
@ExtendWith(VertxExtension.class)
class AdmissionApiTest {

  static GatewayFixture gw;

  @BeforeAll
  static void start(Vertx vertx) {
    gw = GatewayFixture.start(vertx);
  }

  static Campaign open(int perCitizen, int... contingents) {
    return gw.apply(Campaigns.open(Campaigns.uniqueId("adm"), perCitizen, Math.min(3, perCitizen), contingents));
  }

  /** Claims in the waiting room (one stream entry holds a batch of them). */
  static long streamLength(Campaign c) {
    Response entries = gw.redis(Request.cmd(Command.XRANGE).arg(new CampaignKeys(c.id()).stream()).arg("-").arg("+"));
    long claims = 0;
    for (Response entry : entries) {
      claims += StreamEntries.entry(entry).size();
    }
    return claims;
  }

  static JsonObject json(HttpResponse<Buffer> r) {
    return r.bodyAsJsonObject();
  }

  @Test
  @DisplayName("202: queued with ticket, position, ETA and Location; the status says queued")
  void queued() {
    Campaign c = open(9, 10, 10);
    HttpResponse<Buffer> r = gw.claim(c.id(), claimBody("anna", "m0", "m1"));
    assertThat(r.statusCode()).isEqualTo(202);
    JsonObject body = json(r);
    assertThat(body.getString("status")).isEqualTo("queued");
    assertThat(body.getString("ticket")).startsWith(c.id() + ".1.1.").hasSize(c.id().length() + ".1.1.".length() + 23);
    assertThat(body.getLong("position")).isEqualTo(1);
    // no allocator runs in these suites: no decision rate is reported, so no wait is promised
    assertThat(body.containsKey("etaMs")).as(body.encode()).isFalse();
    assertThat(r.getHeader("Location")).isEqualTo("/api/v1/claims/" + body.getString("ticket"));
    JsonObject status = json(gw.get("/api/v1/claims/" + body.getString("ticket")));
    assertThat(status.getString("status")).isEqualTo("queued");
    assertThat(status.getLong("position")).isEqualTo(1);
    assertThat(streamLength(c)).isEqualTo(1);
  }

  @Test
  @DisplayName("a repeat with the same Idempotency-Key, or the same citizen and body, returns the same ticket and queues once")
  void idempotent() {
    Campaign c = open(9, 10, 10);
    String first = json(gw.claimAsync(c.id(), claimBody("bo", "m0"), "key-1").await()).getString("ticket");
    String again = json(gw.claimAsync(c.id(), claimBody("bo", "m0"), "key-1").await()).getString("ticket");
    assertThat(again).isEqualTo(first);
    String noKey = json(gw.claim(c.id(), claimBody("cy", "m1"))).getString("ticket");
    assertThat(json(gw.claim(c.id(), claimBody("cy", "m1"))).getString("ticket")).isEqualTo(noKey);
    assertThat(streamLength(c)).isEqualTo(2);
  }

  @Test
  @DisplayName("one person, one identity: an ID in another case (or, for dni-nie, with dots and dashes) is the same citizen, a repeat of the same claim; a DNI whose check letter is wrong is 400 naming citizenId")
  void onePersonOneIdentity() {
    Campaign opaque = open(1, 10);
    String ticket = json(gw.claim(opaque.id(), claimBody("12345678Z", "m0"))).getString("ticket");
    assertThat(json(gw.claim(opaque.id(), claimBody("12345678z", "m0"))).getString("ticket")).isEqualTo(ticket);
    assertThat(gw.claim(opaque.id(), claimBody("12345678z", "m0")).statusCode()).isEqualTo(202);
    assertThat(streamLength(opaque)).as("queued once").isEqualTo(1);

    Campaign base = Campaigns.open(Campaigns.uniqueId("dni"), 1, 1, 10);
    Campaign dni = gw.apply(new Campaign(base.id(), base.name(), base.currency(), base.voucherValue(), base.validDays(),
        base.limits(), base.eligibility(), base.admission(), base.rounds(), base.merchants(), new Campaign.Identity("dni-nie")));
    String first = json(gw.claim(dni.id(), claimBody("12345678Z", "m0"))).getString("ticket");
    for (String same : List.of("12345678z", "12.345.678-z")) {
      assertThat(json(gw.claim(dni.id(), claimBody(same, "m0"))).getString("ticket")).as(same).isEqualTo(first);
    }
    HttpResponse<Buffer> wrongLetter = gw.claim(dni.id(), claimBody("12345678A", "m0"));
    assertThat(wrongLetter.statusCode()).isEqualTo(400);
    assertThat(json(wrongLetter).getString("message")).contains("citizenId").contains("check letter");
    assertThat(streamLength(dni)).isEqualTo(1);
  }

  @Test
  @DisplayName("400 invalid_request names the field for every malformed body")
  void invalid() {
    Campaign c = open(9, 10);
    List<String> bodies = List.of(
        "{\"citizenId\":\"x\",\"merchantIds\":[]}",
        "{\"citizenId\":\"x\",\"merchantIds\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]}",
        "{\"citizenId\":5,\"merchantIds\":[\"m0\"]}",
        "{\"citizenId\":\"x\",\"merchantIds\":[\"m0\"],\"colour\":\"blue\"}",
        "{\"merchantIds\":[\"m0\"]}",
        "{\"citizenId\":\"x\",\"merchantIds\":[\"m0\",\"m0\"]}",
        "{\"citizenId\":\"\",\"merchantIds\":[\"m0\"]}",
        "{broken",
        "[]",
        "null");
    for (String body : bodies) {
      HttpResponse<Buffer> r = gw.client.post("/api/v1/campaigns/" + c.id() + "/claims")
          .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(body)).await();
      assertThat(r.statusCode()).as(body).isEqualTo(400);
      assertThat(json(r).getString("error")).as(body).isEqualTo("invalid_request");
      assertThat(json(r).getString("message")).as(body).isNotBlank();
    }
    JsonObject empty = json(gw.client.post("/api/v1/campaigns/" + c.id() + "/claims")
        .putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer("{\"citizenId\":\"x\",\"merchantIds\":[]}")).await());
    assertThat(empty.getString("message")).contains("merchantIds");
    assertThat(streamLength(c)).isZero();
  }

  @Test
  @DisplayName("413 for an oversized body, nothing queued")
  void oversized() {
    Campaign c = open(9, 10);
    String huge = "{\"citizenId\":\"" + "x".repeat(64 * 1024) + "\",\"merchantIds\":[\"m0\"]}";
    HttpResponse<Buffer> r = gw.client.post("/api/v1/campaigns/" + c.id() + "/claims")
        .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(huge)).await();
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(json(r).getString("error")).isEqualTo("payload_too_large");
    assertThat(streamLength(c)).isZero();
  }

  @Test
  @DisplayName("404 unknown_campaign, unknown_merchant and unknown_ticket")
  void unknown() {
    Campaign c = open(9, 10);
    HttpResponse<Buffer> campaign = gw.claim("no-such-campaign", claimBody("x", "m0"));
    assertThat(campaign.statusCode()).isEqualTo(404);
    assertThat(json(campaign).getString("error")).isEqualTo("unknown_campaign");
    HttpResponse<Buffer> merchant = gw.claim(c.id(), claimBody("x", "m0", "m99"));
    assertThat(merchant.statusCode()).isEqualTo(404);
    assertThat(json(merchant).getString("error")).isEqualTo("unknown_merchant");
    // well formed, but its tag does not verify: never issued
    HttpResponse<Buffer> ticket = gw.get("/api/v1/claims/" + c.id() + ".1.1.bAAAAAAAAAAAAAAAAAAAAAA");
    assertThat(ticket.statusCode()).isEqualTo(404);
    assertThat(json(ticket).getString("error")).isEqualTo("unknown_ticket");
    assertThat(gw.get("/api/v1/campaigns/no-such-campaign").statusCode()).isEqualTo(404);
  }

  @Test
  @DisplayName("425 not_open with opensAt before the round; 410 closed after the last")
  void roundWindow() {
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    Campaign later = gw.apply(Campaigns.build(Campaigns.uniqueId("later"), 9, 3,
        List.of(new Campaign.Round(now.plusHours(1), now.plusHours(2), 1.0)), 10));
    HttpResponse<Buffer> early = gw.claim(later.id(), claimBody("x", "m0"));
    assertThat(early.statusCode()).isEqualTo(425);
    assertThat(json(early).getString("error")).isEqualTo("not_open");
    assertThat(OffsetDateTime.parse(json(early).getString("opensAt")).toInstant())
        .isEqualTo(now.plusHours(1).toInstant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
    assertThat(json(gw.get("/api/v1/campaigns/" + later.id())).getString("state")).isEqualTo("scheduled");

    Campaign past = gw.apply(Campaigns.build(Campaigns.uniqueId("past"), 9, 3,
        List.of(new Campaign.Round(now.minusHours(2), now.minusHours(1), 1.0)), 10));
    HttpResponse<Buffer> late = gw.claim(past.id(), claimBody("x", "m0"));
    assertThat(late.statusCode()).isEqualTo(410);
    assertThat(json(late).getString("error")).isEqualTo("closed");
    assertThat(streamLength(later) + streamLength(past)).isZero();
  }

  @Test
  @DisplayName("410 sold_out when every chosen merchant is exhausted")
  void soldOut() {
    Campaign c = open(9, 0, 5);
    HttpResponse<Buffer> r = gw.claim(c.id(), claimBody("x", "m0"));
    assertThat(r.statusCode()).isEqualTo(410);
    assertThat(json(r).getString("error")).isEqualTo("sold_out");
    assertThat(gw.claim(c.id(), claimBody("x", "m0", "m1")).statusCode()).isEqualTo(202);
  }

  @Test
  @DisplayName("422 idempotency_conflict for a key reused with another body; a repeat (same key, same body) keeps its ticket; keys are the citizen's own")
  void idempotencyConflict() {
    Campaign c = open(9, 10, 10);
    HttpResponse<Buffer> first = gw.claimAsync(c.id(), claimBody("kim", "m0"), "page-1").await();
    assertThat(first.statusCode()).isEqualTo(202);
    HttpResponse<Buffer> other = gw.claimAsync(c.id(), claimBody("kim", "m1"), "page-1").await();
    assertThat(other.statusCode()).isEqualTo(422);
    assertThat(json(other).getString("error")).isEqualTo("idempotency_conflict");
    assertThat(json(gw.claimAsync(c.id(), claimBody("kim", "m0"), "page-1").await()).getString("ticket"))
        .isEqualTo(json(first).getString("ticket"));
    // another citizen's claim under the same key is their own
    HttpResponse<Buffer> lee = gw.claimAsync(c.id(), claimBody("lee", "m1"), "page-1").await();
    assertThat(lee.statusCode()).isEqualTo(202);
    assertThat(json(lee).getString("ticket")).isNotEqualTo(json(first).getString("ticket"));
  }

  @Test
  @DisplayName("409 limit_reached at admission for a citizen who holds the per-shop maximum at every chosen shop; another shop is fine")
  void perShopLimitAtAdmission() {
    Campaign c = open(9, 10, 10);
    gw.redis(Request.cmd(Command.HSET).arg(new CampaignKeys(c.id()).citizens()).arg("fan")
        .arg(new CitizenRecord(0, 3, Map.of("m0", 3)).encode()));
    HttpResponse<Buffer> r = gw.claim(c.id(), claimBody("fan", "m0"));
    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(json(r).getString("error")).isEqualTo("limit_reached");
    assertThat(streamLength(c)).isZero();
    assertThat(gw.claim(c.id(), claimBody("fan", "m0", "m1")).statusCode()).isEqualTo(202);
  }

  @Test
  @DisplayName("409 limit_reached when the citizen already holds the maximum")
  void limitReached() {
    Campaign c = open(2, 10);
    // what the allocator publishes after committing two vouchers for this citizen
    gw.redis(Request.cmd(Command.HSET).arg(new CampaignKeys(c.id()).citizens()).arg("full")
        .arg(new CitizenRecord(0, 2, Map.of("m0", 2)).encode()));
    HttpResponse<Buffer> r = gw.claim(c.id(), claimBody("full", "m0"));
    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(json(r).getString("error")).isEqualTo("limit_reached");
  }

  @Test
  @DisplayName("403 not_eligible for a citizen missing from the list or below its tier")
  void notEligible() {
    Campaign base = Campaigns.open(Campaigns.uniqueId("elig"), 9, 3, 10);
    Campaign c = new Campaign(base.id(), base.name(), base.currency(), base.voucherValue(), base.validDays(),
        base.limits(), new Campaign.Eligibility("eligible.csv", 2, null), base.admission(), base.rounds(), base.merchants());
    gw.apply(c, Optional.of(Map.of("gold", 3, "bronze", 1)));
    assertThat(gw.claim(c.id(), claimBody("gold", "m0")).statusCode()).isEqualTo(202);
    for (String citizen : List.of("bronze", "stranger")) {
      HttpResponse<Buffer> r = gw.claim(c.id(), claimBody(citizen, "m0"));
      assertThat(r.statusCode()).as(citizen).isEqualTo(403);
      assertThat(json(r).getString("error")).isEqualTo("not_eligible");
    }
  }

  @Test
  @DisplayName("429 throttled with Retry-After when the token bucket is empty or the citizen has too many pending")
  void throttled() {
    Campaign base = Campaigns.open(Campaigns.uniqueId("thr"), 9, 3, 100);
    Campaign slow = gw.apply(base.withAdmission(new Campaign.Admission(1, 1, 3, null, 1_000_000, 1_000_000)));
    assertThat(gw.claim(slow.id(), claimBody("a", "m0")).statusCode()).isEqualTo(202);
    HttpResponse<Buffer> r = gw.claim(slow.id(), claimBody("b", "m0"));
    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(json(r).getString("error")).isEqualTo("throttled");
    assertThat(json(r).getLong("retryAfterMs")).isPositive();
    assertThat(Integer.parseInt(r.getHeader("Retry-After"))).isPositive();

    Campaign pending = gw.apply(Campaigns.open(Campaigns.uniqueId("pend"), 9, 3, 100, 100, 100, 100)
        .withAdmission(new Campaign.Admission(1000, 1000, 2, null, 1_000_000, 1_000_000)));
    assertThat(gw.claim(pending.id(), claimBody("p", "m0")).statusCode()).isEqualTo(202);
    assertThat(gw.claim(pending.id(), claimBody("p", "m1")).statusCode()).isEqualTo(202);
    HttpResponse<Buffer> third = gw.claim(pending.id(), claimBody("p", "m2"));
    assertThat(third.statusCode()).isEqualTo(429);
    // the pending-claims cap is its own refusal, not the rate limit's
    assertThat(json(third).getString("error")).isEqualTo("too_many_pending");
    assertThat(third.getHeader("Retry-After")).isNotNull();
  }

  @Test
  @DisplayName("503 paused with Retry-After while the kill switch is on; admission continues after resume")
  void paused() {
    Campaign c = open(9, 10);
    CampaignKeys keys = new CampaignKeys(c.id());
    gw.redis(Request.cmd(Command.HSET).arg(keys.config()).arg(CampaignKeys.PAUSED).arg("1"));
    HttpResponse<Buffer> r = gw.claim(c.id(), claimBody("x", "m0"));
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(json(r).getString("error")).isEqualTo("paused");
    assertThat(r.getHeader("Retry-After")).isNotNull();
    assertThat(streamLength(c)).isZero();
    gw.redis(Request.cmd(Command.HSET).arg(keys.config()).arg(CampaignKeys.PAUSED).arg("0"));
    assertThat(gw.claim(c.id(), claimBody("x", "m0")).statusCode()).isEqualTo(202);
  }

  @Test
  @DisplayName("a flood of 20,000 claims for 100 vouchers queues at most 150; the rest are sold_out or throttled")
  void flood() {
    Campaign c = gw.apply(Campaigns.open(Campaigns.uniqueId("flood"), 9, 3, 50, 30, 20)
        .withAdmission(new Campaign.Admission(1_000_000, 1_000_000, 3, 1.5, 1_000_000, 1_000_000)));
    Map<Integer, Integer> statuses = new HashMap<>();
    int total = 20_000;
    for (int from = 0; from < total; from += 500) {
      List<Future<HttpResponse<Buffer>>> wave = new ArrayList<>();
      for (int i = from; i < from + 500; i++) {
        String[] prefs = i % 3 == 0 ? new String[] {"m0", "m1"} : i % 3 == 1 ? new String[] {"m1", "m2"} : new String[] {"m2"};
        wave.add(gw.claimAsync(c.id(), claimBody("citizen-" + i, prefs), null));
      }
      Future.all(wave).await();
      for (Future<HttpResponse<Buffer>> f : wave) {
        HttpResponse<Buffer> r = f.result();
        statuses.merge(r.statusCode(), 1, Integer::sum);
        if (r.statusCode() != 202) {
          assertThat(json(r).getString("error")).isIn("throttled", "sold_out");
        }
      }
    }
    long queued = streamLength(c);
    assertThat(queued).isLessThanOrEqualTo(150).isEqualTo(statuses.get(202).longValue());
    assertThat(statuses.keySet()).isSubsetOf(202, 429, 410);
    assertThat(statuses.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(total);
  }

  @Test
  @DisplayName("a ticket of ours the allocator passed without a decision ends rejected/lost; a decision only in PostgreSQL is found there")
  void statusFallbacks() {
    Campaign c = open(9, 10);
    CampaignKeys keys = new CampaignKeys(c.id());
    String lost = json(gw.claim(c.id(), claimBody("lost", "m0"))).getString("ticket");
    String durable = json(gw.claim(c.id(), claimBody("durable", "m0"))).getString("ticket");
    // the allocator has decided past both claims; Redis holds neither outcome (its data was lost)
    gw.redis(Request.cmd(Command.HSET).arg(keys.config()).arg(CampaignKeys.DECIDED).arg(2));
    gw.pool.preparedQuery("insert into claim (ticket, campaign_id, seq, stream_id, citizen_id, merchant_ids,"
            + " charged_merchant, status, reason, writer_epoch)"
            + " values ($1, $2, 2, '1-0', 'durable', 'm0', 'm0', 'rejected', 'sold_out', 1)")
        .execute(io.vertx.sqlclient.Tuple.of(durable, c.id())).await();

    // no decision was published for them (the gateway heard none): its view of the campaign
    // catches up with the decided seq within its once-a-second read, then Redis and PostgreSQL tell
    JsonObject gone = json(gw.get("/api/v1/claims/" + lost));
    for (int i = 0; i < 30 && "queued".equals(gone.getString("status")); i++) {
      gw.vertx.timer(100).await();
      gone = json(gw.get("/api/v1/claims/" + lost));
    }
    assertThat(gone.getString("status")).isEqualTo("rejected");
    assertThat(gone.getString("reason")).isEqualTo("lost");
    JsonObject fromDatabase = json(gw.get("/api/v1/claims/" + durable));
    assertThat(fromDatabase.getString("status")).isEqualTo("rejected");
    assertThat(fromDatabase.getString("reason")).isEqualTo("sold_out");
  }

  @Test
  @DisplayName("the campaign answer lists remaining per merchant and may be cached for a second")
  void campaign() {
    Campaign c = open(9, 10, 4);
    HttpResponse<Buffer> r = gw.get("/api/v1/campaigns/" + c.id());
    assertThat(r.getHeader("Cache-Control")).isEqualTo("public, max-age=1");
    JsonObject body = json(r);
    assertThat(body.getString("state")).isEqualTo("open");
    assertThat(new BigDecimal(body.getValue("voucherValue").toString())).isEqualByComparingTo("10");
    assertThat(body.getJsonArray("merchants").getJsonObject(1).getInteger("remaining")).isEqualTo(4);
    assertThat(gw.get("/api/v1/campaigns").bodyAsJsonArray().stream()
        .anyMatch(o -> ((JsonObject) o).getString("id").equals(c.id()))).isTrue();
  }

  @Test
  @DisplayName("the launch page is served without touching Redis or PostgreSQL, and is cacheable")
  void launchPage() {
    HttpResponse<Buffer> page = gw.get("/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.getHeader("Content-Type")).startsWith("text/html");
    assertThat(page.getHeader("Cache-Control")).contains("max-age");
    assertThat(page.bodyAsString()).contains("/app.js").doesNotContain("<script>");
    assertThat(gw.get("/app.js").statusCode()).isEqualTo(200);
  }
}
