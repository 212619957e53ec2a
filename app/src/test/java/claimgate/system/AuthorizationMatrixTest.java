package claimgate.system;

import claimgate.testkit.ApiClient;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.testkit.Campaigns;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every operator and merchant route × no credentials, a wrong one, the other role's, the right
 * one: 401, 401, 403, success. A refusal changes nothing (no audit row) and never echoes the
 * credential it was sent.
 */
class AuthorizationMatrixTest {

  enum Role { OPERATOR, MERCHANT }

  record Call(Role role, String method, String path, JsonObject body, int success) {
    @Override
    public String toString() {
      return method + " " + path.replaceAll("/[a-z]+-[0-9a-f]{8}", "/{id}");
    }
  }

  static Campaign c;
  static String merchantKey;
  static String code;
  static String secondCode;

  @BeforeAll
  static void campaign() {
    c = LiveStack.create(Campaigns.open(Campaigns.uniqueId("authz"), 9, 3, 100, 100));
    code = LiveStack.awaitFinal(LiveStack.claim(c.id(), "authz-holder", "m0").json().getString("ticket"))
        .getJsonObject("voucher").getString("code");
    secondCode = LiveStack.awaitFinal(LiveStack.claim(c.id(), "authz-holder-2", "m0").json().getString("ticket"))
        .getJsonObject("voucher").getString("code");
    merchantKey = LiveStack.merchantKey(c.id(), "m0");
  }

  static Stream<Arguments> routes() {
    String campaign = "/admin/v1/campaigns/" + "{c}";
    List<Call> calls = new ArrayList<>(List.of(
        new Call(Role.OPERATOR, "POST", campaign + "/pause", new JsonObject().put("reason", "matrix"), 200),
        new Call(Role.OPERATOR, "POST", campaign + "/resume", null, 200),
        new Call(Role.OPERATOR, "POST", campaign + "/freeze", null, 200),
        new Call(Role.OPERATOR, "POST", campaign + "/unfreeze", null, 200),
        new Call(Role.OPERATOR, "PUT", campaign + "/admission", new JsonObject().put("ratePerSecond", 1000).put("burst", 1000), 200),
        new Call(Role.OPERATOR, "GET", campaign + "/stats", null, 200),
        new Call(Role.OPERATOR, "GET", campaign + "/check", null, 200),
        new Call(Role.OPERATOR, "POST", campaign + "/merchants/m1/keys", null, 201),
        new Call(Role.OPERATOR, "POST", "/admin/v1/vouchers/revoke", new JsonObject().put("merchantId", "m1").put("campaignId", "{c}").put("reason", "fraud"), 200),
        new Call(Role.OPERATOR, "GET", "/admin/v1/audit", null, 200),
        new Call(Role.OPERATOR, "PUT", campaign, null, 200),
        new Call(Role.MERCHANT, "GET", "/api/v1/vouchers/{code}", null, 200),
        new Call(Role.MERCHANT, "POST", "/api/v1/redemptions/batch",
            new JsonObject().put("items", new JsonArray().add(new JsonObject().put("code", "{code}").put("redeemedAt", "2026-01-01T00:00:00Z"))), 200),
        new Call(Role.MERCHANT, "POST", "/api/v1/redemptions", new JsonObject().put("code", "{second}"), 200),
        // last: the campaign stays paused after it
        new Call(Role.OPERATOR, "POST", campaign + "/archive", null, 200)));
    return calls.stream().map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("routes")
  @DisplayName("none 401, wrong 401, other role 403, right credentials succeed; refusals write no audit row")
  void matrix(Call call) {
    String path = call.path().replace("{c}", c.id()).replace("{code}", code);
    Object body = call.body() == null ? null : new JsonObject(call.body().encode()
        .replace("{c}", c.id()).replace("{code}", code).replace("{second}", secondCode));
    if (call.method().equals("PUT") && call.path().endsWith("{c}")) {
      body = new JsonObject(claimgate.campaign.CampaignFiles.toJson(c));
    }
    String right = call.role() == Role.OPERATOR ? LiveStack.OPERATOR_TOKEN : merchantKey;
    String other = call.role() == Role.OPERATOR ? merchantKey : LiveStack.OPERATOR_TOKEN;
    String wrong = call.role() == Role.OPERATOR ? "cgo_wrong-token" : "cgm_wrong-key";
    int auditBefore = audit();

    for (String[] credential : new String[][] {{null, "401"}, {wrong, "401"}, {other, "403"}}) {
      ApiClient.Reply refused = LiveStack.send(call.method(), path, credential[0], body);
      assertThat(refused.status()).as("%s with %s", call, credential[0]).isEqualTo(Integer.parseInt(credential[1]));
      assertThat(refused.error()).isEqualTo(credential[1].equals("401") ? "unauthenticated" : "forbidden");
      assertThat(refused.raw().body()).doesNotContain(LiveStack.OPERATOR_TOKEN).doesNotContain(merchantKey);
    }
    assertThat(audit()).as("refusals write nothing").isEqualTo(auditBefore);
    ApiClient.Reply ok = LiveStack.send(call.method(), path, right, body);
    assertThat(ok.status()).as("%s: %s", call, ok.raw().body()).isEqualTo(call.success());
  }

  static int audit() {
    return LiveStack.admin("GET", "/admin/v1/audit?campaignId=" + c.id() + "&limit=1000", null).array().size();
  }
}
