package claimgate.simulation;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.doIf;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.core.CoreDsl.substring;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.sse;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.OpenInjectionStep;
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
 * The launch minute (profile {@code city}): citizens arrive with a spike at opening
 * ({@code spikeShare} of them in the first {@code spikeSeconds}, the rest over the remaining
 * seconds), open the campaign page, take {@code formMinMs}-{@code formMaxMs} to fill the form,
 * pick 1-3 shops by a skewed popularity, and behave like the launch page: on 429, 503 or 425 they
 * wait for Retry-After plus jitter and send the same claim again with the same Idempotency-Key
 * (giving up after {@code maxRetrySeconds}); some send it twice anyway; after a 202 they follow
 * their ticket's event stream until the answer is final (polling when the stream fails), each
 * citizen on connections of its own, as a browser. A 5xx other than 503, or any status the contract does
 * not give, fails the run.
 *
 * <pre>
 *   loadtest/launch-minute --profile city [-Dusers=50000 -Dseconds=60]
 * </pre>
 */
public class LaunchMinute extends Simulation {

  static final String BASE_URL = Injector.BASE_URL;
  static final String CAMPAIGN = Injector.CAMPAIGN;
  static final int USERS = Injector.share(Integer.getInteger("users", 20_000));
  static final int SECONDS = Integer.getInteger("seconds", 60);
  static final double SPIKE_SHARE = Double.parseDouble(System.getProperty("spikeShare", "0.33"));
  static final int SPIKE_SECONDS = Integer.getInteger("spikeSeconds", 10);
  static final int MERCHANTS = Integer.getInteger("merchants", 300);
  static final int FORM_MIN_MS = Integer.getInteger("formMinMs", 0);
  static final int FORM_MAX_MS = Integer.getInteger("formMaxMs", 0);
  static final long MAX_RETRY_MS = 1000L * Integer.getInteger("maxRetrySeconds", 120);
  static final double DOUBLE_SUBMIT_SHARE = 0.1;
  static final int MAX_POLLS = 120;
  /** How long a page waits on its ticket's event stream for the final status. */
  static final int MAX_WAIT_SECONDS = Integer.getInteger("maxWaitSeconds", 120);
  /**
   * With a pre-queue (profile {@code prequeue}): every citizen arrives in the this many seconds
   * before the opening, evenly, and waits in the pre-queue for the draw; 0: the launch minute.
   */
  static final int PREQUEUE_SECONDS = Integer.getInteger("prequeueSeconds", 0);
  /**
   * With a pre-queue: a citizen whose claim is prequeued looks at the page again every this many
   * seconds (plus up to half as much) until the answer is final, as one who closed the page and
   * comes back, instead of holding an event stream for minutes (50,000 open streams pass this
   * machine's limit of open files for the injector); 0: the event stream, as everyone else.
   */
  static final int PREQUEUE_POLL_SECONDS = Integer.getInteger("prequeuePollSeconds", 0);

  static Session newCitizen(Session session) {
    return newCitizen(session, Injector.citizenId("lm", UUID.randomUUID().toString()));
  }

  /** A citizen with this id who has chosen 1-3 shops, before sending the form. */
  static Session newCitizen(Session session, String citizenId) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    List<String> merchants = new ArrayList<>();
    int wanted = Math.min(MERCHANTS, 1 + random.nextInt(3));
    while (merchants.size() < wanted) {
      double u = random.nextDouble();
      String id = String.format("m%03d", 1 + (int) (u * u * MERCHANTS));
      if (!merchants.contains(id)) {
        merchants.add(id);
      }
    }
    String body = "{\"citizenId\":\"" + citizenId + "\",\"merchantIds\":[\""
        + String.join("\",\"", merchants) + "\"]}";
    long formMs = FORM_MAX_MS <= FORM_MIN_MS ? FORM_MIN_MS : FORM_MIN_MS + random.nextLong(FORM_MAX_MS - FORM_MIN_MS);
    return session.set("body", body).set("key", UUID.randomUUID().toString()).set("done", false).set("final", false)
        .set("polls", 0).set("twice", random.nextDouble() < DOUBLE_SUBMIT_SHARE).set("formMs", formMs)
        .set("giveUpAt", 0L);
  }

  /**
   * Waits as the launch page does: Retry-After seconds plus up to half as much again; with no
   * answer at all (a refused or closed connection), two seconds and jitter. A citizen who has
   * waited {@code maxRetrySeconds} since the first refusal gives up.
   */
  static Session afterClaim(Session session) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long now = System.currentTimeMillis();
    long giveUpAt = session.getLong("giveUpAt") == 0 ? now + MAX_RETRY_MS : session.getLong("giveUpAt");
    session = session.set("giveUpAt", giveUpAt);
    if (!session.contains("status")) {
      return session.set("done", now > giveUpAt).set("waitMs", 2_000L + random.nextLong(1_000));
    }
    int code = session.getInt("status");
    boolean wait = code == 429 || code == 503 || code == 425;
    long retryAfterMs = 1000L * (session.contains("retryAfter") ? Long.parseLong(session.getString("retryAfter")) : 1);
    long jitterMs = random.nextLong(Math.max(500, retryAfterMs / 2));
    return session.set("done", !wait || now > giveUpAt).set("waitMs", wait ? retryAfterMs + jitterMs : 0L);
  }

  static ChainBuilder claim(String name) {
    return exec(session -> session.remove("status").remove("retryAfter")).exec(http(name).post("/api/v1/campaigns/" + CAMPAIGN + "/claims")
        .header("Idempotency-Key", "#{key}")
        .body(StringBody("#{body}")).asJson()
        .check(status().in(202, 403, 409, 410, 425, 429, 503).saveAs("status"))
        .check(header("Retry-After").optional().saveAs("retryAfter"))
        .check(jsonPath("$.ticket").optional().saveAs("ticket"))
        .check(jsonPath("$.status").optional().saveAs("claimState")));
  }

  /** The page as it opens: the campaign's answer (the rules, the shops and what they have left). */
  static ChainBuilder openPage() {
    return exec(http("campaign page").get("/api/v1/campaigns/" + CAMPAIGN).check(status().is(200)));
  }

  /**
   * As browsers connect: each citizen its own connections (at most 6 to the host, one of them
   * held by the event stream), closed when the citizen is done.
   */
  static HttpProtocolBuilder protocol() {
    HttpProtocolBuilder protocol = http.baseUrl(BASE_URL).acceptHeader("application/json").maxConnectionsPerHost(6);
    // citizens who look again now and then hold no connection meanwhile: 50,000 of their own pass
    // this machine's limit of open files for the injector, so they share a pool
    return PREQUEUE_POLL_SECONDS > 0 ? protocol.shareConnections() : protocol;
  }

  /** The arrivals of this injector: nothing until the opening, a spike, then the rest of the minute. */
  static OpenInjectionStep[] arrivals() {
    if (PREQUEUE_SECONDS > 0) {
      return new OpenInjectionStep[] {
          nothingFor(Duration.ofMillis(Math.max(1, Injector.untilStart().minusSeconds(PREQUEUE_SECONDS).toMillis()))),
          rampUsers(USERS).during(Duration.ofSeconds(PREQUEUE_SECONDS))};
    }
    int spike = (int) Math.round(USERS * SPIKE_SHARE);
    int spikeSeconds = Math.max(1, Math.min(SPIKE_SECONDS, SECONDS - 1));
    return new OpenInjectionStep[] {
        nothingFor(Injector.untilStart().plusMillis(1)),
        rampUsers(spike).during(Duration.ofSeconds(spikeSeconds)),
        rampUsers(USERS - spike).during(Duration.ofSeconds(Math.max(1, SECONDS - spikeSeconds)))};
  }

  /** Sends the claim until it has an answer that is not "wait": as the page does, retries on Retry-After. */
  static final ChainBuilder CLAIM_UNTIL_ANSWERED = asLongAs(session -> !session.getBoolean("done")).on(
          claim("claim")
              .exec(LaunchMinute::afterClaim)
              .pause(session -> Duration.ofMillis(session.getLong("waitMs"))))
      .doIf(session -> session.getBoolean("twice") && session.contains("ticket")).then(
          claim("claim again (same key)"));

  /**
   * Follows a ticket, if the claim got one, as the page does: its event stream until a final
   * status (at most {@code maxWaitSeconds}), then the stream closed; if the stream gave no final
   * status, polling every 0.5-1.5 s.
   */
  static final ChainBuilder FOLLOW_TICKET = doIf(session -> session.contains("ticket") && !prequeuedPolling(session)).then(
      exec(sse("ticket events").sseName("events").get("/api/v1/claims/#{ticket}/events")
              .await(Duration.ofSeconds(MAX_WAIT_SECONDS)).on(
                  sse.checkMessage("final status").matching(substring("queued").notExists())
                      .check(jsonPath("$.data").saveAs("finalEvent"))))
          .exec(sse("close events").sseName("events").close())
          .exec(session -> session.set("final", session.contains("finalEvent")))
          .asLongAs(session -> !session.getBoolean("final") && session.getInt("polls") < MAX_POLLS).on(
              pause(Duration.ofMillis(500), Duration.ofMillis(1500))
                  .exec(http("ticket status").get("/api/v1/claims/#{ticket}")
                      .check(status().is(200))
                      .check(jsonPath("$.status").saveAs("claimStatus")))
                  .exec(session -> session.set("final", isFinal(session))
                      .set("polls", session.getInt("polls") + 1))))
      .doIf(LaunchMinute::prequeuedPolling).then(
          asLongAs(session -> !session.getBoolean("final") && session.getInt("polls") < MAX_POLLS).on(
              pause(Duration.ofSeconds(PREQUEUE_POLL_SECONDS), Duration.ofMillis(1500L * Math.max(1, PREQUEUE_POLL_SECONDS)))
                  .exec(http("ticket status").get("/api/v1/claims/#{ticket}")
                      .check(status().is(200))
                      .check(jsonPath("$.status").saveAs("claimStatus")))
                  .exec(session -> session.set("final", isFinal(session))
                      .set("polls", session.getInt("polls") + 1))));

  /** Whether the status read last is final (no status read: not yet). */
  static boolean isFinal(Session session) {
    return session.contains("claimStatus") && !session.getString("claimStatus").endsWith("queued");
  }

  /** A prequeued claim followed by looking again now and then ({@code prequeuePollSeconds}). */
  static boolean prequeuedPolling(Session session) {
    return PREQUEUE_POLL_SECONDS > 0 && session.contains("ticket") && session.contains("claimState")
        && "prequeued".equals(session.getString("claimState"));
  }

  static final ScenarioBuilder CITIZENS = scenario("launch minute")
      .exec(LaunchMinute::newCitizen)
      .exec(openPage())
      .pause(session -> Duration.ofMillis(session.getLong("formMs")))
      .exec(CLAIM_UNTIL_ANSWERED)
      .exec(FOLLOW_TICKET);

  {
    setUp(CITIZENS.injectOpen(arrivals()))
        .protocols(protocol())
        // in a pre-queue the event stream's final status comes at the draw, by design: the
        // requests a citizen waits on are timed instead
        .assertions(PREQUEUE_SECONDS > 0 ? Injector.assertions("campaign page", "claim") : Injector.assertions());
  }
}
