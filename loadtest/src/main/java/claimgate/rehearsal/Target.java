package claimgate.rehearsal;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * The deployment a rehearsal runs against, through its public and admin HTTP API only: a load
 * tester outside the operator's network holds its address and the operator's token, not the
 * addresses of its databases.
 */
final class Target {

  private final String base;
  private final String token;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  Target(String base, String token) {
    this.base = base.replaceAll("/+$", "");
    this.token = token;
  }

  String base() {
    return base;
  }

  record Answer(int status, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  Answer send(String method, String path, String body, boolean operator) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
        .header("Accept", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    if (operator) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(response.statusCode(), response.body());
  }

  /** Ready to serve: {@code /health/ready} answers 200 (the process is warm and reaches its stores). */
  boolean ready() {
    try {
      return send("GET", "/health/ready", null, false).status() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Creates the rehearsal campaign from its document. A campaign of that id already there is a
   * run id used before: it is refused rather than rehearsed on again.
   */
  void create(String campaignId, String document) throws IOException, InterruptedException {
    if (campaign(campaignId) != null) {
      throw new IllegalStateException("campaign " + campaignId + " exists already: this --run-id was used before; give a new one");
    }
    Answer a = send("PUT", "/admin/v1/campaigns/" + campaignId, document, true);
    if (a.status() != 201) {
      throw new IllegalStateException("the target refused the rehearsal campaign " + campaignId + ": " + a.status() + " " + a.body());
    }
  }

  /** The campaign's public decision log, every record as its exact line, read page by page without credentials. */
  List<String> log(String campaignId) throws IOException, InterruptedException {
    List<String> lines = new java.util.ArrayList<>();
    Long after = 0L;
    while (after != null) {
      Answer a = send("GET", "/api/v1/campaigns/" + campaignId + "/log?after=" + after, null, false);
      if (a.status() != 200) {
        throw new IllegalStateException("the target's log of " + campaignId + " answered " + a.status() + " " + a.body());
      }
      a.json().getJsonArray("records").forEach(line -> lines.add((String) line));
      after = a.json().getLong("next");
    }
    return lines;
  }

  /** The campaign's numbers (admitted, confirmed, rejected, answers), or null when they cannot be read. */
  JsonObject stats(String campaignId) throws IOException, InterruptedException {
    Answer a = send("GET", "/admin/v1/campaigns/" + campaignId + "/stats", null, true);
    return a.status() == 200 ? a.json() : null;
  }

  /** The public campaign answer, or null while the target does not know the campaign. */
  JsonObject campaign(String campaignId) throws IOException, InterruptedException {
    Answer a = send("GET", "/api/v1/campaigns/" + campaignId, null, false);
    return a.status() == 200 ? a.json() : null;
  }

  /** The invariant check's breaches (empty when sound). */
  JsonArray check(String campaignId, boolean requireFinal) throws IOException, InterruptedException {
    Answer a = send("GET", "/admin/v1/campaigns/" + campaignId + "/check?requireFinal=" + requireFinal, null, true);
    if (a.status() != 200) {
      throw new IllegalStateException("the invariant check answered " + a.status() + " " + a.body());
    }
    return a.json().getJsonArray("breaches");
  }

  void archive(String campaignId) throws IOException, InterruptedException {
    Answer a = send("POST", "/admin/v1/campaigns/" + campaignId + "/archive",
        new JsonObject().put("reason", "load-test rehearsal finished").encode(), true);
    if (a.status() != 200) {
      throw new IllegalStateException("archiving " + campaignId + " answered " + a.status() + " " + a.body());
    }
  }
}
