package claimgate.cli;

import claimgate.testkit.ApiClient;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.settings.Settings;
import claimgate.store.EmbeddedServers;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo stack on embedded Redis and PostgreSQL, in-process: the example campaign is served,
 * a claim goes queued → confirmed with a voucher code (invariants 2 and 8 end to end), the
 * events stream ends with the final status, and a restart on the same data continues with it.
 */
class DemoStackTest {

  static final Path EXAMPLE = Path.of("../deploy/examples/palma-2027.yaml");
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path dataDir;

  @Test
  @DisplayName("demo: campaign served, claim confirmed with a code, events stream ends final, data kept across a restart")
  void demoEndToEnd() throws Exception {
    int port = EmbeddedServers.freePort();
    Settings settings = Settings.local(port, dataDir);
    String base = "http://127.0.0.1:" + port;
    String ticket;
    String code;
    try (Stack stack = Stack.start(settings, Optional.of(EXAMPLE), true, Stack.Role.GATEWAY, Stack.Role.ALLOCATOR)) {
      ApiClient api = new ApiClient(base, null);
      JsonObject campaign = api.get("/api/v1/campaigns/palma-2027").json();
      assertThat(campaign.getString("state")).isEqualTo("open");
      assertThat(campaign.getJsonArray("merchants")).hasSize(300);

      ApiClient.Reply claimed = api.claim("palma-2027", "joana", "m001", "m002");
      assertThat(claimed.status()).isEqualTo(202);
      ticket = claimed.json().getString("ticket");
      JsonObject status = api.awaitFinal(ticket);
      assertThat(status.getString("status")).isEqualTo("confirmed");
      code = status.getJsonObject("voucher").getString("code");
      assertThat(code).matches("PALMA(-[0-9A-HJKMNP-TV-Z]{4}){5}");
      assertThat(status.getJsonObject("voucher").getString("merchantId")).isEqualTo("m001");

      String secondTicket = api.claim("palma-2027", "pere", "m003").json().getString("ticket");
      HttpResponse<Stream<String>> events = http.send(HttpRequest.newBuilder(
              URI.create(base + "/api/v1/claims/" + secondTicket + "/events")).timeout(Duration.ofSeconds(20)).build(),
          HttpResponse.BodyHandlers.ofLines());
      assertThat(events.headers().firstValue("Content-Type")).contains("text/event-stream");
      List<String> data = events.body().filter(line -> line.startsWith("data: ")).toList();
      // every event is a claim status as the contract describes one
      claimgate.testkit.ContractCheck contract = claimgate.testkit.ContractCheck.of().orElseThrow();
      data.forEach(line -> contract.check("GET", "/api/v1/claims/" + secondTicket, 200, "application/json", line.substring(6)));
      assertThat(new JsonObject(data.get(data.size() - 1).substring(6)).getString("status")).isEqualTo("confirmed");
    }

    try (Stack again = Stack.start(settings, Optional.of(EXAMPLE), true, Stack.Role.GATEWAY, Stack.Role.ALLOCATOR)) {
      ApiClient api = new ApiClient(base, null);
      JsonObject status = api.awaitFinal(ticket);
      assertThat(status.getJsonObject("voucher").getString("code")).isEqualTo(code);
      JsonObject campaign = api.get("/api/v1/campaigns/palma-2027").json();
      int remainingM001 = campaign.getJsonArray("merchants").getJsonObject(0).getInteger("remaining");
      assertThat(remainingM001).isEqualTo((int) (202L * 3400 / 10000) - 1);
      // Redis restarted with the demo: claims wait (503) until the allocator has restored the campaign
      ApiClient.Reply repeat = api.claim("palma-2027", "joana", "m001", "m002");
      for (int i = 0; i < 100 && repeat.status() == 503; i++) {
        ApiClient.pause(50);
        repeat = api.claim("palma-2027", "joana", "m001", "m002");
      }
      assertThat(repeat.json().getString("ticket")).isEqualTo(ticket);
    }
  }
}
