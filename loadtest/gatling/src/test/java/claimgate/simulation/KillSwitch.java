package claimgate.simulation;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The restaurants' evening (profile {@code restaurants}): many small contingents, citizens who
 * take a while on the booking form, and an operator who pauses admission at {@code pauseAt}
 * seconds while forms are still open (and resumes at {@code resumeAt}, or never when it is 0).
 * Citizens who send their form into the pause get 503 with Retry-After and wait on the page
 * until they give up. The invariant check run after it shows that no claim was admitted while
 * paused and no contingent was oversold: the ~200 confirmations for contingents already gone
 * cannot happen here.
 *
 * <pre>
 *   loadtest/launch-minute --profile restaurants [-Dusers=4000 -Dseconds=120 -DpauseAt=90 -DresumeAt=0]
 * </pre>
 */
public class KillSwitch extends Simulation {

  static final int PAUSE_AT = Integer.getInteger("pauseAt", 20);
  static final int RESUME_AT = Integer.getInteger("resumeAt", 40);
  static final String TOKEN = Injector.OPERATOR_TOKEN;

  static final ScenarioBuilder OPERATOR = operator();

  private static ScenarioBuilder operator() {
    ScenarioBuilder operator = scenario("operator")
        .pause(Duration.ofSeconds(PAUSE_AT))
        .exec(http("pause").post("/admin/v1/campaigns/" + Injector.CAMPAIGN + "/pause")
            .header("Authorization", "Bearer " + TOKEN)
            .body(StringBody("{\"reason\":\"rehearsal: the operator pauses while forms are open\"}")).asJson()
            .check(status().is(200)));
    if (RESUME_AT > PAUSE_AT) {
      operator = operator.pause(Duration.ofSeconds(RESUME_AT - PAUSE_AT))
          .exec(http("resume").post("/admin/v1/campaigns/" + Injector.CAMPAIGN + "/resume")
              .header("Authorization", "Bearer " + TOKEN)
              .check(status().is(200)));
    }
    return operator;
  }

  {
    List<PopulationBuilder> populations = new ArrayList<>();
    populations.add(LaunchMinute.CITIZENS.injectOpen(LaunchMinute.arrivals()));
    // one operator, in the first injector only
    if (Injector.isFirst()) {
      populations.add(OPERATOR.injectOpen(nothingFor(Injector.untilStart().plusMillis(1)), atOnceUsers(1)));
    }
    setUp(populations)
        .protocols(LaunchMinute.protocol())
        .assertions(Injector.assertions());
  }
}
