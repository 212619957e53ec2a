package claimgate.system;

import claimgate.cli.Stack;

import claimgate.testkit.ApiClient;


import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignFiles;
import claimgate.settings.Settings;
import claimgate.store.EmbeddedServers;
import claimgate.testkit.Campaigns;
import claimgate.testkit.TestServers;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Identity {@code jwt}: a claim needs a token signed by the configured key; the citizen is its
 * {@code sub}, and its {@code tier} decides eligibility, at admission and again in the
 * allocator (an airline's voucher for silver members and above). Guards invariant 6's
 * one-per-member side: the body cannot claim for someone else.
 */
class JwtIdentityTest {

  static Vertx vertx;
  static Stack stack;
  static String base;
  static JWTAuth issuer;
  static JWTAuth stranger;
  static Campaign campaign;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    vertx = Vertx.vertx();
    KeyPair keys = rsa();
    issuer = signer(keys);
    stranger = signer(rsa());
    int port = EmbeddedServers.freePort();
    Settings settings = Settings.local(port, dir)
        .withServers(TestServers.redisUrl(), TestServers.get().postgresUrl())
            .withCodeKey(TestServers.CODE_KEY)
        .withOperatorToken("cgo_jwt_test")
        .withStatusPerAddressPerSecond(100_000)
        .withJwt(pem("PUBLIC KEY", keys.getPublic().getEncoded()));
    stack = Stack.start(settings, Optional.empty(), false, Stack.Role.GATEWAY, Stack.Role.ALLOCATOR);
    base = "http://127.0.0.1:" + port;
    Campaign open = Campaigns.open(Campaigns.uniqueId("airline"), 1, 1, 100, 100);
    campaign = new Campaign(open.id(), open.name(), open.currency(), open.voucherValue(), open.validDays(),
        open.limits(), new Campaign.Eligibility(null, 2, null), open.admission(), open.rounds(), open.merchants());
    HttpResponse<String> created = send("PUT", "/admin/v1/campaigns/" + campaign.id(), "cgo_jwt_test",
        new JsonObject(CampaignFiles.toJson(campaign)));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
  }

  @AfterAll
  static void stop() {
    stack.close();
    vertx.close().await();
  }

  @Test
  @DisplayName("no token, a malformed one or one signed by another key: 401 unauthenticated")
  void tokenRequired() {
    JsonObject body = new JsonObject().put("citizenId", "anyone").put("merchantIds", new JsonArray().add("m0"));
    for (String token : new String[] {null, "not-a-jwt", token(stranger, "member-1", 3)}) {
      HttpResponse<String> r = send("POST", claims(), token, body);
      assertThat(r.statusCode()).isEqualTo(401);
      assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("unauthenticated");
    }
  }

  @Test
  @DisplayName("the token's sub is the citizen whatever the body says; a tier at or above the minimum is confirmed")
  void subAndTier() throws Exception {
    HttpResponse<String> r = send("POST", claims(), token(issuer, "gold-member", 3),
        new JsonObject().put("citizenId", "someone-else").put("merchantIds", new JsonArray().add("m0")));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    String ticket = new JsonObject(r.body()).getString("ticket");
    JsonObject status = new ApiClient(base, null).awaitFinal(ticket);
    assertThat(status.getString("status")).as(status.encode()).isEqualTo("confirmed");
    // naming another citizen in the body changes nothing: it is the same member's same claim
    HttpResponse<String> repeat = send("POST", claims(), token(issuer, "gold-member", 3),
        new JsonObject().put("citizenId", "a-third-person").put("merchantIds", new JsonArray().add("m0")));
    assertThat(repeat.statusCode()).isEqualTo(202);
    assertThat(new JsonObject(repeat.body()).getString("ticket")).isEqualTo(ticket);
    // limit 1 per citizen: another claim of the same member is refused
    HttpResponse<String> again = send("POST", claims(), token(issuer, "gold-member", 3),
        new JsonObject().put("citizenId", "a-third-person").put("merchantIds", new JsonArray().add("m1")));
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(new JsonObject(again.body()).getString("error")).isEqualTo("limit_reached");
    // and the body alone, without citizenId, is enough
    HttpResponse<String> noId = send("POST", claims(), token(issuer, "silver-member", 2),
        new JsonObject().put("merchantIds", new JsonArray().add("m0")));
    assertThat(noId.statusCode()).as(noId.body()).isEqualTo(202);
    assertThat(new ApiClient(base, null).awaitFinal(new JsonObject(noId.body()).getString("ticket")).getString("status")).isEqualTo("confirmed");
  }

  @Test
  @DisplayName("below the minimum tier, or no tier and not on the list: 403 not_eligible")
  void belowTier() {
    for (String token : List.of(token(issuer, "bronze-member", 1), token(issuer, "no-tier", null))) {
      HttpResponse<String> r = send("POST", claims(), token,
          new JsonObject().put("merchantIds", new JsonArray().add("m0")));
      assertThat(r.statusCode()).isEqualTo(403);
      assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("not_eligible");
    }
  }

  static String claims() {
    return "/api/v1/campaigns/" + campaign.id() + "/claims";
  }

  /** Through the test kit's client, which checks every answer against the contract. */
  static HttpResponse<String> send(String method, String path, String bearer, JsonObject body) {
    return new ApiClient(base, null).send(method, path, bearer, body).raw();
  }

  static String token(JWTAuth signer, String sub, Integer tier) {
    JsonObject claims = new JsonObject().put("sub", sub);
    if (tier != null) {
      claims.put("tier", tier);
    }
    return signer.generateToken(claims, new JWTOptions().setAlgorithm("RS256").setExpiresInMinutes(5));
  }

  static KeyPair rsa() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    return generator.generateKeyPair();
  }

  static JWTAuth signer(KeyPair keys) {
    return JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("RS256")
        .setBuffer(pem("PRIVATE KEY", keys.getPrivate().getEncoded()))));
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
