package claimgate.simulation;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The launch minute: citizens arrive with a spike at opening ({@code spikeShare} of them in the
 * first 5 s, the rest over the remaining seconds), each picks 1-3 shops by a skewed popularity,
 * and behaves like the launch page: on 429, 503 or 425 it waits for Retry-After plus jitter and
 * sends the same claim again with the same Idempotency-Key; some send it twice anyway; after a
 * 202 it polls its ticket until the answer is final. A 5xx other than 503, or any other status
 * than the contract's, fails the run.
 *
 * <pre>
 *   loadtest/launch-minute [-Dusers=20000 -Dseconds=60]
 * </pre>
 */
public class LaunchMinute extends Simulation {

  static final String BASE_URL = System.getProperty("baseUrl", "http://127.0.0.1:8080");
  static final String CAMPAIGN = System.getProperty("campaign", "launch-minute");
  static final int USERS = Integer.getInteger("users", 20_000);
  static final int SECONDS = Integer.getInteger("seconds", 60);
  static final double SPIKE_SHARE = Double.parseDouble(System.getProperty("spikeShare", "0.3"));
  static final int MERCHANTS = Integer.getInteger("merchants", 300);
  static final double DOUBLE_SUBMIT_SHARE = 0.1;
  static final int MAX_POLLS = 120;

  static Session newCitizen(Session session) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    List<String> merchants = new ArrayList<>();
    int wanted = 1 + random.nextInt(3);
    while (merchants.size() < wanted) {
      double u = random.nextDouble();
      String id = String.format("m%03d", 1 + (int) (u * u * MERCHANTS));
      if (!merchants.contains(id)) {
        merchants.add(id);
      }
    }
    String body = "{\"citizenId\":\"lm-" + UUID.randomUUID() + "\",\"merchantIds\":[\""
        + String.join("\",\"", merchants) + "\"]}";
    return session.set("body", body).set("key", UUID.randomUUID().toString()).set("done", false).set("final", false)
        .set("polls", 0).set("twice", random.nextDouble() < DOUBLE_SUBMIT_SHARE);
  }

  /**
   * Waits as the launch page does: Retry-After seconds plus up to half as much again; with no
   * answer at all (a refused or closed connection), two seconds and jitter.
   */
  static Session afterClaim(Session session) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    if (!session.contains("status")) {
      return session.set("done", false).set("waitMs", 2_000L + random.nextLong(1_000));
    }
    int code = session.getInt("status");
    boolean wait = code == 429 || code == 503 || code == 425;
    long retryAfterMs = 1000L * (session.contains("retryAfter") ? Long.parseLong(session.getString("retryAfter")) : 1);
    long jitterMs = random.nextLong(Math.max(500, retryAfterMs / 2));
    return session.set("done", !wait).set("waitMs", wait ? retryAfterMs + jitterMs : 0L);
  }

  static ChainBuilder claim(String name) {
    return exec(session -> session.remove("status").remove("retryAfter")).exec(http(name).post("/api/v1/campaigns/" + CAMPAIGN + "/claims")
        .header("Idempotency-Key", "#{key}")
        .body(StringBody("#{body}")).asJson()
        .check(status().in(202, 403, 409, 410, 425, 429, 503).saveAs("status"))
        .check(header("Retry-After").optional().saveAs("retryAfter"))
        .check(jsonPath("$.ticket").optional().saveAs("ticket")));
  }

  static HttpProtocolBuilder protocol() {
    return http.baseUrl(BASE_URL).acceptHeader("application/json").shareConnections();
  }

  /** The arrivals: a spike at opening, then the rest of the minute. */
  static io.gatling.javaapi.core.OpenInjectionStep[] arrivals() {
    int spike = (int) Math.round(USERS * SPIKE_SHARE);
    return new io.gatling.javaapi.core.OpenInjectionStep[] {
        rampUsers(spike).during(Duration.ofSeconds(Math.min(5, SECONDS))),
        rampUsers(USERS - spike).during(Duration.ofSeconds(Math.max(1, SECONDS - 5)))};
  }

  static final ScenarioBuilder CITIZENS = scenario("launch minute")
      .exec(LaunchMinute::newCitizen)
      .asLongAs(session -> !session.getBoolean("done")).on(
          claim("claim")
              .exec(LaunchMinute::afterClaim)
              .pause(session -> Duration.ofMillis(session.getLong("waitMs"))))
      .doIf(session -> session.getBoolean("twice") && session.contains("ticket")).then(
          claim("claim again (same key)"))
      .doIf(session -> session.contains("ticket")).then(
          asLongAs(session -> !session.getBoolean("final") && session.getInt("polls") < MAX_POLLS).on(
              pause(Duration.ofMillis(500), Duration.ofMillis(1500))
                  .exec(http("ticket status").get("/api/v1/claims/#{ticket}")
                      .check(status().is(200))
                      .check(jsonPath("$.status").saveAs("claimStatus")))
                  .exec(session -> session.set("final", !"queued".equals(session.getString("claimStatus")))
                      .set("polls", session.getInt("polls") + 1))));

  {
    setUp(CITIZENS.injectOpen(arrivals()))
        .protocols(protocol())
        .assertions(
            global().failedRequests().count().is(0L),
            global().successfulRequests().percent().is(100.0));
  }
}
