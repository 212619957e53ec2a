package claimgate.testkit;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignFiles;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * A blocking client of claimgate's HTTP API, as its users reach it: claim, await a final
 * status, apply a campaign, create a merchant key. Every suite that drives a running gateway
 * uses this one, and every answer it receives is checked against the HTTP contract
 * ({@link ContractCheck}): an answer the contract does not describe fails the test.
 *
 * <pre>
 *   ApiClient api = new ApiClient("http://127.0.0.1:8080", operatorToken);
 *   JsonObject status = api.awaitFinal(api.claim("palma-2027", "12345678Z", "m001").json().getString("ticket"));
 * </pre>
 */
public final class ApiClient {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);

  private final String base;
  private final String operatorToken;
  private final Duration timeout;

  /** @param operatorToken the admin API's token, for {@link #admin}; null when the caller has none */
  public ApiClient(String base, String operatorToken) {
    this(base, operatorToken, DEFAULT_TIMEOUT);
  }

  private ApiClient(String base, String operatorToken, Duration timeout) {
    this.base = base;
    this.operatorToken = operatorToken;
    this.timeout = timeout;
  }

  /** The same client, waiting at most {@code timeout} for each answer (a drill retries elsewhere sooner). */
  public ApiClient withTimeout(Duration timeout) {
    return new ApiClient(base, operatorToken, timeout);
  }

  /** An answer: status, headers and the body as JSON (object or array). */
  public record Reply(int status, HttpResponse<String> raw) {
    public Reply(HttpResponse<String> response) {
      this(response.statusCode(), response);
    }

    public JsonObject json() {
      return new JsonObject(raw.body());
    }

    public JsonArray array() {
      return new JsonArray(raw.body());
    }

    /** The {@code error} of a JSON error body, or null. */
    public String error() {
      return raw.body().startsWith("{") ? json().getString("error") : null;
    }

    public String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }
  }

  public String base() {
    return base;
  }

  public Reply send(String method, String path, String bearer, Object body) {
    return send(method, path, bearer, body, null);
  }

  /** One request; {@code body} is sent as JSON (its {@code toString}), {@code idempotencyKey} when given. */
  public Reply send(String method, String path, String bearer, Object body, String idempotencyKey) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
        .timeout(timeout)
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
      Reply reply = new Reply(HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString()));
      ContractCheck.of().ifPresent(contract -> contract.check(method, path, reply));
      return reply;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public Reply get(String path) {
    return send("GET", path, null, null);
  }

  /** With the operator's token. */
  public Reply admin(String method, String path, Object body) {
    return send(method, path, operatorToken, body);
  }

  /** A claim with the citizen ID in the body (identity {@code none}). */
  public Reply claim(String campaignId, String citizen, String... merchants) {
    return send("POST", "/api/v1/campaigns/" + campaignId + "/claims", null,
        new JsonObject().put("citizenId", citizen).put("merchantIds", new JsonArray(List.of(merchants))));
  }

  /** Creates the campaign through the admin API; fails unless it answers 201. */
  public Campaign create(Campaign campaign) {
    Reply r = admin("PUT", "/admin/v1/campaigns/" + campaign.id(), new JsonObject(CampaignFiles.toJson(campaign)));
    if (r.status() != 201) {
      throw new AssertionError("campaign not created: " + r.status() + " " + r.raw().body());
    }
    return campaign;
  }

  /** Polls a ticket until its status is final (20 s at most). */
  public JsonObject awaitFinal(String ticket) {
    Reply last = null;
    for (int i = 0; i < 400; i++) {
      last = get("/api/v1/claims/" + ticket);
      if (last.status() == 200 && !"queued".equals(last.json().getString("status"))) {
        return last.json();
      }
      pause(50);
    }
    throw new AssertionError("ticket never reached a final status: " + ticket + " (last: "
        + (last == null ? "none" : last.status() + " " + last.raw().body()) + ")");
  }

  /** A new merchant key (shown once). */
  public String merchantKey(String campaignId, String merchantId) {
    Reply r = admin("POST", "/admin/v1/campaigns/" + campaignId + "/merchants/" + merchantId + "/keys", null);
    if (r.status() != 201) {
      throw new AssertionError("no merchant key: " + r.status() + " " + r.raw().body());
    }
    return r.json().getString("key");
  }

  public static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
