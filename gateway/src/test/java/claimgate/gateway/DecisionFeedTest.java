package claimgate.gateway;

import static claimgate.gateway.GatewayFixture.claimBody;
import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.redis.CampaignKeys;
import claimgate.testkit.Campaigns;
import io.vertx.core.Vertx;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The waiting room's one subscription per gateway process: pages hear their decision from what
 * the allocator publishes, Redis's load does not grow with the pages that wait, and a gateway that
 * loses its subscription takes it again and catches up without losing a final status. The
 * allocator's side is played here by writing and publishing what {@code publish.lua} writes and
 * publishes; the end-to-end test with a real allocator and two gateways is {@code DecisionFanOutTest}.
 */
@ExtendWith(VertxExtension.class)
class DecisionFeedTest {

  /**
   * An open event stream of a ticket, its events as they arrive. Read from a plain socket whose
   * handler is in place before the request is written: an HTTP client's response handler is set
   * after the head arrives, and a first event that comes with the head could pass before it.
   */
  record Events(String ticket, List<JsonObject> received) {

    static Events open(NetClient net, int port, String ticket) {
      List<JsonObject> received = new CopyOnWriteArrayList<>();
      Promise<Integer> status = Promise.promise();
      // bytes, not text: a character split between two reads is decoded once whole
      Buffer[] pending = {Buffer.buffer()};
      NetSocket socket = net.connect(port, "127.0.0.1").await();
      socket.handler(bytes -> {
        Buffer buffer = pending[0].appendBuffer(bytes);
        int from = 0;
        if (!status.future().isComplete()) {
          int head = indexOf(buffer, "\r\n\r\n", 0);
          if (head < 0) {
            return;
          }
          // "HTTP/1.1 200 OK": the code after the first space
          String statusLine = buffer.getString(0, indexOf(buffer, "\r\n", 0), "US-ASCII");
          status.complete(Integer.parseInt(statusLine.substring(statusLine.indexOf(' ') + 1, statusLine.indexOf(' ') + 4)));
          from = head + 4;
        }
        // each event is one chunk: the chunk's size line comes before its "data: " and never inside it
        for (int start = indexOf(buffer, "data: ", from), end; start >= 0 && (end = indexOf(buffer, "\n\n", start)) >= 0;
            start = indexOf(buffer, "data: ", from)) {
          received.add(new JsonObject(buffer.getString(start + "data: ".length(), end, "UTF-8")));
          from = end + 2;
        }
        pending[0] = buffer.getBuffer(from, buffer.length());
      });
      socket.write("GET /api/v1/claims/" + ticket + "/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n");
      assertThat(status.future().timeout(10, TimeUnit.SECONDS).await()).isEqualTo(200);
      return new Events(ticket, received);
    }

    /** Where {@code ascii} begins in {@code buffer} at or after {@code from}; -1 if nowhere. */
    private static int indexOf(Buffer buffer, String ascii, int from) {
      outer:
      for (int i = from; i <= buffer.length() - ascii.length(); i++) {
        for (int j = 0; j < ascii.length(); j++) {
          if (buffer.getByte(i + j) != ascii.charAt(j)) {
            continue outer;
          }
        }
        return i;
      }
      return -1;
    }

    JsonObject last() {
      return received.isEmpty() ? null : received.get(received.size() - 1);
    }

    JsonObject awaitFinal(Vertx vertx, long timeoutMs) {
      long deadline = System.currentTimeMillis() + timeoutMs;
      while (System.currentTimeMillis() < deadline) {
        JsonObject last = last();
        if (last != null && !"queued".equals(last.getString("status"))) {
          return last;
        }
        vertx.timer(20).await();
      }
      throw new AssertionError("no final status for " + ticket + " within " + timeoutMs + " ms; received " + received);
    }
  }

  /** Writes a ticket's outcome and the decided seq as publish.lua does, and publishes it. */
  static void decide(GatewayFixture gw, String campaignId, String ticket, long seq, boolean publish) {
    decide(gw, campaignId, ticket, seq, publish, true);
  }

  static void decide(GatewayFixture gw, String campaignId, String ticket, long seq, boolean publish, boolean advanceSeq) {
    CampaignKeys keys = new CampaignKeys(campaignId);
    String outcome = new JsonObject().put("status", "rejected").put("reason", "sold_out").encode();
    gw.redis(Request.cmd(Command.HSET).arg(keys.outcomes()).arg(ticket).arg(outcome));
    if (advanceSeq) {
      gw.redis(Request.cmd(Command.HSET).arg(keys.config()).arg(CampaignKeys.DECIDED).arg(seq));
    }
    if (publish) {
      gw.redis(Request.cmd(Command.PUBLISH).arg(CampaignKeys.DECISIONS_CHANNEL)
          .arg("decided\n" + campaignId + "\n" + seq + "\n" + ticket + "\n" + outcome));
    }
  }

  static long commandsProcessed(GatewayFixture gw) {
    return gw.redisInfo("stats", "total_commands_processed:(\\d+)").orElseThrow();
  }

  /** A gateway, an open campaign of ten vouchers, and one citizen's page waiting on its ticket's stream. */
  record Waiting(GatewayFixture gw, Campaign campaign, NetClient net, String ticket, Events events) {
    static Waiting start(Vertx vertx, String name) {
      GatewayFixture gw = gateway(vertx);
      Campaign c = gw.apply(Campaigns.open(Campaigns.uniqueId(name), 9, 3, 10));
      NetClient net = vertx.createNetClient();
      String ticket = gw.claim(c.id(), claimBody(name + "-citizen", "m0")).bodyAsJsonObject().getString("ticket");
      Events events = Events.open(net, gw.port, ticket);
      vertx.timer(1_500).await();
      assertThat(events.last().getString("status")).isEqualTo("queued");
      return new Waiting(gw, c, net, ticket, events);
    }
  }

  static GatewayFixture gateway(Vertx vertx) {
    // every page of this test polls from 127.0.0.1
    return GatewayFixture.start(vertx, claimgate.testkit.TestServers.redisUrl(),
        config -> config.withStatusRate(new GatewayConfig.Rate(1e6, 1_000_000)).withMaxConnectionsPerAddress(10_000), 2);
  }

  @Test
  @DisplayName("a decision published on the channel reaches the waiting stream and the status read, with no read of the ticket")
  void publishedDecisionReachesTheStream(Vertx vertx) {
    GatewayFixture gw = gateway(vertx);
    Campaign c = gw.apply(Campaigns.open(Campaigns.uniqueId("feed"), 9, 3, 10));
    NetClient net = vertx.createNetClient();
    String first = gw.claim(c.id(), claimBody("first", "m0")).bodyAsJsonObject().getString("ticket");
    String second = gw.claim(c.id(), claimBody("second", "m0")).bodyAsJsonObject().getString("ticket");
    Events waiting = Events.open(net, gw.port, second);
    vertx.timer(1_500).await();
    assertThat(waiting.last().getString("status")).isEqualTo("queued");
    assertThat(waiting.last().getLong("position")).isEqualTo(2);

    decide(gw, c.id(), first, 1, true);
    // its place moves up from memory: the seq came with the message
    long deadline = System.currentTimeMillis() + 3_000;
    while (waiting.last().getLong("position", 0L) != 1 && System.currentTimeMillis() < deadline) {
      vertx.timer(20).await();
    }
    assertThat(waiting.last().getLong("position")).isEqualTo(1);

    decide(gw, c.id(), second, 2, true);
    JsonObject decided = waiting.awaitFinal(vertx, 2_000);
    assertThat(decided.getString("reason")).isEqualTo("sold_out");
    assertThat(decided.getString("ticket")).isEqualTo(second);
    // the polling page is answered the same
    assertThat(gw.get("/api/v1/claims/" + first).bodyAsJsonObject().getString("status")).isEqualTo("rejected");
    net.close().await();
  }

  @Test
  @DisplayName("Redis commands per second do not grow with the pages that wait: 300 open streams cost what none cost")
  void redisLoadDoesNotGrowWithPages(Vertx vertx) {
    GatewayFixture gw = gateway(vertx);
    Campaign c = gw.apply(Campaigns.open(Campaigns.uniqueId("crowd"), 9, 3, 1_000));
    List<String> tickets = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      tickets.add(gw.claim(c.id(), claimBody("crowd-" + i, "m0")).bodyAsJsonObject().getString("ticket"));
    }
    vertx.timer(1_000).await();
    long before = commandsProcessed(gw);
    vertx.timer(3_000).await();
    double idlePerSecond = (commandsProcessed(gw) - before) / 3.0;

    NetClient net = vertx.createNetClient();
    List<Events> pages = new ArrayList<>();
    for (String ticket : tickets) {
      pages.add(Events.open(net, gw.port, ticket));
    }
    vertx.timer(1_500).await();
    long withPages = commandsProcessed(gw);
    vertx.timer(3_000).await();
    double pagesPerSecond = (commandsProcessed(gw) - withPages) / 3.0;

    assertThat(pages).allSatisfy(p -> assertThat(p.last().getString("status")).isEqualTo("queued"));
    // before the subscription, each page cost a status read (two commands) four times a second: 2,400/s here
    assertThat(pagesPerSecond - idlePerSecond).as("commands/s with 300 pages (%.0f) over none (%.0f)",
        pagesPerSecond, idlePerSecond).isLessThan(30);

    // the pages that poll instead are answered from memory too: 300 polls, not 900 commands
    long beforePolls = commandsProcessed(gw);
    for (String ticket : tickets) {
      assertThat(gw.get("/api/v1/claims/" + ticket).bodyAsJsonObject().getString("status")).isEqualTo("queued");
    }
    assertThat(commandsProcessed(gw) - beforePolls).as("Redis commands for 300 polls").isLessThan(60);
    net.close().await();
  }

  @Test
  @DisplayName("a gateway that loses its subscription takes it again and catches up: a decision published meanwhile still ends the stream")
  void resubscribesAndCatchesUp(Vertx vertx) {
    Waiting page = Waiting.start(vertx, "resub");
    GatewayFixture gw = page.gw();
    Campaign c = page.campaign();
    NetClient net = page.net();
    String ticket = page.ticket();
    Events waiting = page.events();

    // the subscription is cut and the outcome is written while it is away: its message is never
    // heard, and the decided seq is left alone, so only the catch-up after resubscribing can tell
    gw.redis(Request.cmd(Command.CLIENT).arg("KILL").arg("TYPE").arg("pubsub"));
    decide(gw, c.id(), ticket, 1, false, false);
    JsonObject decided = waiting.awaitFinal(vertx, 5_000);
    assertThat(decided.getString("status")).isEqualTo("rejected");

    // and the subscription holds again: the next decision arrives by message
    String next = gw.claim(c.id(), claimBody("next", "m0")).bodyAsJsonObject().getString("ticket");
    Events after = Events.open(net, gw.port, next);
    decide(gw, c.id(), next, 2, true, false);
    assertThat(after.awaitFinal(vertx, 3_000).getString("status")).isEqualTo("rejected");
    net.close().await();
  }

  @Test
  @DisplayName("a ticket whose turn passed with no decision heard is asked of Redis: it still ends final")
  void turnPassedWithoutMessage(Vertx vertx) {
    Waiting page = Waiting.start(vertx, "passed");
    decide(page.gw(), page.campaign().id(), page.ticket(), 1, false, true);
    assertThat(page.events().awaitFinal(vertx, 4_000).getString("status")).isEqualTo("rejected");
    page.net().close().await();
  }
}
