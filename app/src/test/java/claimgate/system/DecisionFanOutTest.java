package claimgate.system;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.cli.Stack;
import claimgate.settings.Settings;
import claimgate.store.EmbeddedServers;
import claimgate.testkit.ApiClient;
import claimgate.testkit.Campaigns;
import claimgate.testkit.TestServers;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Decisions fan out to every gateway: a page waiting on gateway A hears the decision of a claim
 * that went through gateway B, from the allocator's publication (one subscription per gateway
 * process), and a page polling B reads the decision of a claim made through A.
 */
class DecisionFanOutTest {

  static Stack second;
  static ApiClient b;

  @BeforeAll
  static void secondGateway() throws Exception {
    LiveStack.base();
    int port = EmbeddedServers.freePort();
    Settings settings = Settings.local(port, Files.createTempDirectory("claimgate-gateway-b"))
        .withServers(TestServers.redisUrl(), TestServers.get().postgresUrl())
        .withCodeKey(TestServers.CODE_KEY)
        .withOperatorToken(LiveStack.OPERATOR_TOKEN)
        .withStatusPerAddressPerSecond(100_000);
    second = Stack.start(settings, Optional.empty(), false, Stack.Role.GATEWAY);
    b = new ApiClient("http://127.0.0.1:" + port, LiveStack.OPERATOR_TOKEN);
  }

  @AfterAll
  static void stop() {
    second.close();
  }

  /** The last event of a ticket's stream, once it is final; the stream read on a thread of its own. */
  static CompletableFuture<JsonObject> finalEvent(String base, String ticket) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/api/v1/claims/" + ticket + "/events"))
        .timeout(Duration.ofSeconds(30)).build();
    return HttpClient.newHttpClient().sendAsync(request, HttpResponse.BodyHandlers.ofLines())
        .thenApply(response -> response.body().filter(line -> line.startsWith("data: "))
            .map(line -> new JsonObject(line.substring("data: ".length())))
            .filter(event -> !"queued".equals(event.getString("status")))
            .findFirst().orElseThrow());
  }

  @Test
  @DisplayName("a page on gateway A hears the decision of a claim made through gateway B, and B's status read has A's claim decided")
  void fanOut() throws Exception {
    Campaign c = LiveStack.create(Campaigns.open(Campaigns.uniqueId("fanout"), 9, 3, 10, 10));
    LiveStack.admin("POST", "/admin/v1/campaigns/" + c.id() + "/freeze", null);
    String throughB = b.claim(c.id(), "via-b", "m0").json().getString("ticket");
    String throughA = LiveStack.claim(c.id(), "via-a", "m1").json().getString("ticket");
    CompletableFuture<JsonObject> onA = finalEvent(LiveStack.base(), throughB);
    CompletableFuture<JsonObject> onB = finalEvent(b.base(), throughA);
    ApiClient.pause(1_500);
    assertThat(onA).isNotDone();
    assertThat(b.get("/api/v1/claims/" + throughA).json().getString("status")).isEqualTo("queued");

    long unfrozen = System.nanoTime();
    LiveStack.admin("POST", "/admin/v1/campaigns/" + c.id() + "/unfreeze", null);
    JsonObject heardOnA = onA.get(10, TimeUnit.SECONDS);
    JsonObject heardOnB = onB.get(10, TimeUnit.SECONDS);
    long tookMs = (System.nanoTime() - unfrozen) / 1_000_000;
    assertThat(heardOnA.getString("status")).isEqualTo("confirmed");
    assertThat(heardOnA.getJsonObject("voucher").getString("merchantId")).isEqualTo("m0");
    assertThat(heardOnB.getString("status")).isEqualTo("confirmed");
    // within 2 s of the decision (the unfreeze, then one allocator step)
    assertThat(tookMs).isLessThan(3_000);
    for (ApiClient gateway : List.of(b, LiveStack.api())) {
      assertThat(gateway.get("/api/v1/claims/" + throughA).json().getString("status")).isEqualTo("confirmed");
      assertThat(gateway.get("/api/v1/claims/" + throughB).json().getString("status")).isEqualTo("confirmed");
    }
  }
}
