package claimgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.admission.ClaimBody;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.OpenAPIContract;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The claim route parses its body with a strict streaming parser instead of the contract's
 * JSON-Schema validator. This proves the two agree: bodies generated from the schema's own
 * rules (each required field present or missing, each bound met or broken, each pattern kept or
 * broken by one character, extra fields, wrong types, duplicates) are judged by both, and the
 * verdict must be the same for every one.
 */
class ClaimBodyContractTest {

  static Vertx vertx;
  static Validator contract;
  static final ObjectMapper STRICT_JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  @BeforeContainer
  static void start() {
    vertx = Vertx.vertx();
    OpenAPIContract openApi = OpenAPIContract.from(vertx, "openapi/claimgate.yaml").await();
    contract = openApi.getSchemaRepository().validator(openApi.operation("admitClaim").getRequestBody()
        .getContent().get("application/json").getSchema());
  }

  @AfterContainer
  static void stop() {
    vertx.close().await();
  }

  /** Strings around the contract's rules: valid, empty, at and past the bounds, one bad character. */
  static Arbitrary<Object> text(String allowed, int maxLength) {
    Arbitrary<String> valid = Arbitraries.strings().withChars(allowed.toCharArray()).ofMinLength(1).ofMaxLength(maxLength);
    return Arbitraries.oneOf(
        valid.map(s -> (Object) s),
        Arbitraries.just((Object) ""),
        Arbitraries.strings().withChars(allowed.toCharArray()).ofLength(maxLength).map(s -> (Object) s),
        Arbitraries.strings().withChars(allowed.toCharArray()).ofLength(maxLength + 1).map(s -> (Object) s),
        Combinators.combine(valid, Arbitraries.of(" ", "\n", "\t", "\u0000", "é", "/", "'", "\"", "\\", "<", "ｚ", "\u200b"))
            .as((s, bad) -> (Object) (s.substring(0, s.length() / 2) + bad + s.substring(s.length() / 2))),
        // a bad character at either end: a pattern must match the whole string ("x\n" is not "x")
        Combinators.combine(valid, Arbitraries.of("\n", "\r\n", " ", "\u0000", "\u2028"), Arbitraries.of(true, false))
            .as((s, bad, atEnd) -> (Object) (atEnd ? s + bad : bad + s)),
        Arbitraries.of(1, -1, 0.5, true, false).map(v -> (Object) v),
        Arbitraries.just(null),
        Arbitraries.just((Object) new JsonArray().add("x")),
        Arbitraries.just((Object) new JsonObject().put("a", 1)));
  }

  static final String CITIZEN_CHARS = "abcxyzABCXYZ0189._@:+-";
  static final String MERCHANT_CHARS = "abmMXZ0189_-";

  @Provide
  Arbitrary<String> bodies() {
    Arbitrary<Object> merchantIds = Arbitraries.oneOf(
        text(MERCHANT_CHARS, 40).list().ofMinSize(0).ofMaxSize(7).map(l -> (Object) new JsonArray(l)),
        Arbitraries.of("m1", "m2", "m3").list().ofMinSize(1).ofMaxSize(6).map(l -> (Object) new JsonArray(l)),
        // distinct valid ids, zero to seven of them: around the array's bounds
        Arbitraries.integers().between(0, 99).set().ofMinSize(0).ofMaxSize(7)
            .map(ids -> (Object) new JsonArray(ids.stream().map(i -> "m" + i).toList())),
        text(MERCHANT_CHARS, 40));
    Arbitrary<Map<String, Object>> fields = Combinators.combine(
            Arbitraries.integers().between(0, 2), text(CITIZEN_CHARS, 64),
            Arbitraries.integers().between(0, 3), merchantIds,
            Arbitraries.of("", "extra", "citizenid", "merchantIDs"))
        .as((citizenPresence, citizen, merchantsPresence, merchants, extra) -> {
          Map<String, Object> m = new java.util.LinkedHashMap<>();
          if (citizenPresence > 0) {
            m.put("citizenId", citizen);
          }
          if (merchantsPresence > 0) {
            m.put("merchantIds", merchants);
          }
          if (!extra.isEmpty()) {
            m.put(extra, 1);
          }
          return m;
        });
    return Combinators.combine(fields, Arbitraries.integers().between(0, 9)).as((m, shape) -> {
      String object = new JsonObject(m).encode();
      return switch (shape) {
        case 0 -> object.replaceFirst("\\{", "{\"citizenId\":\"dup\",");
        case 1 -> object + " {}";
        case 2 -> "[" + object + "]";
        default -> object;
      };
    });
  }

  @Property(tries = 3_000)
  void theParserAcceptsExactlyWhatTheContractAccepts(@ForAll("bodies") String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    boolean byContract;
    try {
      Object json = STRICT_JSON.readValue(bytes, Object.class);
      byContract = contract.validate(json instanceof Map<?, ?> map ? new JsonObject(cast(map))
          : json instanceof List<?> list ? new JsonArray(new ArrayList<>(list)) : json).getValid();
    } catch (java.io.IOException malformed) {
      byContract = false;
    }
    boolean byParser;
    try {
      ClaimBody.parse(bytes);
      byParser = true;
    } catch (ClaimBody.Invalid refused) {
      byParser = false;
    }
    assertThat(byParser).as("the parser's verdict on %s (the contract says %s)", body, byContract).isEqualTo(byContract);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cast(Map<?, ?> map) {
    return (Map<String, Object>) map;
  }
}
