package claimgate.cli;

import claimgate.web.Bearer;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignFiles;
import claimgate.config.Settings;
import claimgate.store.EmbeddedServers;
import claimgate.testkit.TestServers;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/**
 * One running claimgate (gateway and allocator) per test JVM, on the shared test servers, and a
 * plain HTTP client for it: tests reach it only as its users do.
 */
final class LiveStack {

  static final String OPERATOR_TOKEN = "cgo_test_" + UUID.randomUUID();
  private static Stack stack;
  private static String base;
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** An answer: status, headers and the body as JSON (object or array), or null. */
  record Reply(int status, HttpResponse<String> raw) {
    Reply(HttpResponse<String> response) {
      this(response.statusCode(), response);
    }

    JsonObject json() {
      return new JsonObject(raw.body());
    }

    JsonArray array() {
      return new JsonArray(raw.body());
    }

    String error() {
      return raw.body().startsWith("{") ? json().getString("error") : null;
    }

    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }
  }

  private LiveStack() {}

  static synchronized String base() {
    if (stack == null) {
      try {
        Path dir = Files.createTempDirectory("claimgate-live");
        int port = EmbeddedServers.freePort();
        Settings settings = Settings.local(port, dir)
            .withServers(TestServers.redisUrl(), TestServers.get().postgresUrl())
            .withOperatorToken(OPERATOR_TOKEN)
            // every test polls from 127.0.0.1
            .withStatusPerAddressPerSecond(100_000);
        stack = Stack.start(settings, Optional.empty(), false, Stack.Role.GATEWAY, Stack.Role.ALLOCATOR);
        base = "http://127.0.0.1:" + port;
        Stack started = stack;
        Runtime.getRuntime().addShutdownHook(new Thread(started::close));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return base;
  }

  static Reply send(String method, String path, String bearer, Object body) {
    return send(method, path, bearer, body, null);
  }

  static Reply send(String method, String path, String bearer, Object body, String idempotencyKey) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base() + path))
        .timeout(Duration.ofSeconds(20))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.toString()));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    if (bearer != null) {
      request.header("Authorization", "Bearer " + bearer);
    }
    if (idempotencyKey != null) {
      request.header("Idempotency-Key", idempotencyKey);
    }
    try {
      return new Reply(HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static Reply admin(String method, String path, Object body) {
    return send(method, path, OPERATOR_TOKEN, body);
  }

  static Reply get(String path) {
    return send("GET", path, null, null);
  }

  static Reply claim(String campaignId, String citizen, String... merchants) {
    return send("POST", "/api/v1/campaigns/" + campaignId + "/claims", null,
        new JsonObject().put("citizenId", citizen).put("merchantIds", new JsonArray(java.util.List.of(merchants))));
  }

  /** Creates the campaign through the admin API; fails the test unless it answers 201. */
  static Campaign create(Campaign campaign) {
    Reply r = admin("PUT", "/admin/v1/campaigns/" + campaign.id(), new JsonObject(CampaignFiles.toJson(campaign)));
    if (r.status() != 201) {
      throw new AssertionError("campaign not created: " + r.status() + " " + r.raw().body());
    }
    return campaign;
  }

  /** Polls a ticket until it is final. */
  static JsonObject awaitFinal(String ticket) {
    for (int i = 0; i < 400; i++) {
      Reply r = get("/api/v1/claims/" + ticket);
      if (r.status() == 200 && !"queued".equals(r.json().getString("status"))) {
        return r.json();
      }
      pause(50);
    }
    throw new AssertionError("ticket never reached a final status: " + ticket);
  }

  static String merchantKey(String campaignId, String merchantId) {
    Reply r = admin("POST", "/admin/v1/campaigns/" + campaignId + "/merchants/" + merchantId + "/keys", null);
    if (r.status() != 201) {
      throw new AssertionError("no merchant key: " + r.status() + " " + r.raw().body());
    }
    return r.json().getString("key");
  }

  static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
