package claimgate.system;

import claimgate.testkit.ApiClient;

import static claimgate.system.LiveStack.admin;
import static claimgate.system.LiveStack.awaitFinal;
import static claimgate.system.LiveStack.claim;
import static claimgate.system.LiveStack.create;
import static claimgate.system.LiveStack.get;
import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.testkit.Campaigns;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.function.Predicate;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A revocation states its reason. Fraud keeps the citizen's slot and the shop's stock used; a
 * withdrawal (the shop leaves the programme) or a mistake frees both: the citizen may claim
 * again, the stock goes back to the shop, and the ticket shows the revocation. The allocator
 * learns of it within a heartbeat, so the claims that follow are retried until the edge and the
 * allocator agree; the invariant check then finds the campaign sound.
 */
class RevocationTest {

  @Test
  @DisplayName("withdrawal: the citizen's slot is freed (they claim at another shop), the stock goes back, the ticket shows it")
  void withdrawalFreesSlotAndStock() {
    Campaign c = create(Campaigns.open(Campaigns.uniqueId("withdraw"), 1, 1, 2, 10));
    JsonObject a = confirmed(claim(c.id(), "citizen-a", "m0"));
    confirmed(claim(c.id(), "citizen-b", "m0"));
    assertSoldOut(claim(c.id(), "citizen-c", "m0"));
    // one voucher per person: a's second claim is refused while a holds one
    assertThat(claim(c.id(), "citizen-a", "m1").status()).isEqualTo(409);

    JsonObject revoked = revoke(new JsonObject().put("codes", new JsonArray().add(code(a))).put("reason", "withdrawal"));
    assertThat(revoked.getInteger("revoked")).isEqualTo(1);
    assertThat(revoked.getInteger("slotsFreed")).isEqualTo(1);

    JsonObject status = eventually(a.getString("ticket"), s -> "revoked".equals(s.getString("status")));
    assertThat(status.getJsonObject("revocation").getString("reason")).isEqualTo("withdrawal");
    assertThat(status.getJsonObject("revocation").getBoolean("slotFreed")).isTrue();
    assertThat(status.getJsonObject("voucher").getString("code")).isEqualTo(code(a));

    // a claims again, at another shop; c gets the stock a's voucher gave back to m0
    assertThat(claimUntilConfirmed(c.id(), "citizen-a", "m1").getJsonObject("voucher").getString("merchantId"))
        .isEqualTo("m1");
    assertThat(claimUntilConfirmed(c.id(), "citizen-c", "m0").getJsonObject("voucher").getString("merchantId"))
        .isEqualTo("m0");
    // m0 is full again: its two vouchers held by b and c
    assertSoldOut(claim(c.id(), "citizen-d", "m0"));
    assertThat(InvariantCheckTest.check(c.id(), true)).isEmpty();
  }

  @Test
  @DisplayName("fraud: the slot and the stock stay used; the ticket shows the revocation without a freed slot")
  void fraudKeepsSlotAndStock() {
    Campaign c = create(Campaigns.open(Campaigns.uniqueId("fraud"), 1, 1, 1, 10));
    JsonObject a = confirmed(claim(c.id(), "citizen-a", "m0"));
    JsonObject revoked = revoke(new JsonObject().put("codes", new JsonArray().add(code(a))).put("reason", "fraud"));
    assertThat(revoked.getInteger("slotsFreed")).isZero();
    JsonObject status = eventually(a.getString("ticket"), s -> "revoked".equals(s.getString("status")));
    assertThat(status.getJsonObject("revocation").getBoolean("slotFreed")).isFalse();
    // after the allocator took the change in: still one voucher's worth held, m0 still issued out
    LiveStack.pause(1_500);
    assertThat(claim(c.id(), "citizen-a", "m1").status()).isEqualTo(409);
    assertSoldOut(claim(c.id(), "citizen-b", "m0"));
    assertThat(InvariantCheckTest.check(c.id(), true)).isEmpty();
  }

  @Test
  @DisplayName("mistake, with two vouchers each: the freed slot is the lower one, and the next voucher fills that gap")
  void mistakeFillsTheGap() {
    Campaign c = create(Campaigns.open(Campaigns.uniqueId("mistake"), 2, 1, 10, 10, 10));
    JsonObject first = confirmed(claim(c.id(), "citizen-a", "m0"));
    confirmed(claim(c.id(), "citizen-a", "m1"));
    assertThat(claim(c.id(), "citizen-a", "m2").status()).isEqualTo(409);
    revoke(new JsonObject().put("codes", new JsonArray().add(code(first))).put("reason", "mistake"));
    // the citizen's slot 1 is free, slot 2 held: the new voucher takes slot 1 (not 3, past the limit)
    assertThat(claimUntilConfirmed(c.id(), "citizen-a", "m2").getJsonObject("voucher").getString("merchantId"))
        .isEqualTo("m2");
    // and now both slots are held again (a new request: the same body as the first claim would be its repeat)
    assertThat(claim(c.id(), "citizen-a", "m0", "m2").status()).isEqualTo(409);
    assertThat(InvariantCheckTest.check(c.id(), true)).isEmpty();
  }

  @Test
  @DisplayName("a shop leaves: its unredeemed vouchers revoked as withdrawal free their holders' slots, and the shop is closed")
  void merchantWithdrawal() {
    Campaign c = create(Campaigns.open(Campaigns.uniqueId("leave"), 1, 1, 5, 5));
    JsonObject a = confirmed(claim(c.id(), "citizen-a", "m0"));
    confirmed(claim(c.id(), "citizen-b", "m0"));
    JsonObject revoked = revoke(new JsonObject().put("merchantId", "m0").put("campaignId", c.id())
        .put("reason", "withdrawal"));
    assertThat(revoked.getInteger("revoked")).isEqualTo(2);
    assertThat(revoked.getInteger("slotsFreed")).isEqualTo(2);
    assertThat(revoked.getBoolean("shopClosed")).isTrue();
    eventually(a.getString("ticket"), s -> "revoked".equals(s.getString("status")));
    claimUntilConfirmed(c.id(), "citizen-a", "m1");
    claimUntilConfirmed(c.id(), "citizen-b", "m1");
    // the shop is closed: its contingent is what it redeemed (none), so it issues nothing more
    assertSoldOut(claim(c.id(), "citizen-c", "m0"));
    int remaining = -1;
    for (int i = 0; i < 40 && remaining != 0; i++) {
      LiveStack.pause(i == 0 ? 0 : 100);
      // the campaign page is up to a second behind
      remaining = get("/api/v1/campaigns/" + c.id()).json().getJsonArray("merchants").stream()
          .map(m -> (JsonObject) m).filter(m -> "m0".equals(m.getString("id"))).findFirst().orElseThrow()
          .getInteger("remaining");
    }
    assertThat(remaining).isZero();
    JsonObject audit = admin("GET", "/admin/v1/audit?campaignId=" + c.id() + "&limit=1", null).array().getJsonObject(0);
    assertThat(audit.getJsonObject("detail").getString("reason")).isEqualTo("withdrawal");
    assertThat(InvariantCheckTest.check(c.id(), true)).isEmpty();
  }

  @Test
  @DisplayName("revocations of every reason race 8 claiming clients for 4 s: every claim decided, the campaign sound")
  void racingClaims() throws Exception {
    Campaign c = create(Campaigns.open(Campaigns.uniqueId("race-revoke"), 2, 1, 20, 20, 20));
    // a first claim decided: the campaign is led, at the epoch the race must end with
    confirmed(claim(c.id(), "citizen-0", "m0"));
    long epochBefore = writerEpoch(c.id());
    java.util.concurrent.LinkedBlockingQueue<String> issued = new java.util.concurrent.LinkedBlockingQueue<>();
    java.util.concurrent.atomic.AtomicInteger decided = new java.util.concurrent.atomic.AtomicInteger();
    long until = System.currentTimeMillis() + 4_000;
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(9);
    java.util.List<java.util.concurrent.Future<?>> running = new java.util.ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int thread = t;
      running.add(pool.submit(() -> {
        java.util.Random random = new java.util.Random(thread);
        while (System.currentTimeMillis() < until) {
          String citizen = "citizen-" + random.nextInt(30);
          // a fresh key each time: a new claim, never the repeat of an earlier one
          ApiClient.Reply r = LiveStack.send("POST", "/api/v1/campaigns/" + c.id() + "/claims", null,
              new JsonObject().put("citizenId", citizen).put("merchantIds", new JsonArray().add("m" + random.nextInt(3))),
              "race-" + thread + "-" + random.nextLong());
          if (r.status() == 202) {
            JsonObject status = awaitFinal(r.json().getString("ticket"));
            decided.incrementAndGet();
            if ("confirmed".equals(status.getString("status"))) {
              issued.add(code(status));
            }
          }
        }
        return null;
      }));
    }
    String[] reasons = {"withdrawal", "mistake", "fraud"};
    int revoked = 0;
    while (System.currentTimeMillis() < until) {
      String code = issued.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
      if (code != null && revoked % 2 == 0) {
        revoke(new JsonObject().put("codes", new JsonArray().add(code)).put("reason", reasons[revoked / 2 % 3]));
      }
      revoked += code == null ? 0 : 1;
    }
    for (java.util.concurrent.Future<?> f : running) {
      f.get();
    }
    pool.shutdown();
    assertThat(decided.get()).isGreaterThan(20);
    assertThat(revoked).isGreaterThan(4);
    assertThat(InvariantCheckTest.check(c.id(), true)).isEmpty();
    // the allocator never failed a commit (a slot collision would have made it rejoin the election)
    assertThat(writerEpoch(c.id())).isEqualTo(epochBefore);
  }

  @Test
  @DisplayName("a revocation without a known reason is 400 naming the field, and revokes nothing")
  void reasonRequired() {
    Campaign c = create(Campaigns.open(Campaigns.uniqueId("noreason"), 1, 1, 5));
    JsonObject a = confirmed(claim(c.id(), "citizen-a", "m0"));
    for (JsonObject body : new JsonObject[] {
        new JsonObject().put("codes", new JsonArray().add(code(a))),
        new JsonObject().put("codes", new JsonArray().add(code(a))).put("reason", "leaving"),
        new JsonObject().put("codes", new JsonArray().add(code(a))).put("reason", "Withdrawal")}) {
      ApiClient.Reply r = admin("POST", "/admin/v1/vouchers/revoke", body);
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.json().getString("message")).contains("reason");
    }
    assertThat(get("/api/v1/claims/" + a.getString("ticket")).json().getString("status")).isEqualTo("confirmed");
  }

  static long writerEpoch(String campaignId) {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    io.vertx.sqlclient.Pool pool = claimgate.testkit.TestServers.database().pool(vertx, 1);
    try {
      return pool.preparedQuery("select writer_epoch from campaign where id = $1")
          .execute(io.vertx.sqlclient.Tuple.of(campaignId)).await().iterator().next().getLong(0);
    } finally {
      pool.close().await();
      vertx.close().await();
    }
  }

  /** Sold out: refused at the edge (410), or admitted and then rejected by the allocator. */
  private static void assertSoldOut(ApiClient.Reply r) {
    if (r.status() == 202) {
      assertThat(awaitFinal(r.json().getString("ticket")).getString("reason")).isEqualTo("sold_out");
    } else {
      assertThat(r.status()).as(r.raw().body()).isEqualTo(410);
      assertThat(r.error()).isEqualTo("sold_out");
    }
  }

  private static JsonObject revoke(JsonObject body) {
    ApiClient.Reply r = admin("POST", "/admin/v1/vouchers/revoke", body);
    assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
    return r.json();
  }

  private static JsonObject confirmed(ApiClient.Reply admitted) {
    assertThat(admitted.status()).as(admitted.raw().body()).isEqualTo(202);
    JsonObject status = awaitFinal(admitted.json().getString("ticket"));
    assertThat(status.getString("status")).as(status.encode()).isEqualTo("confirmed");
    return status;
  }

  private static String code(JsonObject status) {
    return status.getJsonObject("voucher").getString("code");
  }

  /** Claims until confirmed: until the allocator took the revocation in, the edge still counts the old voucher. */
  private static JsonObject claimUntilConfirmed(String campaignId, String citizen, String merchant) {
    String last = "";
    for (int i = 0; i < 100; i++) {
      ApiClient.Reply r = claim(campaignId, citizen, merchant);
      if (r.status() == 202) {
        JsonObject status = awaitFinal(r.json().getString("ticket"));
        if ("confirmed".equals(status.getString("status"))) {
          return status;
        }
        last = status.encode();
      } else {
        last = r.status() + " " + r.raw().body();
      }
      LiveStack.pause(100);
    }
    throw new AssertionError(citizen + " was never confirmed at " + merchant + ": " + last);
  }

  private static JsonObject eventually(String ticket, Predicate<JsonObject> done) {
    JsonObject last = null;
    for (int i = 0; i < 100; i++) {
      last = get("/api/v1/claims/" + ticket).json();
      if (done.test(last)) {
        return last;
      }
      LiveStack.pause(100);
    }
    throw new AssertionError("ticket " + ticket + " never got there: " + last);
  }
}
