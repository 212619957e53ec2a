package claimgate.gateway;

import claimgate.access.Access;

import static claimgate.gateway.GatewayFixture.claimBody;
import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.testkit.Campaigns;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every limit of the gateway, each pushed past: URL length, header size, connections per client
 * address, idle and request timeouts, event streams per ticket, the per-address buckets of the
 * claim and status routes; and the security headers, closed CORS, and no secret in any log.
 */
@ExtendWith(VertxExtension.class)
class LimitsTest {

  static WebClient from(Vertx vertx, GatewayFixture gw, String localAddress) {
    return gw.client(new WebClientOptions().setLocalAddress(localAddress));
  }

  @Test
  @DisplayName("414 for a request line over 4 KiB, 431 for headers over 8 KiB, both as JSON errors")
  void lineAndHeaderSize(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx);
    HttpResponse<Buffer> longUrl = gw.get("/api/v1/claims/" + "a".repeat(5_000));
    assertThat(longUrl.statusCode()).isEqualTo(414);
    assertThat(longUrl.bodyAsJsonObject().getString("error")).isEqualTo("uri_too_long");
    HttpResponse<Buffer> bigHeader = gw.client.get("/api/v1/campaigns").putHeader("X-Big", "b".repeat(9_000)).send().await();
    assertThat(bigHeader.statusCode()).isEqualTo(431);
    assertThat(bigHeader.bodyAsJsonObject().getString("error")).isEqualTo("headers_too_large");
  }

  @Test
  @DisplayName("connections per client address: the one past the limit is closed, a freed slot is reusable")
  void connectionsPerAddress(Vertx vertx) throws Exception {
    GatewayFixture gw = GatewayFixture.start(vertx, config -> config.withMaxConnectionsPerAddress(5));
    List<Socket> held = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      held.add(new Socket("127.0.0.1", gw.port));
    }
    try (Socket extra = new Socket("127.0.0.1", gw.port)) {
      extra.setSoTimeout(5_000);
      assertThat(extra.getInputStream().read()).as("closed by the server").isEqualTo(-1);
    }
    assertThat(get(held.get(0), "/health/live")).startsWith("HTTP/1.1 200");
    held.remove(0).close();
    Thread.sleep(200);
    try (Socket again = new Socket("127.0.0.1", gw.port)) {
      assertThat(get(again, "/health/live")).startsWith("HTTP/1.1 200");
    }
    for (Socket s : held) {
      s.close();
    }
  }

  @Test
  @DisplayName("150 clients of one address that each connect, ask once and close, for 3 s: every request answered (cap 256)")
  void churnWithinTheCap(Vertx vertx) throws Exception {
    GatewayFixture gw = GatewayFixture.start(vertx, config -> config.withMaxConnectionsPerAddress(256));
    java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.ConcurrentLinkedQueue<String> unanswered = new java.util.concurrent.ConcurrentLinkedQueue<>();
    long until = System.currentTimeMillis() + 3_000;
    List<Thread> clients = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      Thread client = new Thread(() -> {
        while (System.currentTimeMillis() < until) {
          try (Socket socket = new Socket("127.0.0.1", gw.port)) {
            String answer = get(socket, "/health/live");
            if (answer.startsWith("HTTP/1.1 200")) {
              answered.incrementAndGet();
            } else {
              unanswered.add(answer.isEmpty() ? "closed without an answer" : answer.lines().findFirst().orElse(""));
            }
          } catch (Exception e) {
            unanswered.add(e.toString());
          }
        }
      });
      client.start();
      clients.add(client);
    }
    for (Thread t : clients) {
      t.join();
    }
    assertThat(answered.get()).isGreaterThan(150);
    assertThat(unanswered).as("of %d answered", answered.get()).isEmpty();
  }

  @Test
  @DisplayName("past the cap, a request is answered 429 with Retry-After and the connection closed; one that sends nothing is closed")
  void pastTheCapAnswered(Vertx vertx) throws Exception {
    GatewayFixture gw = GatewayFixture.start(vertx, config -> config.withMaxConnectionsPerAddress(3));
    List<Socket> held = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      held.add(new Socket("127.0.0.1", gw.port));
    }
    try (Socket extra = new Socket("127.0.0.1", gw.port)) {
      String answer = new String(getAll(extra, "/api/v1/campaigns"), StandardCharsets.US_ASCII);
      assertThat(answer).startsWith("HTTP/1.1 429");
      assertThat(answer).containsIgnoringCase("retry-after: 1").containsIgnoringCase("connection: close")
          .contains("\"error\":\"too_many_connections\"");
    }
    try (Socket silent = new Socket("127.0.0.1", gw.port)) {
      silent.setSoTimeout(5_000);
      assertThat(silent.getInputStream().read()).as("closed by the server").isEqualTo(-1);
    }
    for (Socket s : held) {
      assertThat(get(s, "/health/live")).startsWith("HTTP/1.1 200");
      s.close();
    }
  }

  @Test
  @DisplayName("a claim on a connection past the cap waits while a slot frees, then is admitted with its body whole")
  void pastTheCapWaitsForAFreedSlot(Vertx vertx) throws Exception {
    GatewayFixture gw = GatewayFixture.start(vertx, config -> config.withMaxConnectionsPerAddress(2));
    Campaign c = gw.apply(Campaigns.open(Campaigns.uniqueId("cap-post"), 9, 3, 10));
    // an address of their own: the fixture's client keeps a connection from 127.0.0.1
    java.net.InetAddress own = java.net.InetAddress.getByName("127.0.0.3");
    Socket first = new Socket(java.net.InetAddress.getLoopbackAddress(), gw.port, own, 0);
    Socket second = new Socket(java.net.InetAddress.getLoopbackAddress(), gw.port, own, 0);
    try (Socket extra = new Socket(java.net.InetAddress.getLoopbackAddress(), gw.port, own, 0)) {
      String body = claimBody("patient", "m0").encode();
      extra.getOutputStream().write(("POST /api/v1/campaigns/" + c.id() + "/claims HTTP/1.1\r\nHost: x\r\n"
          + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
          .getBytes(StandardCharsets.US_ASCII));
      extra.getOutputStream().flush();
      // a slot frees while the request waits to be judged
      Thread.sleep(100);
      first.close();
      extra.setSoTimeout(5_000);
      byte[] buffer = new byte[4096];
      String answer = new String(buffer, 0, extra.getInputStream().read(buffer), StandardCharsets.US_ASCII);
      assertThat(answer).startsWith("HTTP/1.1 202").contains("\"status\":\"queued\"");
    } finally {
      second.close();
    }
  }

  @Test
  @DisplayName("methods: OPTIONS is 204 with Allow, HEAD is GET without a body, another method is 405 with Allow")
  void methodsOfAPath(Vertx vertx) throws Exception {
    GatewayFixture gw = GatewayFixture.start(vertx);
    Campaign c = gw.apply(Campaigns.open(Campaigns.uniqueId("methods"), 9, 3, 10));
    String options = new String(raw(gw, "OPTIONS /api/v1/campaigns/" + c.id()), StandardCharsets.US_ASCII);
    assertThat(options).startsWith("HTTP/1.1 204").containsIgnoringCase("allow: GET, HEAD, OPTIONS");
    String head = new String(raw(gw, "HEAD /api/v1/campaigns/" + c.id()), StandardCharsets.US_ASCII);
    assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("content-type: application/json");
    assertThat(head.substring(head.indexOf("\r\n\r\n") + 4)).as("no body").isEmpty();
    String delete = new String(raw(gw, "DELETE /api/v1/campaigns/" + c.id()), StandardCharsets.US_ASCII);
    assertThat(delete).startsWith("HTTP/1.1 405").containsIgnoringCase("allow: GET, HEAD, OPTIONS")
        .contains("\"error\":\"method_not_allowed\"");
    String putClaims = new String(raw(gw, "PUT /api/v1/campaigns/" + c.id() + "/claims"), StandardCharsets.US_ASCII);
    assertThat(putClaims).startsWith("HTTP/1.1 405").containsIgnoringCase("allow: POST, OPTIONS");
    // outside the contract: the pages and health are read with GET, HEAD answers without a body
    String pageOptions = new String(raw(gw, "OPTIONS /health/live"), StandardCharsets.US_ASCII);
    assertThat(pageOptions).startsWith("HTTP/1.1 204").containsIgnoringCase("allow: GET, HEAD, OPTIONS");
    String pageHead = new String(raw(gw, "HEAD /health/live"), StandardCharsets.US_ASCII);
    assertThat(pageHead).startsWith("HTTP/1.1 200");
    assertThat(pageHead.substring(pageHead.indexOf("\r\n\r\n") + 4)).isEmpty();
    String pagePost = new String(raw(gw, "DELETE /health/live"), StandardCharsets.US_ASCII);
    assertThat(pagePost).startsWith("HTTP/1.1 405").containsIgnoringCase("allow: GET, HEAD, OPTIONS");
    // the contract itself is served
    String spec = new String(raw(gw, "GET /openapi.yaml"), StandardCharsets.UTF_8);
    assertThat(spec).startsWith("HTTP/1.1 200").containsIgnoringCase("content-type: application/yaml").contains("openapi: 3");
  }

  /** One request without a body, {@code Connection: close}, the whole answer. */
  static byte[] raw(GatewayFixture gw, String requestLine) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", gw.port)) {
      socket.setSoTimeout(5_000);
      socket.getOutputStream().write((requestLine + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      return socket.getInputStream().readAllBytes();
    }
  }

  /** Sends one request and reads until the server closes. */
  static byte[] getAll(Socket socket, String path) throws Exception {
    socket.setSoTimeout(5_000);
    socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    return socket.getInputStream().readAllBytes();
  }

  @Test
  @DisplayName("an idle connection is closed after the idle timeout; a client too slow with its body gets 408")
  void timeouts(Vertx vertx) throws Exception {
    GatewayFixture gw = GatewayFixture.start(vertx, config -> config.withTimeouts(500, 1));
    try (Socket idle = new Socket("127.0.0.1", gw.port)) {
      idle.setSoTimeout(5_000);
      long start = System.nanoTime();
      assertThat(idle.getInputStream().read()).isEqualTo(-1);
      assertThat((System.nanoTime() - start) / 1_000_000).isBetween(500L, 4_000L);
    }
    Campaign c = gw.apply(Campaigns.open(Campaigns.uniqueId("slow"), 9, 3, 10));
    try (Socket slow = new Socket("127.0.0.1", gw.port)) {
      slow.setSoTimeout(5_000);
      OutputStream out = slow.getOutputStream();
      out.write(("POST /api/v1/campaigns/" + c.id() + "/claims HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: 100\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String answer = readSome(slow.getInputStream(), out);
      assertThat(answer).startsWith("HTTP/1.1 408").contains("request_timeout");
    }
  }

  @Test
  @DisplayName("event streams per ticket, per process of 4 event loops: the fifth is 429 throttled")
  void streamsPerTicket(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx, claimgate.testkit.TestServers.redisUrl(), config -> config, 4);
    Campaign c = gw.apply(Campaigns.open(Campaigns.uniqueId("sse"), 9, 3, 10));
    String ticket = gw.claim(c.id(), claimBody("watcher", "m0")).bodyAsJsonObject().getString("ticket");
    List<io.vertx.core.http.HttpClientResponse> open = new ArrayList<>();
    io.vertx.core.http.HttpClient http = vertx.createHttpClient();
    for (int i = 0; i < 4; i++) {
      io.vertx.core.http.HttpClientResponse r = http.request(HttpMethod.GET, gw.port, "127.0.0.1",
          "/api/v1/claims/" + ticket + "/events").compose(req -> req.send()).await();
      assertThat(r.statusCode()).isEqualTo(200);
      open.add(r);
    }
    HttpResponse<Buffer> fifth = gw.get("/api/v1/claims/" + ticket + "/events");
    assertThat(fifth.statusCode()).isEqualTo(429);
    assertThat(fifth.getHeader("Retry-After")).isNotNull();
    http.close().await();
  }

  @Test
  @DisplayName("console streams, per process of 4 event loops: the seventeenth is 429")
  void consoleStreamsPerProcess(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx, claimgate.testkit.TestServers.redisUrl(), config -> config, 4);
    Campaign c = gw.apply(Campaigns.open(Campaigns.uniqueId("console-cap"), 9, 3, 10));
    io.vertx.core.http.HttpClient http = vertx.createHttpClient(new io.vertx.core.http.PoolOptions().setHttp1MaxSize(40));
    List<io.vertx.core.http.HttpClientResponse> open = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      io.vertx.core.http.HttpClientResponse r = http.request(HttpMethod.GET, gw.port, "127.0.0.1",
              "/admin/v1/campaigns/" + c.id() + "/live")
          .compose(req -> req.putHeader("Authorization", "Bearer " + GatewayFixture.OPERATOR_TOKEN).send()).await();
      assertThat(r.statusCode()).isEqualTo(200);
      open.add(r);
    }
    HttpResponse<Buffer> seventeenth = gw.client.get("/admin/v1/campaigns/" + c.id() + "/live")
        .bearerTokenAuthentication(GatewayFixture.OPERATOR_TOKEN).send().await();
    assertThat(seventeenth.statusCode()).isEqualTo(429);
    http.close().await();
  }

  @Test
  @DisplayName("event streams reset before their first byte free their slots: after 16 such resets the ticket still takes 4 streams")
  void resetStreamsFreeTheirSlots(Vertx vertx) throws Exception {
    GatewayFixture gw = GatewayFixture.start(vertx);
    Campaign c = gw.apply(Campaigns.open(Campaigns.uniqueId("sse-reset"), 9, 3, 10));
    String ticket = gw.claim(c.id(), claimBody("impatient", "m0")).bodyAsJsonObject().getString("ticket");
    byte[] request = ("GET /api/v1/claims/" + ticket + "/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    for (int i = 0; i < 16; i++) {
      try (java.net.Socket socket = new java.net.Socket("127.0.0.1", gw.port)) {
        socket.setSoLinger(true, 0);  // a reset, not a polite close
        socket.getOutputStream().write(request);
        socket.getOutputStream().flush();
      }
    }
    Thread.sleep(500);
    io.vertx.core.http.HttpClient http = vertx.createHttpClient();
    for (int i = 0; i < 4; i++) {
      io.vertx.core.http.HttpClientResponse r = http.request(HttpMethod.GET, gw.port, "127.0.0.1",
          "/api/v1/claims/" + ticket + "/events").compose(req -> req.send()).await();
      assertThat(r.statusCode()).as("stream %d after the resets", i + 1).isEqualTo(200);
    }
    assertThat(gw.get("/api/v1/claims/" + ticket + "/events").statusCode()).isEqualTo(429);
    http.close().await();
  }

  @Test
  @DisplayName("one address cannot drain a campaign: past its own bucket it gets 429, while another address still gets in")
  void perAddressClaims(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx);
    Campaign base = Campaigns.open(Campaigns.uniqueId("addr"), 9, 3, 1_000);
    Campaign c = gw.apply(base.withAdmission(new Campaign.Admission(1_000_000, 1_000_000, 3, null, 1, 3)));
    WebClient one = from(vertx, gw, "127.0.0.1");
    WebClient other = from(vertx, gw, "127.0.0.2");
    List<Integer> statuses = new ArrayList<>();
    HttpResponse<Buffer> last = null;
    for (int i = 0; i < 5; i++) {
      last = one.post("/api/v1/campaigns/" + c.id() + "/claims").sendJsonObject(claimBody("bot-" + i, "m0")).await();
      statuses.add(last.statusCode());
    }
    assertThat(statuses).containsExactly(202, 202, 202, 429, 429);
    assertThat(last.bodyAsJsonObject().getString("error")).isEqualTo("throttled");
    assertThat(last.getHeader("Retry-After")).isEqualTo("1");
    assertThat(other.post("/api/v1/campaigns/" + c.id() + "/claims").sendJsonObject(claimBody("citizen", "m0")).await()
        .statusCode()).isEqualTo(202);
  }

  @Test
  @DisplayName("a throttled address gets in again once its Retry-After has passed, one claim a token")
  void perAddressRefill(Vertx vertx) throws InterruptedException {
    GatewayFixture gw = GatewayFixture.start(vertx);
    Campaign base = Campaigns.open(Campaigns.uniqueId("refill"), 9, 3, 1_000);
    // one token a second, two at most
    Campaign c = gw.apply(base.withAdmission(new Campaign.Admission(1_000_000, 1_000_000, 3, null, 1, 2)));
    WebClient one = from(vertx, gw, "127.0.0.4");
    List<Integer> statuses = new ArrayList<>();
    HttpResponse<Buffer> throttled = null;
    for (int i = 0; i < 3; i++) {
      throttled = one.post("/api/v1/campaigns/" + c.id() + "/claims").sendJsonObject(claimBody("refill-" + i, "m0")).await();
      statuses.add(throttled.statusCode());
    }
    assertThat(statuses).containsExactly(202, 202, 429);
    long retryAfterS = Long.parseLong(throttled.getHeader("Retry-After"));
    assertThat(retryAfterS).isEqualTo(1);
    Thread.sleep(retryAfterS * 1000 + 100);
    statuses.clear();
    for (int i = 3; i < 5; i++) {
      statuses.add(one.post("/api/v1/campaigns/" + c.id() + "/claims").sendJsonObject(claimBody("refill-" + i, "m0")).await()
          .statusCode());
    }
    assertThat(statuses).as("a second later: one token back, one claim in").containsExactly(202, 429);
  }

  @Test
  @DisplayName("behind a trusted load balancer the address is X-Forwarded-For's; untrusted, the header is ignored")
  void forwardedAddress(Vertx vertx) {
    Campaign base = Campaigns.open(Campaigns.uniqueId("fwd"), 9, 3, 1_000);
    Campaign.Admission oneEach = new Campaign.Admission(1_000_000, 1_000_000, 3, null, 1, 1);
    GatewayFixture trusted = GatewayFixture.start(vertx, config -> config.withTrustedProxyHops(1));
    Campaign c = trusted.apply(base.withAdmission(oneEach));
    List<Integer> behindBalancer = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      behindBalancer.add(trusted.client.post("/api/v1/campaigns/" + c.id() + "/claims")
          .putHeader("X-Forwarded-For", "203.0.113." + (10 + i)).sendJsonObject(claimBody("fwd-" + i, "m0")).await().statusCode());
    }
    assertThat(behindBalancer).as("three citizens behind one balancer").containsExactly(202, 202, 202);

    GatewayFixture untrusted = GatewayFixture.start(vertx);
    List<Integer> spoofed = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      spoofed.add(from(vertx, untrusted, "127.0.0.9").post("/api/v1/campaigns/" + c.id() + "/claims")
          .putHeader("X-Forwarded-For", "198.51.100." + i).sendJsonObject(claimBody("spoof-" + i, "m0")).await().statusCode());
    }
    assertThat(spoofed).as("a client cannot pick its own address").containsExactly(202, 429);

    // behind a balancer that passes what it is given: entries that are not addresses are not believed
    GatewayFixture passThrough = GatewayFixture.start(vertx, config -> config.withTrustedProxyHops(1));
    List<Integer> notAddresses = new ArrayList<>();
    for (String entry : List.of("~", "x~y", "203.0.113.7 <script>", "[]")) {
      notAddresses.add(from(vertx, passThrough, "127.0.0.10").post("/api/v1/campaigns/" + c.id() + "/claims")
          .putHeader("X-Forwarded-For", entry).sendJsonObject(claimBody("odd-" + notAddresses.size(), "m0")).await()
          .statusCode());
    }
    assertThat(notAddresses).as("the socket's address counted for each")
        .containsExactly(202, 429, 429, 429);

    // a proxy that writes the client's port: one address, whatever the connection's port
    List<Integer> withPorts = new ArrayList<>();
    for (String entry : List.of("203.0.113.9:51234", "203.0.113.9:51235", "[2001:DB8::1]:443", "[2001:db8::1]:444")) {
      withPorts.add(passThrough.client.post("/api/v1/campaigns/" + c.id() + "/claims").putHeader("X-Forwarded-For", entry)
          .sendJsonObject(claimBody("port-" + withPorts.size(), "m0")).await().statusCode());
    }
    assertThat(withPorts).as("one bucket per address, not per connection").containsExactly(202, 429, 202, 429);
  }

  @Test
  @DisplayName("status polling per address: past its bucket 429 with Retry-After, another address unaffected")
  void perAddressStatus(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx, config -> config.withStatusRate(new GatewayConfig.Rate(1, 3)));
    Campaign c = gw.apply(Campaigns.open(Campaigns.uniqueId("poll"), 9, 3, 10));
    String ticket = gw.claim(c.id(), claimBody("poller", "m0")).bodyAsJsonObject().getString("ticket");
    WebClient one = from(vertx, gw, "127.0.0.3");
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      statuses.add(one.get("/api/v1/claims/" + ticket).send().await().statusCode());
    }
    assertThat(statuses).containsExactly(200, 200, 200, 429, 429);
    assertThat(from(vertx, gw, "127.0.0.4").get("/api/v1/claims/" + ticket).send().await().statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("pages carry a CSP without inline script, nosniff and frame denial; no answer ever allows another origin")
  void securityHeadersAndCors(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx);
    for (String page : List.of("/", "/index.html", "/admin", "/app.js", "/api/v1/campaigns")) {
      HttpResponse<Buffer> r = gw.client.get(page).putHeader("Origin", "https://evil.example").send().await();
      assertThat(r.statusCode()).as(page).isEqualTo(200);
      String csp = r.getHeader("Content-Security-Policy");
      assertThat(csp).as(page).contains("default-src 'self'").contains("frame-ancestors 'none'")
          .contains("object-src 'none'").doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
      assertThat(r.getHeader("X-Content-Type-Options")).isEqualTo("nosniff");
      assertThat(r.getHeader("X-Frame-Options")).isEqualTo("DENY");
      assertThat(r.getHeader("Access-Control-Allow-Origin")).as(page).isNull();
    }
    HttpResponse<Buffer> preflight = gw.client.request(HttpMethod.OPTIONS, "/api/v1/campaigns/x/claims")
        .putHeader("Origin", "https://evil.example").putHeader("Access-Control-Request-Method", "POST").send().await();
    // OPTIONS tells the path's methods, but grants no other origin anything: the browser refuses the call
    assertThat(preflight.statusCode()).isEqualTo(204);
    assertThat(preflight.getHeader("Access-Control-Allow-Origin")).isNull();
    assertThat(preflight.getHeader("Access-Control-Allow-Methods")).isNull();
    // the pages themselves hold no inline script for the CSP to forbid
    assertThat(gw.get("/").bodyAsString()).doesNotContainPattern("<script(?![^>]*\\bsrc=)");
    assertThat(gw.get("/admin").bodyAsString()).doesNotContainPattern("<script(?![^>]*\\bsrc=)");
  }

  @Test
  @DisplayName("secrets sent with requests, right or wrong, appear in no log line and no error body")
  void noSecretsInLogs(Vertx vertx) {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    List<String> bodies = new ArrayList<>();
    String wrongToken = "cgo_secret_" + System.nanoTime();
    String wrongKey = "cgm_secret_" + System.nanoTime();
    try {
      GatewayFixture gw = GatewayFixture.start(vertx);
      Campaign c = gw.apply(Campaigns.open(Campaigns.uniqueId("secret"), 9, 3, 10));
      for (String bearer : List.of(wrongToken, wrongKey, GatewayFixture.OPERATOR_TOKEN)) {
        for (String path : List.of("/admin/v1/audit", "/api/v1/vouchers/X", "/admin/v1/campaigns/" + c.id() + "/stats")) {
          bodies.add(gw.client.get(path).bearerTokenAuthentication(bearer).send().await().bodyAsString());
        }
        bodies.add(gw.client.post("/api/v1/redemptions").bearerTokenAuthentication(bearer)
            .sendBuffer(Buffer.buffer("{\"code\":\"" + bearer + "\"}")).await().bodyAsString());
      }
    } finally {
      System.setErr(original);
    }
    String logs = captured.toString(StandardCharsets.UTF_8);
    for (String secret : List.of(wrongToken, wrongKey, GatewayFixture.OPERATOR_TOKEN)) {
      assertThat(logs).doesNotContain(secret);
      assertThat(bodies).noneMatch(b -> b.contains(secret));
    }
  }

  static String get(Socket socket, String path) throws Exception {
    socket.setSoTimeout(5_000);
    socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    byte[] buffer = new byte[1024];
    int n = socket.getInputStream().read(buffer);
    return n < 0 ? "" : new String(buffer, 0, n, StandardCharsets.US_ASCII);
  }

  /** Trickles one body byte every 300 ms until the server answers. */
  static String readSome(InputStream in, OutputStream out) throws Exception {
    ByteArrayOutputStream answer = new ByteArrayOutputStream();
    for (int i = 0; i < 30; i++) {
      if (in.available() > 0) {
        byte[] buffer = new byte[4096];
        answer.write(buffer, 0, in.read(buffer));
        return answer.toString(StandardCharsets.US_ASCII);
      }
      try {
        out.write(' ');
        out.flush();
      } catch (java.io.IOException closed) {
        break;
      }
      Thread.sleep(300);
    }
    try {
      byte[] buffer = new byte[4096];
      int n = in.read(buffer);
      return n < 0 ? "" : new String(buffer, 0, n, StandardCharsets.US_ASCII);
    } catch (SocketTimeoutException e) {
      return "";
    }
  }
}
