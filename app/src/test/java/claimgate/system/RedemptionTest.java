package claimgate.system;

import claimgate.access.MerchantKeys;
import claimgate.redemption.Vouchers;
import claimgate.testkit.ApiClient;
import claimgate.voucher.VoucherCodes;

import claimgate.web.Bearer;

import static claimgate.system.LiveStack.admin;
import static claimgate.system.LiveStack.awaitFinal;
import static claimgate.system.LiveStack.claim;
import static claimgate.system.LiveStack.create;
import static claimgate.system.LiveStack.send;
import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.testkit.Campaigns;
import claimgate.testkit.TestServers;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Merchants redeem vouchers the allocator issued (invariant 7): only an issued, unrevoked,
 * unexpired code of that merchant, and only once, however many try at the same moment.
 */
class RedemptionTest {

  static Campaign c;
  static String keyM0;
  static String keyM1;
  /** Codes of merchant m0, each used by one test; and one of m1. */
  static List<String> codesM0 = new ArrayList<>();
  static String codeM1;

  @BeforeAll
  static void issueVouchers() {
    Campaign open = Campaigns.open(Campaigns.uniqueId("redeem"), 9, 3, 100, 100);
    // a value written as a document reader may give it (10.0): every answer says 10.00
    c = create(new Campaign(open.id(), open.name(), open.currency(), new java.math.BigDecimal("10.0"), open.validDays(),
        open.limits(), open.eligibility(), open.admission(), open.rounds(), open.merchants()));
    List<String> tickets = new ArrayList<>();
    for (int i = 0; i < 47; i++) {
      tickets.add(claim(c.id(), "holder-" + i, "m0").json().getString("ticket"));
    }
    tickets.add(claim(c.id(), "holder-m1", "m1").json().getString("ticket"));
    for (String t : tickets) {
      JsonObject voucher = awaitFinal(t).getJsonObject("voucher");
      if (voucher.getString("merchantId").equals("m0")) {
        codesM0.add(voucher.getString("code"));
      } else {
        codeM1 = voucher.getString("code");
      }
    }
    String status = LiveStack.get("/api/v1/claims/" + tickets.get(0)).raw().body();
    assertThat(status).contains("\"value\":10.00").containsPattern("\"expiresAt\":\"[0-9-]{10}T[0-9:]{8}\\.[0-9]{3}Z\"");
    assertThat(LiveStack.get("/api/v1/campaigns/" + c.id()).raw().body()).contains("\"voucherValue\":10.00");
    keyM0 = LiveStack.merchantKey(c.id(), "m0");
    keyM1 = LiveStack.merchantKey(c.id(), "m1");
  }

  static ApiClient.Reply redeem(String key, String code, String idempotencyKey) {
    return send("POST", "/api/v1/redemptions", key, new JsonObject().put("code", code), idempotencyKey);
  }

  @Test
  @DisplayName("100 concurrent redemptions of one code by its merchant: exactly 1 redeemed, 99 already_redeemed; another merchant: wrong_merchant")
  void concurrentRedemptions() throws Exception {
    String code = codesM0.get(0);
    ExecutorService pool = Executors.newFixedThreadPool(100);
    List<Callable<ApiClient.Reply>> attempts = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      attempts.add(() -> redeem(keyM0, code, null));
    }
    List<ApiClient.Reply> replies = new ArrayList<>();
    for (Future<ApiClient.Reply> f : pool.invokeAll(attempts)) {
      replies.add(f.get());
    }
    pool.shutdown();
    assertThat(replies.stream().filter(r -> r.status() == 200)).hasSize(1);
    List<ApiClient.Reply> refused = replies.stream().filter(r -> r.status() != 200).toList();
    assertThat(refused).hasSize(99).allSatisfy(r -> {
      assertThat(r.status()).isEqualTo(409);
      assertThat(r.error()).isEqualTo("already_redeemed");
      assertThat(r.json().getString("redeemedAt")).isNotNull();
    });
    JsonObject ok = replies.stream().filter(r -> r.status() == 200).findFirst().orElseThrow().json();
    assertThat(ok.getString("status")).isEqualTo("redeemed");
    assertThat(ok.getString("merchantId")).isEqualTo("m0");
    assertThat(ok.getString("code")).isEqualTo(code);

    ApiClient.Reply other = redeem(keyM1, codesM0.get(1), null);
    assertThat(other.status()).isEqualTo(403);
    assertThat(other.error()).isEqualTo("wrong_merchant");
  }

  @Test
  @DisplayName("for each of 10 codes a request, its repeat and another request at once: one request wins, its repeat agrees, the other is already_redeemed")
  void racingRequests() throws Exception {
    List<String> codes = codesM0.subList(17, 27);
    ExecutorService pool = Executors.newFixedThreadPool(30);
    List<Callable<ApiClient.Reply>> sends = new ArrayList<>();
    for (String code : codes) {
      sends.add(() -> redeem(keyM0, code, "batch-a-" + code));
      sends.add(() -> redeem(keyM0, code, "batch-a-" + code));
      sends.add(() -> redeem(keyM0, code, "batch-b-" + code));
    }
    List<ApiClient.Reply> replies = new ArrayList<>();
    for (Future<ApiClient.Reply> f : pool.invokeAll(sends)) {
      replies.add(f.get());
    }
    pool.shutdown();
    for (int i = 0; i < codes.size(); i++) {
      ApiClient.Reply a = replies.get(3 * i);
      ApiClient.Reply again = replies.get(3 * i + 1);
      ApiClient.Reply b = replies.get(3 * i + 2);
      assertThat(again.status()).as("the repeat of %s answers as the request", codes.get(i)).isEqualTo(a.status());
      if (a.status() == 200) {
        assertThat(again.json()).isEqualTo(a.json());
        assertThat(b.status()).isEqualTo(409);
        assertThat(b.error()).isEqualTo("already_redeemed");
      } else {
        assertThat(a.error()).isEqualTo("already_redeemed");
        assertThat(b.status()).isEqualTo(200);
      }
    }
    assertThat(replies.stream().filter(r -> r.status() == 200).map(r -> r.json().getString("code")).distinct())
        .hasSize(codes.size());
  }

  @Test
  @DisplayName("a repeat of the same request (Idempotency-Key) answers as the first did; another request gets already_redeemed")
  void idempotentRedemption() {
    String code = codesM0.get(2);
    ApiClient.Reply first = redeem(keyM0, code.toLowerCase().replace("-", " "), "till-7-0001");
    assertThat(first.status()).isEqualTo(200);
    ApiClient.Reply repeat = redeem(keyM0, code, "till-7-0001");
    assertThat(repeat.status()).isEqualTo(200);
    assertThat(repeat.json()).isEqualTo(first.json());
    ApiClient.Reply other = redeem(keyM0, code, "till-7-0002");
    assertThat(other.status()).isEqualTo(409);
  }

  @Test
  @DisplayName("offline batch: valid, redeemed, revoked, expired, forged, typo'd, other merchant's, repeated, future: each judged right, in input order")
  void offlineBatch() {
    String valid = codesM0.get(3);
    String redeemed = codesM0.get(4);
    String revoked = codesM0.get(5);
    String expired = codesM0.get(6);
    assertThat(redeem(keyM0, redeemed, null).status()).isEqualTo(200);
    assertThat(admin("POST", "/admin/v1/vouchers/revoke", new JsonObject().put("codes", new JsonArray().add(revoked)).put("reason", "fraud"))
        .json().getInteger("revoked")).isEqualTo(1);
    expire(expired);
    String forged = new claimgate.voucher.ForgedCodes(1).next(c.codePrefix());
    String typo = valid.substring(0, valid.length() - 1) + (valid.endsWith("0") ? "1" : "0");
    String at = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString();
    JsonArray items = new JsonArray();
    for (String code : List.of(valid, redeemed, revoked, expired, forged, typo, codeM1, valid)) {
      items.add(new JsonObject().put("code", code).put("redeemedAt", at));
    }
    items.add(new JsonObject().put("code", codesM0.get(7)).put("redeemedAt", Instant.now().plusSeconds(86_400).toString()));
    ApiClient.Reply r = send("POST", "/api/v1/redemptions/batch", keyM0, new JsonObject().put("items", items));
    assertThat(r.status()).isEqualTo(200);
    JsonArray results = r.json().getJsonArray("results");
    List<String> outcomes = new ArrayList<>();
    for (int i = 0; i < results.size(); i++) {
      JsonObject result = results.getJsonObject(i);
      outcomes.add("redeemed".equals(result.getString("status")) ? "redeemed" : result.getString("error"));
    }
    // the same code twice in one batch is one voucher taken once
    assertThat(outcomes).containsExactly("redeemed", "already_redeemed", "revoked", "expired", "unknown_code",
        "invalid_code", "wrong_merchant", "already_redeemed", "invalid_request");
    assertThat(Instant.parse(results.getJsonObject(0).getString("redeemedAt"))).isEqualTo(Instant.parse(at));
    assertThat(results.getJsonObject(0).getString("redeemedAt")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");

    // the same till re-sends its backlog (its answer was lost): the same redemption, answered alike;
    // another till sending the same item is told the voucher is spent
    JsonObject again = new JsonObject().put("items", new JsonArray().add(items.getJsonObject(0)));
    JsonObject resent = send("POST", "/api/v1/redemptions/batch", keyM0, again).json().getJsonArray("results").getJsonObject(0);
    assertThat(resent.getString("status")).isEqualTo("redeemed");
    assertThat(resent.getString("redeemedAt")).isEqualTo(results.getJsonObject(0).getString("redeemedAt"));
    String otherTill = LiveStack.merchantKey(c.id(), "m0");
    JsonObject elsewhere = send("POST", "/api/v1/redemptions/batch", otherTill, again).json().getJsonArray("results")
        .getJsonObject(0);
    assertThat(elsewhere.getString("error")).isEqualTo("already_redeemed");
    // two devices that share one key: the stored answer is the first device's alone
    JsonObject otherDevice = send("POST", "/api/v1/redemptions/batch", keyM0, again.copy().put("deviceId", "till-2"))
        .json().getJsonArray("results").getJsonObject(0);
    assertThat(otherDevice.getString("error")).isEqualTo("already_redeemed");
    JsonObject sameDevice = send("POST", "/api/v1/redemptions/batch", keyM0, again).json().getJsonArray("results")
        .getJsonObject(0);
    assertThat(sameDevice.getString("status")).isEqualTo("redeemed");
  }

  @Test
  @DisplayName("offline times: not before the voucher was issued, not older than the offline window (no back-dating past an expiry), with an offset")
  void offlineTimes() {
    String issuedLater = codesM0.get(11);
    String expiredYesterday = codesM0.get(12);
    String beforeIssue = Instant.now().minusSeconds(3_600).toString();
    // issued five days ago, expired yesterday: a time before the expiry is a back-dating past the window
    sql("update voucher set issued_at = now() - interval '5 days', expires_at = now() - interval '1 day' where code = $1",
        expiredYesterday);
    String backDated = Instant.now().minus(java.time.Duration.ofHours(80)).toString();
    JsonArray items = new JsonArray()
        .add(new JsonObject().put("code", issuedLater).put("redeemedAt", beforeIssue))
        .add(new JsonObject().put("code", expiredYesterday).put("redeemedAt", backDated))
        .add(new JsonObject().put("code", issuedLater).put("redeemedAt", "2027-04-12T10:15:00"));
    JsonArray results = send("POST", "/api/v1/redemptions/batch", keyM0, new JsonObject().put("items", items)).json()
        .getJsonArray("results");
    assertThat(results.getJsonObject(0).getString("error")).isEqualTo("invalid_request");
    assertThat(results.getJsonObject(0).getString("message")).contains("before the voucher was issued");
    assertThat(results.getJsonObject(1).getString("error")).isEqualTo("invalid_request");
    assertThat(results.getJsonObject(1).getString("message")).contains("72 h");
    assertThat(results.getJsonObject(2).getString("error")).isEqualTo("already_redeemed");
    JsonArray local = send("POST", "/api/v1/redemptions/batch", keyM0, new JsonObject().put("items", new JsonArray()
        .add(new JsonObject().put("code", codesM0.get(13)).put("redeemedAt", "2027-04-12T10:15:00")))).json()
        .getJsonArray("results");
    assertThat(local.getJsonObject(0).getString("message")).contains("offset");
    assertThat(send("GET", "/api/v1/vouchers/" + issuedLater, keyM0, null).json().getString("status")).isEqualTo("issued");
  }

  @Test
  @DisplayName("an Idempotency-Key answers only its own till: the same key from another till of the shop gets already_redeemed")
  void idempotencyBelongsToTheCaller() {
    String code = codesM0.get(14);
    String tillA = LiveStack.merchantKey(c.id(), "m0");
    String tillB = LiveStack.merchantKey(c.id(), "m0");
    assertThat(redeem(tillA, code, "1").status()).isEqualTo(200);
    assertThat(redeem(tillA, code, "1").status()).isEqualTo(200);
    ApiClient.Reply other = redeem(tillB, code, "1");
    assertThat(other.status()).isEqualTo(409);
    assertThat(other.error()).isEqualTo("already_redeemed");
  }

  @Test
  @DisplayName("a code pasted from a PDF or an e-mail (en dashes, no-break spaces, a zero-width space, lower case) redeems and looks up as typed")
  void pastedCodes() {
    String code = codesM0.get(15);
    String pasted = "\u200B" + code.toLowerCase(java.util.Locale.ROOT).replace("-", "\u00A0\u2013\u00A0") + "\n";
    String lookedUp = java.net.URLEncoder.encode(code.replace('-', '\u2014'), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(send("GET", "/api/v1/vouchers/" + lookedUp, keyM0, null).json().getString("status")).isEqualTo("issued");
    ApiClient.Reply redeemed = redeem(keyM0, pasted, null);
    assertThat(redeemed.status()).as(redeemed.json().encode()).isEqualTo(200);
    assertThat(redeemed.json().getString("code")).isEqualTo(code);
    assertThat(send("GET", "/api/v1/vouchers/" + lookedUp, keyM0, null).json().getString("status")).isEqualTo("redeemed");
    // what a till's scanner sends after reading the voucher's QR code: the code and its Enter
    String scanned = codesM0.get(16);
    ApiClient.Reply fromScanner = redeem(keyM0, scanned + "\r\n", null);
    assertThat(fromScanner.status()).as(fromScanner.json().encode()).isEqualTo(200);
    assertThat(fromScanner.json().getString("code")).isEqualTo(scanned);
  }

  @Test
  @DisplayName("lookup without redeeming: issued, redeemed, revoked; another merchant's code 403, a forged one 404")
  void lookup() {
    String issued = codesM0.get(8);
    assertThat(send("GET", "/api/v1/vouchers/" + issued, keyM0, null).json().getString("status")).isEqualTo("issued");
    assertThat(send("GET", "/api/v1/vouchers/" + issued, keyM0, null).json().getString("status")).isEqualTo("issued");
    redeem(keyM0, issued, null);
    JsonObject after = send("GET", "/api/v1/vouchers/" + issued, keyM0, null).json();
    assertThat(after.getString("status")).isEqualTo("redeemed");
    assertThat(after.getString("redeemedAt")).isNotNull();
    assertThat(send("GET", "/api/v1/vouchers/" + codesM0.get(9), keyM1, null).status()).isEqualTo(403);
    assertThat(send("GET", "/api/v1/vouchers/" + new claimgate.voucher.ForgedCodes(2).next(c.codePrefix()), keyM0, null)
        .status()).isEqualTo(404);
  }

  @Test
  @DisplayName("amounts with their currency's decimals everywhere: a document's 1000.0 JPY answers 1000, 2.5 KWD 2.500, "
      + "10.0 EUR 10.00, in the applied document, its audit, the campaign, the claim, the redemption and the lookup")
  void amountsInEveryCurrency() {
    for (String[] money : new String[][] {{"JPY", "1000.0", "1000"}, {"KWD", "2.5", "2.500"}, {"EUR", "10.0", "10.00"}}) {
      Campaign base = claimgate.testkit.Campaigns.open(claimgate.testkit.Campaigns.uniqueId("money"), 9, 3, 5);
      // the document as an operator may write it: the amount with other decimals than the currency's
      String document = new JsonObject(claimgate.campaign.CampaignFiles.toJson(base)).put("currency", money[0])
          .put("voucherValue", 7).encode().replace("\"voucherValue\":7", "\"voucherValue\":" + money[1]);
      ApiClient.Reply applied = LiveStack.admin("PUT", "/admin/v1/campaigns/" + base.id(), document);
      assertThat(applied.status()).as(applied.raw().body()).isEqualTo(201);
      assertThat(number(applied.raw().body(), "voucherValue")).isEqualTo(money[2]);
      String audit = LiveStack.admin("GET", "/admin/v1/audit?campaignId=" + base.id() + "&limit=1", null).raw().body();
      assertThat(number(audit, "voucherValue")).isEqualTo(money[2]);
      assertThat(number(LiveStack.get("/api/v1/campaigns/" + base.id()).raw().body(), "voucherValue")).isEqualTo(money[2]);

      JsonObject confirmed = LiveStack.awaitFinal(LiveStack.claim(base.id(), "money-citizen", "m0").json().getString("ticket"));
      String code = confirmed.getJsonObject("voucher").getString("code");
      String ticket = confirmed.getString("ticket");
      assertThat(number(LiveStack.get("/api/v1/claims/" + ticket).raw().body(), "value")).isEqualTo(money[2]);
      String key = LiveStack.merchantKey(base.id(), "m0");
      assertThat(number(redeem(key, code, null).raw().body(), "value")).isEqualTo(money[2]);
      assertThat(number(send("GET", "/api/v1/vouchers/" + code, key, null).raw().body(), "value")).isEqualTo(money[2]);
    }
    // more decimals than the currency has is refused, not rounded
    Campaign base = claimgate.testkit.Campaigns.open(claimgate.testkit.Campaigns.uniqueId("money"), 9, 3, 5);
    String document = new JsonObject(claimgate.campaign.CampaignFiles.toJson(base)).put("currency", "JPY")
        .put("voucherValue", 7).encode().replace("\"voucherValue\":7", "\"voucherValue\":10.5");
    ApiClient.Reply refused = LiveStack.admin("PUT", "/admin/v1/campaigns/" + base.id(), document);
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.json().getString("message")).contains("more decimals than JPY");
  }

  /** A number as the answer's text writes it (the JSON text, not the parsed value: 10.00 and 10 parse alike). */
  static String number(String json, String field) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + field + "\":([0-9.]+)").matcher(json);
    assertThat(m.find()).as(field + " in " + json).isTrue();
    return m.group(1);
  }

  @Test
  @DisplayName("revoking a merchant revokes its unredeemed vouchers, audited; a revoked code answers 410 revoked")
  void revokeMerchant() {
    Campaign other = create(Campaigns.open(Campaigns.uniqueId("revoke"), 9, 3, 10));
    String code = awaitFinal(claim(other.id(), "holder", "m0").json().getString("ticket")).getJsonObject("voucher").getString("code");
    String key = LiveStack.merchantKey(other.id(), "m0");
    ApiClient.Reply revoked = admin("POST", "/admin/v1/vouchers/revoke",
        new JsonObject().put("merchantId", "m0").put("campaignId", other.id()).put("reason", "withdrawal"));
    assertThat(revoked.json().getInteger("revoked")).isEqualTo(1);
    ApiClient.Reply refused = redeem(key, code, null);
    assertThat(refused.status()).isEqualTo(410);
    assertThat(refused.error()).isEqualTo("revoked");
    JsonObject audit = admin("GET", "/admin/v1/audit?campaignId=" + other.id() + "&limit=1", null).array().getJsonObject(0);
    assertThat(audit.getString("action")).isEqualTo("voucher.revoke");
    assertThat(audit.getJsonObject("detail").getInteger("revoked")).isEqualTo(1);
  }

  @Test
  @DisplayName("merchant routes: no key or a wrong key 401, the operator token 403")
  void credentials() {
    String code = codesM0.get(10);
    assertThat(send("POST", "/api/v1/redemptions", null, new JsonObject().put("code", code)).status()).isEqualTo(401);
    assertThat(send("POST", "/api/v1/redemptions", "cgm_wrong", new JsonObject().put("code", code)).status()).isEqualTo(401);
    ApiClient.Reply operator = send("POST", "/api/v1/redemptions", LiveStack.OPERATOR_TOKEN, new JsonObject().put("code", code));
    assertThat(operator.status()).isEqualTo(403);
    assertThat(operator.raw().body()).doesNotContain(LiveStack.OPERATOR_TOKEN);
    assertThat(send("GET", "/api/v1/vouchers/" + code, keyM0, null).json().getString("status")).isEqualTo("issued");
  }

  @Test
  @DisplayName("redemptions sent together share ONE statement and each is answered as it would be alone: "
      + "fresh, pasted, the same request twice, two requests for one code, redeemed before, a repeat, "
      + "revoked, expired, another merchant's, forged, malformed, without a key")
  void redemptionsTogether() {
    Vouchers vouchers = new Vouchers(VoucherCodes.fromSpec(TestServers.CODE_KEY));
    MerchantKeys.Holder m0 = new MerchantKeys.Holder(c.id(), "m0", Bearer.hash(keyM0));
    MerchantKeys.Holder m1 = new MerchantKeys.Holder(c.id(), "m1", Bearer.hash(keyM1));
    String forged = VoucherCodes.fromSpec(VoucherCodes.newKeySpec(1, new java.security.SecureRandom()))
        .issue(c.id(), "X", 7);
    Vertx vertx = Vertx.vertx();
    Pool pool = TestServers.database().pool(vertx, 2);
    try {
      List<List<String>> answers = new ArrayList<>();
      for (int twin = 0; twin < 2; twin++) {
        List<String> v = codesM0.subList(27 + 9 * twin, 36 + 9 * twin);
        vouchers.redeem(pool, m0, v.get(4), null, "k:first").await();
        vouchers.redeem(pool, m0, v.get(5), null, "k:same").await();
        sql("update voucher set revoked_at = now(), revoke_reason = 'fraud' where code = $1", v.get(6));
        expire(v.get(7));
        List<Vouchers.Now> requests = List.of(
            new Vouchers.Now(m0, v.get(0), "k:fresh"),
            new Vouchers.Now(m0, " " + v.get(1).toLowerCase(java.util.Locale.ROOT).replace("-", " ") + "\n", "k:pasted"),
            new Vouchers.Now(m0, v.get(2), "k:twice"),
            new Vouchers.Now(m0, v.get(2), "k:twice"),
            new Vouchers.Now(m0, v.get(3), "k:one"),
            new Vouchers.Now(m0, v.get(3), "k:other"),
            new Vouchers.Now(m0, v.get(4), "k:second"),
            new Vouchers.Now(m0, v.get(5), "k:same"),
            new Vouchers.Now(m0, v.get(6), "k:revoked"),
            new Vouchers.Now(m0, v.get(7), "k:expired"),
            new Vouchers.Now(m0, codeM1, "k:theirs"),
            new Vouchers.Now(m1, v.get(8), "k:wrong-shop"),
            new Vouchers.Now(m0, forged, "k:forged"),
            new Vouchers.Now(m0, "NOT A CODE", "k:malformed"),
            new Vouchers.Now(m0, v.get(8), null));
        List<Vouchers.Outcome> outcomes = new ArrayList<>();
        if (twin == 0) {
          for (Vouchers.Now r : requests) {
            outcomes.add(vouchers.redeem(pool, r.merchant(), r.typed(), null, r.requestKey()).await());
          }
        } else {
          outcomes.addAll(vouchers.redeemNow(pool, requests).await());
        }
        List<String> shapes = new ArrayList<>(outcomes.stream().map(RedemptionTest::shape).toList());
        // the same request twice: one voucher, one answer for both
        assertThat(outcomes.get(2)).isEqualTo(outcomes.get(3));
        // two requests for one code: one is redeemed, the other is told so, in either order
        java.util.Collections.sort(shapes.subList(4, 6));
        answers.add(shapes);
      }
      assertThat(answers.get(0)).containsExactly(
          "redeemed m0 10.00", "redeemed m0 10.00", "redeemed m0 10.00", "redeemed m0 10.00",
          "409 already_redeemed", "redeemed m0 10.00",
          "409 already_redeemed", "redeemed m0 10.00", "410 revoked", "410 expired", "403 wrong_merchant",
          "403 wrong_merchant", "404 unknown_code", "400 invalid_code", "redeemed m0 10.00");
      assertThat(answers.get(1)).as("together as alone").isEqualTo(answers.get(0));
    } finally {
      pool.close().await();
      vertx.close().await();
    }
  }

  @Test
  @DisplayName("redemptions together that PostgreSQL ends to break a deadlock with another transaction are run again, not failed")
  void deadlockedBatchRunsAgain() {
    Vouchers vouchers = new Vouchers(VoucherCodes.fromSpec(TestServers.CODE_KEY));
    MerchantKeys.Holder m0 = new MerchantKeys.Holder(c.id(), "m0", Bearer.hash(keyM0));
    List<String> two = new ArrayList<>(codesM0.subList(45, 47));
    java.util.Collections.sort(two);
    Vertx vertx = Vertx.vertx();
    Pool pool = TestServers.database().pool(vertx, 3);
    try {
      long deadlocksBefore = deadlocks(pool);
      // another transaction holds the later voucher; the batch, in code order, takes the earlier
      // one and waits for it; then the other transaction asks for the earlier one: a cycle
      io.vertx.sqlclient.SqlConnection other = pool.getConnection().await();
      io.vertx.sqlclient.Transaction tx = other.begin().await();
      String lock = "select code from voucher where code = $1 for update";
      other.preparedQuery(lock).execute(Tuple.of(two.get(1))).await();
      io.vertx.core.Future<List<Vouchers.Outcome>> batch = vouchers.redeemNow(pool,
          List.of(new Vouchers.Now(m0, two.get(1), "k:dl-later"), new Vouchers.Now(m0, two.get(0), "k:dl-earlier")));
      ApiClient.pause(500);
      // PostgreSQL ends the statement that has waited longest (the batch's, after deadlock_timeout)
      other.preparedQuery(lock).execute(Tuple.of(two.get(0))).await();
      tx.commit().await();
      other.close().await();
      assertThat(batch.await()).allSatisfy(outcome -> assertThat(outcome).isInstanceOf(Vouchers.Outcome.Redeemed.class));
      long deadline = System.currentTimeMillis() + 5_000;
      while (deadlocks(pool) == deadlocksBefore && System.currentTimeMillis() < deadline) {
        ApiClient.pause(100);
      }
      assertThat(deadlocks(pool)).as("a deadlock was broken on the way").isGreaterThan(deadlocksBefore);
    } finally {
      pool.close().await();
      vertx.close().await();
    }
  }

  private static long deadlocks(Pool pool) {
    return pool.query("select deadlocks from pg_stat_database where datname = current_database()").execute().await()
        .iterator().next().getLong(0);
  }

  private static String shape(Vouchers.Outcome outcome) {
    return outcome instanceof Vouchers.Outcome.Redeemed r
        ? "redeemed " + r.merchantId() + " " + r.value().toPlainString()
        : ((Vouchers.Outcome.Refused) outcome).error().status() + " " + ((Vouchers.Outcome.Refused) outcome).error().error();
  }

  /** Moves a voucher's expiry into the past, as time would. */
  static void expire(String code) {
    sql("update voucher set expires_at = now() - interval '2 hours', issued_at = now() - interval '3 days' "
        + "where code = $1", code);
  }

  static void sql(String update, String code) {
    Vertx vertx = Vertx.vertx();
    Pool pool = TestServers.database().pool(vertx, 1);
    try {
      pool.preparedQuery(update).execute(Tuple.of(code)).await();
    } finally {
      pool.close().await();
      vertx.close().await();
    }
  }
}
