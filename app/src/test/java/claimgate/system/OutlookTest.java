package claimgate.system;

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
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Honest chances: while a claim waits, its status names for each chosen shop the vouchers left,
 * how many people ahead named that shop first, and a plain band; in a pre-queue, before the
 * draw, the people expected ahead at a random place.
 */
class OutlookTest {

  /** m0 with 3 vouchers, m1 with 10; queues may hold ten times what a shop has. */
  static Campaign campaign(String stem, List<Campaign.Round> rounds) {
    Campaign base = rounds == null ? Campaigns.open(Campaigns.uniqueId(stem), 2, 1, 3, 10)
        : Campaigns.build(Campaigns.uniqueId(stem), 2, 1, rounds, 3, 10);
    return base.withAdmission(new Campaign.Admission(1_000_000, 1_000_000, 3, 10.0, 1_000_000, 1_000_000));
  }

  /** The ticket's outlook, once the gateway's view of the queue holds it. */
  static JsonArray outlook(String ticket) {
    for (int tries = 0; tries < 50; tries++) {
      JsonObject status = get("/api/v1/claims/" + ticket).json();
      if (status.getJsonArray("outlook") != null) {
        return status.getJsonArray("outlook");
      }
      LiveStack.pause(100);
    }
    throw new AssertionError("no outlook for " + ticket);
  }

  static JsonObject at(JsonArray outlook, String merchant) {
    for (int i = 0; i < outlook.size(); i++) {
      if (outlook.getJsonObject(i).getString("merchantId").equals(merchant)) {
        return outlook.getJsonObject(i);
      }
    }
    throw new AssertionError("no outlook for " + merchant + " in " + outlook);
  }

  @Test
  @DisplayName("queued: for each chosen shop the vouchers left and the people ahead who named it first, in plain bands; none once decided")
  void queued() {
    Campaign c = create(campaign("outlook", null));
    assertThat(admin("POST", "/admin/v1/campaigns/" + c.id() + "/freeze", new JsonObject()).status()).isEqualTo(200);
    List<String> tickets = new ArrayList<>();
    tickets.add(claim(c.id(), "o-1", "m0").json().getString("ticket"));
    tickets.add(claim(c.id(), "o-2", "m0", "m1").json().getString("ticket"));
    tickets.add(claim(c.id(), "o-3", "m1").json().getString("ticket"));
    for (int i = 4; i <= 8; i++) {
      tickets.add(claim(c.id(), "o-" + i, "m0").json().getString("ticket"));
    }
    // o-3 chose m1, and nobody ahead named m1 first (o-2 named m0 first)
    JsonObject third = at(outlook(tickets.get(2)), "m1");
    assertThat(third.getInteger("remaining")).isEqualTo(10);
    assertThat(third.getInteger("ahead")).isZero();
    assertThat(third.getString("band")).isEqualTo("likely");
    // o-2: one ahead named m0 first (o-1) of 3 vouchers; at m1, nobody
    JsonArray second = outlook(tickets.get(1));
    assertThat(second.stream().map(o -> ((JsonObject) o).getString("merchantId")).toList()).containsExactly("m0", "m1");
    assertThat(at(second, "m0").getInteger("ahead")).isEqualTo(1);
    assertThat(at(second, "m1").getInteger("ahead")).isZero();
    // o-5: o-1, o-2, o-4 ahead at m0 (3 of 3 vouchers): possible; o-8: six ahead: unlikely
    assertThat(at(outlook(tickets.get(4)), "m0").getInteger("ahead")).isEqualTo(3);
    assertThat(at(outlook(tickets.get(4)), "m0").getString("band")).isEqualTo("possible");
    assertThat(at(outlook(tickets.get(7)), "m0").getInteger("ahead")).isEqualTo(6);
    assertThat(at(outlook(tickets.get(7)), "m0").getString("band")).isEqualTo("unlikely");

    assertThat(admin("POST", "/admin/v1/campaigns/" + c.id() + "/unfreeze", new JsonObject()).status()).isEqualTo(200);
    for (String t : tickets) {
      assertThat(awaitFinal(t).containsKey("outlook")).isFalse();
    }
  }

  @Test
  @DisplayName("prequeued: the vouchers at the opening and the people expected ahead at a random place (half of the others who named the shop first)")
  void prequeued() {
    OffsetDateTime opens = OffsetDateTime.now(ZoneOffset.UTC).plusMinutes(10);
    Campaign base = campaign("outlook-pq", List.of(new Campaign.Round(opens, opens.plusHours(1), 1.0)));
    Campaign c = create(base.withAdmission(base.admission().withPrequeue(new Campaign.Prequeue(Duration.ofHours(1), null))));
    List<String> tickets = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      tickets.add(claim(c.id(), "pq-" + i, "m0", "m1").json().getString("ticket"));
    }
    tickets.add(claim(c.id(), "pq-5", "m1").json().getString("ticket"));
    JsonObject status = get("/api/v1/claims/" + tickets.get(0)).json();
    assertThat(status.getString("status")).isEqualTo("prequeued");
    JsonArray outlook = status.getJsonArray("outlook");
    // four others named m0 first: two expected ahead, of 3 vouchers
    assertThat(at(outlook, "m0").getInteger("ahead")).isEqualTo(2);
    assertThat(at(outlook, "m0").getInteger("remaining")).isEqualTo(3);
    assertThat(at(outlook, "m0").getString("band")).isEqualTo("likely");
    // one other named m1 first: one expected ahead (rounded up), of 10
    assertThat(at(outlook, "m1").getInteger("ahead")).isEqualTo(1);
    JsonObject last = at(get("/api/v1/claims/" + tickets.get(5)).json().getJsonArray("outlook"), "m1");
    assertThat(last.getInteger("ahead")).isZero();
  }

  @Test
  @DisplayName("a page's event stream in a pre-queue is told the pre-queue's size as others join it, without asking again")
  void prequeueGrowsOnTheStream() throws Exception {
    OffsetDateTime opens = OffsetDateTime.now(ZoneOffset.UTC).plusMinutes(10);
    Campaign base = campaign("pq-stream", List.of(new Campaign.Round(opens, opens.plusHours(1), 1.0)));
    Campaign c = create(base.withAdmission(base.admission().withPrequeue(new Campaign.Prequeue(Duration.ofHours(1), null))));
    String first = claim(c.id(), "pqs-0", "m0").json().getString("ticket");
    java.util.concurrent.BlockingQueue<JsonObject> events = new java.util.concurrent.LinkedBlockingQueue<>();
    java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(LiveStack.base() + "/api/v1/claims/" + first + "/events")).build();
    java.io.InputStream body = java.net.http.HttpClient.newHttpClient()
        .send(request, java.net.http.HttpResponse.BodyHandlers.ofInputStream()).body();
    Thread reading = new Thread(() -> {
      try {
        new java.io.BufferedReader(new java.io.InputStreamReader(body, java.nio.charset.StandardCharsets.UTF_8)).lines()
            .filter(line -> line.startsWith("data: "))
            .forEach(line -> events.add(new JsonObject(line.substring("data: ".length()))));
      } catch (java.io.UncheckedIOException closed) {
        // the test closed the stream
      }
    });
    reading.setDaemon(true);
    reading.start();
    try {
      JsonObject opened = events.poll(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(opened).isNotNull();
      assertThat(opened.getString("status")).isEqualTo("prequeued");
      assertThat(opened.getJsonObject("prequeue").getLong("size")).isEqualTo(1);
      for (int i = 1; i <= 3; i++) {
        claim(c.id(), "pqs-" + i, "m0");
      }
      long deadline = System.currentTimeMillis() + 10_000;
      JsonObject latest = opened;
      while (latest.getJsonObject("prequeue").getLong("size") < 4 && System.currentTimeMillis() < deadline) {
        JsonObject next = events.poll(500, java.util.concurrent.TimeUnit.MILLISECONDS);
        if (next != null) {
          latest = next;
        }
      }
      assertThat(latest.getString("status")).isEqualTo("prequeued");
      assertThat(latest.getJsonObject("prequeue").getLong("size")).as("the pre-queue on the stream, three joined after").isEqualTo(4);
      assertThat(latest.getJsonObject("prequeue").getString("drawAt")).isEqualTo(opened.getJsonObject("prequeue").getString("drawAt"));
    } finally {
      body.close();
    }
  }
}
