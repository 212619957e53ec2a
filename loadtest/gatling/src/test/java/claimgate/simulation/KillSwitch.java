package claimgate.simulation;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;

/**
 * The launch minute with an operator who pauses admission at {@code pauseAt} seconds and resumes
 * it at {@code resumeAt}: citizens who meet the pause wait on the page (503 with Retry-After) and
 * are admitted after the resume. The invariant check run after it verifies that no claim was
 * admitted while paused.
 *
 * <pre>
 *   SIMULATION=KillSwitch loadtest/launch-minute [-Dusers=20000 -Dseconds=60 -DpauseAt=20 -DresumeAt=40]
 * </pre>
 */
public class KillSwitch extends Simulation {

  static final int PAUSE_AT = Integer.getInteger("pauseAt", 20);
  static final int RESUME_AT = Integer.getInteger("resumeAt", 40);
  static final String TOKEN = System.getProperty("operatorToken", "");

  static final ScenarioBuilder OPERATOR = scenario("operator")
      .pause(Duration.ofSeconds(PAUSE_AT))
      .exec(http("pause").post("/admin/v1/campaigns/" + LaunchMinute.CAMPAIGN + "/pause")
          .header("Authorization", "Bearer " + TOKEN)
          .body(StringBody("{\"reason\":\"kill-switch simulation\"}")).asJson()
          .check(status().is(200)))
      .pause(Duration.ofSeconds(RESUME_AT - PAUSE_AT))
      .exec(http("resume").post("/admin/v1/campaigns/" + LaunchMinute.CAMPAIGN + "/resume")
          .header("Authorization", "Bearer " + TOKEN)
          .check(status().is(200)));

  {
    setUp(LaunchMinute.CITIZENS.injectOpen(LaunchMinute.arrivals()), OPERATOR.injectOpen(atOnceUsers(1)))
        .protocols(LaunchMinute.protocol())
        .assertions(
            global().failedRequests().count().is(0L),
            global().successfulRequests().percent().is(100.0));
  }
}
