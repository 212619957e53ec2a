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
      JsonObject campaign = new JsonObject(get(base + "/api/v1/campaigns/palma-2027").body());
      assertThat(campaign.getString("state")).isEqualTo("open");
      assertThat(campaign.getJsonArray("merchants")).hasSize(300);

      HttpResponse<String> claimed = post(base + "/api/v1/campaigns/palma-2027/claims",
          "{\"citizenId\":\"joana\",\"merchantIds\":[\"m001\",\"m002\"]}");
      assertThat(claimed.statusCode()).isEqualTo(202);
      ticket = new JsonObject(claimed.body()).getString("ticket");
      JsonObject status = new ApiClient(base, null).awaitFinal(ticket);
      assertThat(status.getString("status")).isEqualTo("confirmed");
      code = status.getJsonObject("voucher").getString("code");
      assertThat(code).matches("PALMA(-[0-9A-HJKMNP-TV-Z]{4}){5}");
      assertThat(status.getJsonObject("voucher").getString("merchantId")).isEqualTo("m001");

      HttpResponse<String> second = post(base + "/api/v1/campaigns/palma-2027/claims",
          "{\"citizenId\":\"pere\",\"merchantIds\":[\"m003\"]}");
      String secondTicket = new JsonObject(second.body()).getString("ticket");
      HttpResponse<Stream<String>> events = http.send(HttpRequest.newBuilder(
              URI.create(base + "/api/v1/claims/" + secondTicket + "/events")).timeout(Duration.ofSeconds(20)).build(),
          HttpResponse.BodyHandlers.ofLines());
      assertThat(events.headers().firstValue("Content-Type")).contains("text/event-stream");
      List<String> data = events.body().filter(line -> line.startsWith("data: ")).toList();
      assertThat(new JsonObject(data.get(data.size() - 1).substring(6)).getString("status")).isEqualTo("confirmed");
    }

    try (Stack again = Stack.start(settings, Optional.of(EXAMPLE), true, Stack.Role.GATEWAY, Stack.Role.ALLOCATOR)) {
      JsonObject status = new ApiClient(base, null).awaitFinal(ticket);
      assertThat(status.getJsonObject("voucher").getString("code")).isEqualTo(code);
      JsonObject campaign = new JsonObject(get(base + "/api/v1/campaigns/palma-2027").body());
      int remainingM001 = campaign.getJsonArray("merchants").getJsonObject(0).getInteger("remaining");
      assertThat(remainingM001).isEqualTo((int) (202L * 3400 / 10000) - 1);
      // Redis restarted with the demo: claims wait (503) until the allocator has restored the campaign
      HttpResponse<String> repeat = post(base + "/api/v1/campaigns/palma-2027/claims",
          "{\"citizenId\":\"joana\",\"merchantIds\":[\"m001\",\"m002\"]}");
      for (int i = 0; i < 100 && repeat.statusCode() == 503; i++) {
        Thread.sleep(50);
        repeat = post(base + "/api/v1/campaigns/palma-2027/claims",
            "{\"citizenId\":\"joana\",\"merchantIds\":[\"m001\",\"m002\"]}");
      }
      assertThat(new JsonObject(repeat.body()).getString("ticket")).isEqualTo(ticket);
    }
  }

  HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String url, String json) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
