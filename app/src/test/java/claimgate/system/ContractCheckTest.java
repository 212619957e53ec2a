package claimgate.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import claimgate.testkit.ApiClient;
import claimgate.testkit.ContractCheck;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The test kit checks every answer against the contract; this proves the check bites: an answer
 * the contract does not describe for a route fails, one it does passes.
 */
class ContractCheckTest {

  @Test
  @DisplayName("an answer that does not match its route's schema, or a status the route does not list, fails the test")
  void theCheckBites() {
    ContractCheck check = ContractCheck.of().orElseThrow();
    // a real answer of another route ({"status":"up"}), presented as the campaign list's (an array)
    ApiClient.Reply health = LiveStack.get("/health/live");
    assertThatThrownBy(() -> check.check("GET", "/api/v1/campaigns", health))
        .isInstanceOf(AssertionError.class).hasMessageContaining("listCampaigns");
    // a 202 body presented as a claim status is fine; an error body as a 200 of the list is not
    ApiClient.Reply list = LiveStack.get("/api/v1/campaigns");
    check.check("GET", "/api/v1/campaigns", list);
    ApiClient.Reply unknown = LiveStack.get("/api/v1/campaigns/no-such-campaign");
    assertThat(unknown.status()).isEqualTo(404);
    check.check("GET", "/api/v1/campaigns/no-such-campaign", unknown);
    assertThatThrownBy(() -> check.check("GET", "/api/v1/campaigns/other", new ApiClient.Reply(200, unknown.raw())))
        .isInstanceOf(AssertionError.class).hasMessageContaining("getCampaign");
    // text answers: the metrics' text/plain is listed, the same text as HTML is not, nor as a 201
    check.check("GET", "/metrics", 200, "text/plain; version=0.0.4; charset=utf-8", "# HELP x\n");
    assertThatThrownBy(() -> check.check("GET", "/metrics", 200, "text/html", "<p>x</p>"))
        .isInstanceOf(AssertionError.class).hasMessageContaining("metrics");
    assertThatThrownBy(() -> check.check("GET", "/health/live", 200, "application/json", "{\"status\":\"down\"}"))
        .isInstanceOf(AssertionError.class).hasMessageContaining("healthLive");
    // a status the operation does not list by number fails, though `default` describes every error body
    String error = "{\"error\":\"unknown_campaign\",\"message\":\"no campaign x\"}";
    check.check("GET", "/api/v1/campaigns/x", 404, "application/json", error);
    assertThatThrownBy(() -> check.check("GET", "/api/v1/campaigns", 404, "application/json", error))
        .isInstanceOf(AssertionError.class).hasMessageContaining("status 404 is not listed");
    assertThatThrownBy(() -> check.check("GET", "/api/v1/campaigns/x", 500, "application/json", error))
        .isInstanceOf(AssertionError.class).hasMessageContaining("status 500 is not listed");
  }
}
