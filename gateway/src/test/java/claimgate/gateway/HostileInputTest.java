package claimgate.gateway;

import claimgate.web.Bearer;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.redis.CampaignKeys;
import claimgate.testkit.Campaigns;
import claimgate.testkit.TestServers;
import claimgate.voucher.ForgedCodes;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Hostile input, as a public launch page announced in the news gets it: 10,000 malformed
 * requests to each public route (and 2,000 to each operator route), then raw protocol garbage.
 * Never a 5xx, never a hang, healthy afterwards, and nothing written for any of them.
 */
@ExtendWith(VertxExtension.class)
class HostileInputTest {

  static GatewayFixture gw;
  static Campaign c;
  static String merchantKey;

  /** One malformed request: method, raw path and query, headers, body. */
  record Malformed(HttpMethod method, String uri, Map<String, String> headers, Buffer body) {}

  @BeforeAll
  static void start(Vertx vertx) {
    gw = GatewayFixture.start(vertx, config -> config.withFailedAttempts(new GatewayConfig.Rate(1e9, 1_000_000_000))
        .withStatusRate(new GatewayConfig.Rate(1e9, 1_000_000_000)));
    c = gw.apply(Campaigns.open(Campaigns.uniqueId("fuzz"), 9, 3, 10, 10));
    merchantKey = gw.merchantKey(c.id(), "m0");
  }

  @Test
  @DisplayName("10,000 malformed requests per public route, 2,000 per operator route: never a 5xx or a hang, nothing written, healthy after")
  void malformedRequests(Vertx vertx) {
    Map<String, Long> before = written(vertx);
    SplittableRandom random = new SplittableRandom(20261122);
    Fuzz f = new Fuzz(random, c.id());
    Map<String, Function<Integer, Malformed>> routes = new TreeMap<>();
    routes.put("POST claims", i -> f.claim());
    routes.put("GET campaign", i -> new Malformed(HttpMethod.GET, "/api/v1/campaigns/" + f.badId(), f.headers(false), f.anyBody()));
    routes.put("GET campaigns", i -> new Malformed(f.method(), "/api/v1/campaigns" + f.query(), f.headers(false), f.anyBody()));
    routes.put("GET claim", i -> new Malformed(HttpMethod.GET, "/api/v1/claims/" + f.badTicket(), f.headers(false), f.anyBody()));
    routes.put("GET claim events", i -> new Malformed(HttpMethod.GET, "/api/v1/claims/" + f.badTicket() + "/events",
        f.headers(false), f.anyBody()));
    routes.put("POST redemptions", i -> f.merchant(HttpMethod.POST, "/api/v1/redemptions", f.redemptionBody()));
    routes.put("POST redemptions/batch", i -> f.merchant(HttpMethod.POST, "/api/v1/redemptions/batch", f.batchBody()));
    routes.put("GET voucher", i -> f.merchant(HttpMethod.GET, "/api/v1/vouchers/" + f.badCode(), f.anyBody()));
    routes.put("static and unknown paths", i -> new Malformed(f.method(), f.traversal(), f.headers(false), f.anyBody()));
    Map<String, Function<Integer, Malformed>> operatorRoutes = new TreeMap<>();
    for (String path : List.of("/pause", "/resume", "/freeze", "/unfreeze", "/admission", "/stats", "",
        "/merchants/m0/keys")) {
      operatorRoutes.put("admin " + path, i -> f.operator("/admin/v1/campaigns/" + c.id() + path));
    }
    operatorRoutes.put("admin revoke", i -> f.operator("/admin/v1/vouchers/revoke"));
    operatorRoutes.put("admin audit", i -> f.operator("/admin/v1/audit" + f.query()));

    java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_1_1).connectTimeout(java.time.Duration.ofSeconds(5))
        .executor(java.util.concurrent.Executors.newFixedThreadPool(4)).build();
    Map<Integer, Integer> statuses = new TreeMap<>();
    routes.forEach((name, make) -> send(client, name, make, 10_000, statuses));
    operatorRoutes.forEach((name, make) -> send(client, name, make, 2_000, statuses));

    assertThat(statuses.keySet()).as("statuses seen: %s", statuses).allSatisfy(s -> assertThat(s).isLessThan(500));
    assertThat(statuses.entrySet().stream().filter(e -> e.getKey() >= 400).mapToInt(Map.Entry::getValue).sum())
        .isGreaterThan(100_000);
    assertThat(written(vertx)).isEqualTo(before);
    healthy();
  }

  @Test
  @DisplayName("a NUL in any text of any body, a NUL or a broken %-escape in a query: 400 JSON naming it, never a 5xx, nothing written")
  void textThatCannotBeStored(Vertx vertx) throws Exception {
    Map<String, Long> before = written(vertx);
    claimgate.testkit.ApiClient api = new claimgate.testkit.ApiClient("http://127.0.0.1:" + gw.port,
        GatewayFixture.OPERATOR_TOKEN);
    String nul = "a\u0000b";
    io.vertx.core.json.JsonObject document = new io.vertx.core.json.JsonObject(claimgate.campaign.CampaignFiles.toJson(
        Campaigns.open(c.id(), 9, 3, 10, 10)));
    List<claimgate.testkit.ApiClient.Reply> replies = List.of(
        api.admin("POST", "/admin/v1/campaigns/" + c.id() + "/pause", new io.vertx.core.json.JsonObject().put("reason", nul)),
        api.admin("POST", "/admin/v1/campaigns/" + c.id() + "/freeze", new io.vertx.core.json.JsonObject().put("reason", nul)),
        api.admin("PUT", "/admin/v1/campaigns/" + c.id(), document.copy().put("name", nul)),
        api.admin("PUT", "/admin/v1/campaigns/" + c.id(), document.copy().put("merchants",
            document.getJsonArray("merchants").copy().add(new io.vertx.core.json.JsonObject()
                .put("id", "m9").put("name", nul).put("contingent", 1)))),
        api.admin("POST", "/admin/v1/vouchers/revoke", new io.vertx.core.json.JsonObject()
            .put("codes", new io.vertx.core.json.JsonArray().add(nul)).put("reason", "fraud")),
        api.send("POST", "/api/v1/campaigns/" + c.id() + "/claims", null, new io.vertx.core.json.JsonObject()
            .put("citizenId", nul).put("merchantIds", new io.vertx.core.json.JsonArray().add("m0"))),
        api.send("POST", "/api/v1/redemptions", merchantKey, new io.vertx.core.json.JsonObject().put("code", nul)),
        api.admin("GET", "/admin/v1/audit?campaignId=a%00b", null));
    for (claimgate.testkit.ApiClient.Reply r : replies) {
      assertThat(r.status()).as(r.raw().uri() + " " + r.raw().body()).isEqualTo(400);
      assertThat(r.header("Content-Type")).startsWith("application/json");
      assertThat(r.json().getString("error")).isEqualTo("invalid_request");
      assertThat(r.json().getString("message")).isNotBlank();
    }
    // a form body with a broken escape, on routes that take a body
    for (String path : List.of("/admin/v1/campaigns/" + c.id() + "/pause", "/admin/v1/vouchers/revoke", "/api/v1/redemptions")) {
      try (java.net.Socket socket = new java.net.Socket("127.0.0.1", gw.port)) {
        socket.setSoTimeout(5_000);
        String bearer = path.startsWith("/admin") ? GatewayFixture.OPERATOR_TOKEN : merchantKey;
        socket.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + bearer
            + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5\r\nConnection: close\r\n\r\na=%zz")
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(answer).as(path).matches("(?s)HTTP/1.1 4\\d\\d .*").containsIgnoringCase("content-type: application/json");
      }
    }
    // escapes a client library would not even send
    for (String query : List.of("campaignId=%zz", "before=%2", "limit=%")) {
      try (java.net.Socket socket = new java.net.Socket("127.0.0.1", gw.port)) {
        socket.setSoTimeout(5_000);
        socket.getOutputStream().write(("GET /admin/v1/audit?" + query + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + GatewayFixture.OPERATOR_TOKEN + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(answer).as(query).startsWith("HTTP/1.1 400").containsIgnoringCase("content-type: application/json")
            .contains("\"error\":\"invalid_request\"");
      }
    }
    assertThat(written(vertx)).isEqualTo(before);
    healthy();
  }

  @Test
  @DisplayName("2,000 raw protocol violations (bad request lines, header syntax, smuggling, invalid UTF-8): never a 5xx or a hang")
  void protocolGarbage(Vertx vertx) throws Exception {
    Map<String, Long> before = written(vertx);
    SplittableRandom random = new SplittableRandom(7);
    Map<String, Integer> outcomes = new TreeMap<>();
    for (int i = 0; i < 2_000; i++) {
      byte[] request = garbage(random, i);
      try (Socket socket = new Socket("127.0.0.1", gw.port)) {
        socket.setSoTimeout(10_000);
        OutputStream out = socket.getOutputStream();
        out.write(request);
        out.flush();
        socket.shutdownOutput();
        String statusLine = firstLine(socket.getInputStream());
        String status = statusLine.length() >= 12 ? statusLine.substring(9, 12) : "closed";
        outcomes.merge(status, 1, Integer::sum);
        if (new String(request, StandardCharsets.ISO_8859_1).contains(" HTTP/9.9")) {
          // Vert.x core answers an unknown HTTP version with 501 before any handler runs
          assertThat(status).isEqualTo("501");
        } else {
          assertThat(status).as("answer to %s", new String(request, StandardCharsets.ISO_8859_1)).doesNotStartWith("5");
        }
      }
    }
    assertThat(outcomes.getOrDefault("400", 0)).as("outcomes %s", outcomes).isGreaterThan(500);
    assertThat(written(vertx)).isEqualTo(before);
    healthy();
  }

  static byte[] garbage(SplittableRandom random, int i) {
    String campaignPath = "/api/v1/campaigns/" + c.id() + "/claims";
    String body = "{\"citizenId\":\"x\",\"merchantIds\":[\"m0\"]}";
    return switch (i % 10) {
      case 0 -> ("GARBAGE " + campaignPath + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes();
      case 1 -> ("POST " + campaignPath + "\r\n\r\n").getBytes();
      case 2 -> ("POST " + campaignPath + " HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes();
      case 3 -> ("POST " + campaignPath + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n"
          + "Content-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body).getBytes();
      case 4 -> ("POST " + campaignPath + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
          + "Content-Length: 3\r\nConnection: close\r\n\r\nzz\r\n" + body + "\r\n0\r\n\r\n").getBytes();
      case 5 -> ("GET /api/v1/claims/" + "a".repeat(5_000 + random.nextInt(5_000)) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes();
      case 6 -> ("GET /api/v1/campaigns HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(9_000 + random.nextInt(9_000))
          + "\r\nConnection: close\r\n\r\n").getBytes();
      case 7 -> {
        byte[] bytes = new byte[1 + random.nextInt(400)];
        random.nextBytes(bytes);
        yield bytes;
      }
      case 8 -> concat(("GET /api/v1/campaigns/").getBytes(), new byte[] {(byte) 0xC3, 0x28, (byte) 0xFF, 0, '%'},
          " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes());
      default -> ("POST " + campaignPath + " HTTP/1.1\r\nHost: x\r\nBad Header Name: y\r\nNoColon\r\n"
          + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body).getBytes();
    };
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] all = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    return all;
  }

  static String firstLine(InputStream in) throws java.io.IOException {
    StringBuilder line = new StringBuilder();
    for (int b = in.read(); b >= 0 && b != '\n'; b = in.read()) {
      line.append((char) b);
    }
    return line.toString().strip();
  }

  /** Sends {@code count} requests, 64 at a time, each with its own 20 s deadline. */
  static final claimgate.testkit.ContractCheck CONTRACT = claimgate.testkit.ContractCheck.of().orElseThrow();

  static void send(java.net.http.HttpClient client, String name, Function<Integer, Malformed> make, int count,
      Map<Integer, Integer> statuses) {
    java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(64);
    List<java.util.concurrent.CompletableFuture<Void>> all = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Malformed m = make.apply(i);
      java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(
              java.net.URI.create("http://127.0.0.1:" + gw.port + m.uri()))
          .timeout(java.time.Duration.ofSeconds(20))
          .method(m.method().name(), m.body() == null ? java.net.http.HttpRequest.BodyPublishers.noBody()
              : java.net.http.HttpRequest.BodyPublishers.ofByteArray(m.body().getBytes()));
      m.headers().forEach((k, v) -> {
        try {
          request.header(k, v);
        } catch (IllegalArgumentException notSendable) {
          // a value this client refuses to send; the raw-socket test sends such bytes
        }
      });
      inFlight.acquireUninterruptibly();
      all.add(client.sendAsync(request.build(), java.net.http.HttpResponse.BodyHandlers.ofString())
          .handle((response, failure) -> {
            inFlight.release();
            if (failure != null) {
              throw new AssertionError(name + ": no answer to " + describe(m), failure);
            }
            if (response.statusCode() >= 500) {
              throw new AssertionError(name + ": " + describe(m) + " answered " + response.statusCode() + " " + response.body());
            }
            // a refusal of malformed input is still an answer of the contract
            CONTRACT.check(m.method().name(), m.uri(), response.statusCode(),
                response.headers().firstValue("Content-Type").orElse(null), response.body());
            synchronized (statuses) {
              statuses.merge(response.statusCode(), 1, Integer::sum);
            }
            return null;
          }));
    }
    java.util.concurrent.CompletableFuture.allOf(all.toArray(java.util.concurrent.CompletableFuture[]::new)).join();
  }

  static String describe(Malformed m) {
    return m.method() + " " + m.uri() + " " + m.headers() + " body "
        + (m.body() == null ? "none" : m.body().length() + " bytes: " + m.body().toString().substring(0, Math.min(80, m.body().length())));
  }

  /** What a request could have written: the waiting room, tickets, claims, redemptions, keys, audit. */
  static Map<String, Long> written(Vertx vertx) {
    CampaignKeys keys = new CampaignKeys(c.id());
    Map<String, Long> counts = new TreeMap<>();
    counts.put("stream", gw.redis(Request.cmd(Command.XLEN).arg(keys.stream())).toLong());
    counts.put("citizens and idempotency records", gw.redis(Request.cmd(Command.HLEN).arg(keys.citizens())).toLong());
    Response campaign = gw.redis(Request.cmd(Command.HMGET).arg(keys.config()).arg(CampaignKeys.PAUSED)
        .arg(CampaignKeys.FROZEN).arg(CampaignKeys.SEQ));
    counts.put("flags and seq", (long) String.valueOf(campaign).hashCode());
    Pool pool = TestServers.database().pool(vertx, 1);
    try {
      for (String table : List.of("claim", "audit", "merchant_key")) {
        counts.put(table, pool.query("select count(*) from " + table).execute().await().iterator().next().getLong(0));
      }
      counts.put("redeemed", pool.query("select count(*) from voucher where redeemed_at is not null or revoked_at is not null")
          .execute().await().iterator().next().getLong(0));
      counts.put("document", (long) pool.query("select document::text from campaign where id = '" + c.id() + "'")
          .execute().await().iterator().next().getString(0).hashCode());
    } finally {
      pool.close().await();
    }
    return counts;
  }

  static void healthy() {
    assertThat(gw.get("/health/ready").statusCode()).isEqualTo(200);
    assertThat(gw.claim(c.id(), GatewayFixture.claimBody("healthy-" + System.nanoTime(), "m0")).statusCode()).isEqualTo(202);
  }

  /** Generators of requests that must be refused. */
  static final class Fuzz {
    final SplittableRandom random;
    final String campaignId;
    final ForgedCodes forged = new ForgedCodes(99);

    Fuzz(SplittableRandom random, String campaignId) {
      this.random = random;
      this.campaignId = campaignId;
    }

    <T> T pick(List<T> options) {
      return options.get(random.nextInt(options.size()));
    }

    HttpMethod method() {
      return pick(List.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.PATCH,
          HttpMethod.OPTIONS, HttpMethod.HEAD, HttpMethod.TRACE));
    }

    String longString(int min, int max) {
      return "x".repeat(min + random.nextInt(max - min));
    }

    String badId() {
      return pick(List.of("..", "..%2F..%2Fetc%2Fpasswd", "%00", "UPPER", "-lead", longString(41, 300), "%C3%28",
          "a%20b", "%E2%80%AE", campaignId + "%2Fclaims", "null", "1e999", "%25%25"));
    }

    String badTicket() {
      return pick(List.of(campaignId + "." + longString(1, 21), campaignId + "." + "A".repeat(22) + "x", ".." ,
          campaignId + "%2E" + "A".repeat(22), "no-such." + "A".repeat(22), "%00", longString(100, 2_000),
          campaignId + ".%2F%2E%2E" + "A".repeat(16)));
    }

    String badCode() {
      return pick(List.of(forged.next("FUZZ"), longString(65, 500), "%00", "..%2F..", "PALMA-0000", "%C3%28",
          forged.next(new Campaign(campaignId, "x", "EUR", java.math.BigDecimal.ONE, 1, null, null, null, List.of(),
              List.of()).codePrefix())));
    }

    String query() {
      return pick(List.of("", "?", "?limit=-1", "?limit=99999999999999999999", "?campaignId=..%2F", "?before=abc",
          "?a=" + longString(100, 3_000), "?limit=1&limit=2", "?%00=%00"));
    }

    String traversal() {
      return pick(List.of("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2F..%2Fpom.xml", "/.git/config",
          "/index.html%00.js", "/" + longString(100, 3_000), "/admin/../admin.js", "/WEB-INF/", "/%C0%AE%C0%AE/",
          "/api/v2/claims", "/api/v1/", "/health/../metrics%00"));
    }

    Map<String, String> headers(boolean json) {
      Map<String, String> headers = new TreeMap<>();
      int kind = random.nextInt(6);
      if (json || kind == 0) {
        headers.put("Content-Type", "application/json");
      } else if (kind == 1) {
        headers.put("Content-Type", pick(List.of("text/plain", "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded", "application/json; charset=latin1-nonsense", "*/*", "")));
      }
      if (random.nextInt(4) == 0) {
        headers.put("Idempotency-Key", pick(List.of("", longString(129, 400), "with space", "ü")));
      }
      if (random.nextInt(6) == 0) {
        headers.put("Authorization", pick(List.of("Bearer", "Bearer ", "Basic YTpi", "Bearer " + longString(3_000, 5_000),
            "bearer cgm_x", "Bearer cgo_x")));
      }
      return headers;
    }

    Buffer anyBody() {
      return random.nextInt(3) == 0 ? null : claimBodyBytes();
    }

    /** A claim that the contract or the campaign refuses: never a valid one. */
    Malformed claim() {
      String path = "/api/v1/campaigns/" + (random.nextInt(10) == 0 ? badId() : campaignId) + "/claims";
      int kind = random.nextInt(10);
      if (kind == 0) {
        // a valid body with a wrong or missing content type
        Map<String, String> headers = new TreeMap<>();
        if (random.nextBoolean()) {
          headers.put("Content-Type", pick(List.of("text/plain", "application/xml", "application/x-www-form-urlencoded")));
        }
        return new Malformed(HttpMethod.POST, path, headers,
            Buffer.buffer("{\"citizenId\":\"valid-" + random.nextInt() + "\",\"merchantIds\":[\"m0\"]}"));
      }
      if (kind == 1) {
        return new Malformed(HttpMethod.POST, path, headers(true), Buffer.buffer(new byte[16 * 1024 + 1 + random.nextInt(50_000)]));
      }
      return new Malformed(random.nextInt(15) == 0 ? method() : HttpMethod.POST, path, headers(true), claimBodyBytes());
    }

    Buffer claimBodyBytes() {
      String citizen = "\"c" + random.nextInt(1_000_000) + "\"";
      String body = switch (random.nextInt(24)) {
        case 0 -> "";
        case 1 -> "{";
        case 2 -> "{\"citizenId\":" + citizen + ",\"merchantIds\":[\"m0\"";
        case 3 -> "[".repeat(1_000 + random.nextInt(3_000));
        case 4 -> "{\"a\":".repeat(500 + random.nextInt(2_000)) + "1" + "}".repeat(500);
        case 5 -> "{\"citizenId\":" + pick(List.of("1", "-1", "0", "1e400", "123456789012345678901234567890", "true",
            "null", "[]", "{}")) + ",\"merchantIds\":[\"m0\"]}";
        case 6 -> "{\"citizenId\":" + citizen + ",\"merchantIds\":" + pick(List.of("\"m0\"", "1", "null", "{}", "[1]",
            "[null]", "[[\"m0\"]]", "-1", "0")) + "}";
        case 7 -> "{\"citizenId\":" + citizen + ",\"merchantIds\":[]}";
        case 8 -> "{\"citizenId\":" + citizen + ",\"merchantIds\":[\"m0\",\"m1\",\"m2\",\"m3\",\"m4\",\"m5\"]}";
        case 9 -> "{\"citizenId\":" + citizen + ",\"merchantIds\":[\"m0\",\"m0\"]}";
        case 10 -> "{\"citizenId\":\"" + longString(65, 15_000) + "\",\"merchantIds\":[\"m0\"]}";
        case 11 -> "{\"citizenId\":" + citizen + ",\"citizenId\":\"other\",\"merchantIds\":[\"m0\"]}";
        case 12 -> "{\"citizenId\":" + citizen + ",\"merchantIds\":[\"m0\"],\"admin\":true}";
        case 13 -> "{\"citizenId\":\"" + pick(List.of("a b", "../../x", "é", "\\u0000", "<script>", "a\\nb", "")) + "\",\"merchantIds\":[\"m0\"]}";
        case 14 -> "{\"citizenId\":" + citizen + ",\"merchantIds\":[\"" + pick(List.of("../../etc/passwd", "m 0", "", "é",
            longString(41, 500))) + "\"]}";
        case 15 -> pick(List.of("[]", "\"text\"", "42", "null", "true", "-0", "1e999"));
        case 16 -> "{\"citizenId\":" + citizen + ",\"merchantIds\":[\"zz-unknown\"]}";
        case 17 -> "{\"citizenId\":" + citizen + ",\"merchantIds\":[\"m0\"]} trailing";
        case 18 -> "{\"merchantIds\":[\"m0\"]}";
        case 19 -> "{\"citizenId\":" + citizen + "}";
        case 20 -> "{'citizenId':'single-quotes','merchantIds':['m0']}";
        case 21 -> "{\"citizenId\":" + citizen + ",\"merchantIds\":[\"m0\"],}";
        case 22 -> "\uFEFF{\"citizenId\":" + citizen + ",\"merchantIds\":[\"m0\"]} {}";
        default -> null;
      };
      if (body == null) {
        // invalid UTF-8 inside a string
        return Buffer.buffer("{\"citizenId\":\"").appendBytes(new byte[] {(byte) 0xC3, 0x28, (byte) 0xFF, (byte) 0xFE})
            .appendString("\",\"merchantIds\":[\"m0\"]}");
      }
      return Buffer.buffer(body);
    }

    Buffer redemptionBody() {
      return Buffer.buffer(pick(List.of("{\"code\":\"" + forged.next("FUZZ") + "\"}", "{\"code\":1}", "{\"code\":null}",
          "{\"code\":\"" + longString(65, 2_000) + "\"}", "{}", "{\"code\":\"x\",\"code\":\"y\"}", "[", "{\"code\":\"\"}",
          "{\"code\":\"" + forged.next("FUZZ") + "\",\"extra\":1}")));
    }

    Buffer batchBody() {
      return Buffer.buffer(pick(List.of("{\"items\":[]}", "{\"items\":{}}", "{\"items\":[{\"code\":\"x\"}]}",
          "{\"items\":[{\"code\":\"x\",\"redeemedAt\":5}]}", "{\"items\":[" + "{\"code\":\"x\",\"redeemedAt\":\"2026-01-01T00:00:00Z\"},".repeat(1_001)
              + "{\"code\":\"x\",\"redeemedAt\":\"2026-01-01T00:00:00Z\"}]}",
          "{\"items\":[{\"code\":\"" + forged.next("FUZZ") + "\",\"redeemedAt\":\"not-a-date\"}]}",
          "{\"items\":[{\"code\":\"" + forged.next("FUZZ") + "\",\"redeemedAt\":\"2026-01-01T00:00:00Z\"}]}",
          "{\"items\":null}", "nope")));
    }

    Malformed merchant(HttpMethod method, String path, Buffer body) {
      Map<String, String> headers = headers(true);
      int credential = random.nextInt(4);
      if (credential == 0) {
        headers.put("Authorization", "Bearer " + merchantKey);
      } else if (credential == 1) {
        headers.remove("Authorization");
      }
      return new Malformed(random.nextInt(20) == 0 ? method() : method, path, headers, body);
    }

    Malformed operator(String path) {
      Map<String, String> headers = headers(true);
      int credential = random.nextInt(3);
      if (credential == 0) {
        headers.remove("Authorization");
      } else if (credential == 1) {
        headers.put("Authorization", "Bearer " + pick(List.of("cgo_wrong", merchantKey, GatewayFixture.OPERATOR_TOKEN + "x")));
      } else {
        // the right token, with a body or parameters the route refuses
        headers.put("Authorization", "Bearer " + GatewayFixture.OPERATOR_TOKEN);
        return new Malformed(path.endsWith("/stats") || path.contains("/audit") ? HttpMethod.DELETE : HttpMethod.PUT,
            path, headers, claimBodyBytes());
      }
      return new Malformed(method(), path, headers, random.nextBoolean() ? null : claimBodyBytes());
    }
  }
}
