package claimgate.gateway;

import static claimgate.gateway.GatewayFixture.claimBody;
import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.testkit.Campaigns;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.json.schema.JsonSchema;
import io.vertx.junit5.VertxExtension;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Requests made from the contract itself, not from hand-picked cases: for every operation it
 * declares, bodies built from the operation's own schema (each property given valid, wrong-typed,
 * oversized, hostile and missing values, unknown properties added), path and query values
 * mutated, and a third of the requests sent with a hostile header.
 * Whatever the gateway answers must be in the contract (the fixture's client checks every answer
 * against it) and never a 5xx, but the 503 {@code paused} of a pause the fuzzing itself sent.
 */
@ExtendWith(VertxExtension.class)
class ContractFuzzTest {

  static final int PER_OPERATION = 150;

  @Test
  @DisplayName("every operation of the contract, 150 requests each built from its schemas: every answer in the contract, none a 5xx")
  void fuzzFromTheContract(Vertx vertx) {
    GatewayFixture gw = GatewayFixture.start(vertx);
    Campaign c = gw.apply(Campaigns.open(Campaigns.uniqueId("cfuzz"), 9, 3, 50, 50));
    String merchantKey = gw.merchantKey(c.id(), "m0");
    String ticket = gw.claim(c.id(), claimBody("fuzz-holder", "m0")).bodyAsJsonObject().getString("ticket");
    OpenAPIContract contract = OpenAPIContract.from(vertx, "openapi/claimgate.yaml").await();
    SplittableRandom random = new SplittableRandom(20261206);
    Map<String, Map<Integer, Integer>> statuses = new TreeMap<>();
    for (Operation operation : contract.operations()) {
      if (operation.getOperationId().equals("claimEvents") || operation.getOperationId().equals("campaignLive")) {
        continue; // event streams stay open; their refusals are in LimitsTest
      }
      Map<Integer, Integer> seen = statuses.computeIfAbsent(operation.getOperationId(), id -> new TreeMap<>());
      JsonObject schema = bodySchema(operation);
      for (int i = 0; i < PER_OPERATION; i++) {
        String path = path(operation.getOpenAPIPath(), c.id(), ticket, random, i % 3 == 0) + query(operation, random);
        HttpRequest<Buffer> request = gw.client.request(operation.getHttpMethod(), path);
        String credential = String.valueOf(operation.getExtensions().get("x-credential"));
        if (credential.equals("operatorToken")) {
          request.bearerTokenAuthentication(GatewayFixture.OPERATOR_TOKEN);
        } else if (credential.equals("merchantKey")) {
          request.bearerTokenAuthentication(merchantKey);
        }
        if (schema != null) {
          request.putHeader("Content-Type", "application/json");
        }
        if (random.nextInt(3) == 0) {
          hostileHeader(request, random);
        }
        HttpResponse<Buffer> response = schema == null ? request.send().await()
            : request.sendBuffer(Buffer.buffer(String.valueOf(value(schema, random, 0)))).await();
        seen.merge(response.statusCode(), 1, Integer::sum);
        if (response.statusCode() >= 500) {
          // a pause the fuzzing itself sent is the one 5xx that is right (503 paused, with Retry-After)
          assertThat(response.bodyAsJsonObject().getString("error")).as(operation.getOperationId() + " " + path + " "
              + response.statusCode() + " " + response.bodyAsString()).isEqualTo("paused");
        }
      }
    }
    assertThat(statuses.keySet()).hasSizeGreaterThan(15);
    // every operation that takes input (a parameter, a body or a credential) refused some of it
    statuses.forEach((operation, byStatus) -> {
      if (!List.of("listCampaigns", "healthLive", "healthReady", "contract").contains(operation)) {
        assertThat(byStatus.keySet()).as("%s: %s", operation, byStatus).anyMatch(s -> s >= 400);
      }
    });
    assertThat(gw.get("/health/live").statusCode()).isEqualTo(200);
  }

  private static JsonObject bodySchema(Operation operation) {
    if (operation.getRequestBody() == null) {
      return null;
    }
    MediaType json = operation.getRequestBody().getContent().get("application/json");
    return json == null ? null : resolved(json.getSchema());
  }

  private static JsonObject resolved(JsonSchema schema) {
    JsonObject json = new JsonObject();
    for (String field : schema.fieldNames()) {
      json.put(field, (Object) schema.get(field));
    }
    return json;
  }

  /** The path with its parameters: real values, or (sometimes) hostile ones. */
  private static String path(String template, String campaignId, String ticket, SplittableRandom random, boolean hostile) {
    String path = template.replace("{campaignId}", hostile ? hostile(random) : campaignId)
        .replace("{ticket}", hostile ? hostile(random) : ticket)
        .replace("{merchantId}", hostile ? hostile(random) : "m0")
        .replace("{code}", hostile ? hostile(random) : "FUZZ-0000-0000-0000-0000-0000");
    return path.replace(" ", "%20");
  }

  /** Query parameters the operation declares, each given a value half the time, often a hostile one. */
  private static String query(Operation operation, SplittableRandom random) {
    StringBuilder query = new StringBuilder();
    for (io.vertx.openapi.contract.Parameter p : operation.getParameters()) {
      if (p.getIn() == io.vertx.openapi.contract.Location.QUERY && random.nextBoolean()) {
        query.append(query.length() == 0 ? '?' : '&').append(p.getName()).append('=')
            .append(random.nextBoolean() ? hostile(random) : Integer.toString(random.nextInt(-5, 500)));
      }
    }
    return query.toString();
  }

  /**
   * Headers a client may send wrong: a credential of another scheme, empty or oversized; a body
   * type the route does not take (a form with a broken escape among them); a forwarded-for chain
   * of garbage; odd idempotency keys; accept, encoding and range headers no route uses.
   */
  private static void hostileHeader(HttpRequest<Buffer> request, SplittableRandom random) {
    switch (random.nextInt(7)) {
      case 0 -> request.putHeader("Authorization", List.of("Bearer", "Bearer ", "Basic Zm9vOmJhcg==", "bearer x y",
          "Bearer " + "k".repeat(7_000), "Bearer cgm_\u00e9t\u00e9", "Token abc").get(random.nextInt(7)));
      case 1 -> request.putHeader("Content-Type", List.of("text/plain", "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/json;;;", "",
          "application/xml").get(random.nextInt(7)));
      case 2 -> request.putHeader("X-Forwarded-For", List.of("garbage", "1.2.3.4, ::1, 999.999.1.1", ",,,",
          "10.0.0.1".repeat(500), "unknown").get(random.nextInt(5)));
      case 3 -> request.putHeader("Idempotency-Key", List.of(" ", "k".repeat(300), "a b", "\u00e9", "{}").get(random.nextInt(5)));
      case 4 -> request.putHeader("Accept", List.of("text/html", "*/*;q=abc", "application/xml", "").get(random.nextInt(4)));
      case 5 -> request.putHeader("Accept-Encoding", List.of("gzip", "br;q=2", "identity;q=0", "x").get(random.nextInt(4)));
      default -> request.putHeader("Range", List.of("bytes=0-1", "bytes=-5", "lines=1").get(random.nextInt(3)));
    }
  }

  private static final List<String> HOSTILE = List.of("%00", "..%2F..", "%E2%80%8B", "a".repeat(300), "%7B%7D",
      "%C3%A9t%C3%A9", "-", "0", "%25", "%F0%9F%98%80", "x%0Ay", "UPPER");

  private static String hostile(SplittableRandom random) {
    return HOSTILE.get(random.nextInt(HOSTILE.size()));
  }

  /** A value for a schema: mostly of its type and bounds, often not (wrong type, too long, hostile text, null). */
  private static Object value(JsonObject schema, SplittableRandom random, int depth) {
    int dice = random.nextInt(10);
    if (depth > 3 || dice == 0) {
      Object[] odd = {null, 42, -1, 1e308, "", true, new JsonArray(), new JsonObject()};
      return odd[random.nextInt(odd.length)];
    }
    Object type = schema.getValue("type");
    if (schema.containsKey("enum") && dice > 3) {
      JsonArray options = schema.getJsonArray("enum");
      return options.getValue(random.nextInt(options.size()));
    }
    if ("object".equals(type) || schema.containsKey("properties")) {
      JsonObject properties = schema.getJsonObject("properties", new JsonObject());
      JsonObject object = new JsonObject();
      for (String name : properties.fieldNames()) {
        if (random.nextInt(4) != 0) {
          Object property = properties.getValue(name);
          object.put(name, value(property instanceof JsonObject p ? p : new JsonObject(), random, depth + 1));
        }
      }
      if (random.nextInt(8) == 0) {
        object.put("unexpected" + random.nextInt(100), "x");
      }
      return object;
    }
    if ("array".equals(type)) {
      JsonArray array = new JsonArray();
      Object items = schema.getValue("items");
      int n = random.nextInt(10) == 0 ? 2_000 : random.nextInt(4);
      for (int i = 0; i < n; i++) {
        array.add(value(items instanceof JsonObject o ? o : new JsonObject(), random, depth + 1));
      }
      return array;
    }
    if ("integer".equals(type) || "number".equals(type)) {
      return List.of(0, 1, 7, -5, Integer.MAX_VALUE, Long.MAX_VALUE, 1.5, 1_000_000).get(random.nextInt(8));
    }
    List<String> texts = new ArrayList<>(List.of("m0", "12345678Z", "fraud", "a\u0000b", "x".repeat(5_000), "ǅungla",
        "‮evil", "line\nbreak", "<script>", "PALMA-0000-0000-0000-0000-0000", "2027-04-12T10:00:00+02:00", " "));
    return texts.get(random.nextInt(texts.size()));
  }
}
