package claimgate.simulation;

import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The airline's apology codes (profile {@code airline}): a code for the passengers of the
 * cancelled flights on an eligibility list by tier, a page everybody hears of, and most visitors
 * not on the list (or below its tier). Every visitor loads the page and the campaign, claims,
 * follows the ticket, then reloads the page {@code 1..maxReloads} times to be sure. Not eligible
 * (403), already holding one (409) and sold out (410) are answers, not failures; the page and the
 * campaign must answer 200 however many reload: the airline's page took the whole website down.
 *
 * <p>Passengers are {@code P000000}..{@code P(passengers-1)} with tier {@code 1 + n % 3} (the list
 * in {@code loadtest/campaigns/airline-passengers.csv}); each injector takes its own stride of them.
 *
 * <pre>
 *   loadtest/launch-minute --profile airline [-Dusers=20000 -Dseconds=60 -DlistedShare=0.25]
 * </pre>
 */
public class EligibilityRush extends Simulation {

  static final int USERS = Injector.share(Integer.getInteger("users", 20_000));
  static final int SECONDS = Integer.getInteger("seconds", 60);
  static final int PASSENGERS = Integer.getInteger("passengers", 5_000);
  static final double LISTED_SHARE = Double.parseDouble(System.getProperty("listedShare", "0.25"));
  static final int MAX_RELOADS = Integer.getInteger("maxReloads", 4);

  /** A visitor: a passenger of this injector's stride of the list, or someone who is not on it. */
  static Session newVisitor(Session session) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    String id;
    if (random.nextDouble() < LISTED_SHARE) {
      int strides = Math.max(1, (PASSENGERS - Injector.INDEX + Injector.COUNT - 1) / Injector.COUNT);
      id = String.format("P%06d", Injector.INDEX + Injector.COUNT * random.nextInt(strides));
    } else {
      id = Injector.citizenId("visitor", UUID.randomUUID().toString());
    }
    return LaunchMinute.newCitizen(session, id).set("reloads", 1 + random.nextInt(MAX_RELOADS));
  }

  static final ChainBuilder LOAD_PAGE = exec(http("page").get("/").header("Accept", "text/html").check(status().is(200)))
      .exec(LaunchMinute.openPage());

  static final ScenarioBuilder VISITORS = scenario("apology codes")
      .exec(EligibilityRush::newVisitor)
      .exec(LOAD_PAGE)
      .pause(Duration.ofMillis(500), Duration.ofMillis(3000))
      .exec(LaunchMinute.CLAIM_UNTIL_ANSWERED)
      .exec(LaunchMinute.FOLLOW_TICKET)
      .repeat(session -> session.getInt("reloads")).on(
          exec(LOAD_PAGE).pause(Duration.ofMillis(1000), Duration.ofMillis(3000)));

  {
    setUp(VISITORS.injectOpen(
            nothingFor(Injector.untilStart().plusMillis(1)),
            rampUsers(USERS).during(Duration.ofSeconds(SECONDS))))
        .protocols(LaunchMinute.protocol())
        .assertions(Injector.assertions());
  }
}
