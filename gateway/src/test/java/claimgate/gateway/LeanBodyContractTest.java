package claimgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.admission.ClaimBody;
import claimgate.redemption.RedeemBody;
import claimgate.web.ContractValidation;
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
 * The claim and redemption routes parse their bodies with strict streaming parsers instead of
 * the contract's JSON-Schema validator. This proves each agrees with the contract: bodies
 * generated from the schema's own rules (each required field present or missing, each bound met
 * or broken, each pattern kept or broken by one character, extra fields, wrong types,
 * duplicates) are judged by both, and the verdict must be the same for every one. The contract's
 * verdict is the one {@link ContractValidation} gives: strict JSON, no NUL in any text, the schema.
 */
class LeanBodyContractTest {

  static Vertx vertx;
  static Validator claimContract;
  static Validator redeemContract;
  static final ObjectMapper STRICT_JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  @BeforeContainer
  static void start() {
    vertx = Vertx.vertx();
    OpenAPIContract openApi = OpenAPIContract.from(vertx, "openapi/claimgate.yaml").await();
    claimContract = bodySchema(openApi, "admitClaim");
    redeemContract = bodySchema(openApi, "redeem");
  }

  static Validator bodySchema(OpenAPIContract openApi, String operationId) {
    return openApi.getSchemaRepository().validator(openApi.operation(operationId).getRequestBody()
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
  void theClaimParserAcceptsExactlyWhatTheContractAccepts(@ForAll("bodies") String body) {
    sameVerdict(body, claimContract, ClaimBody::parse);
  }

  static final String CODE_CHARS = "ABCDEFGHJKMNPQRSTVWXYZ0123456789-abc";

  @Provide
  Arbitrary<String> redemptions() {
    Arbitrary<Object> code = Arbitraries.oneOf(
        text(CODE_CHARS, 64),
        // characters outside the BMP: the contract counts code points, not UTF-16 units
        Arbitraries.integers().between(0, 66).map(n -> (Object) "\uD83D\uDE00".repeat(n)),
        Arbitraries.integers().between(60, 66).map(n -> (Object) ("A".repeat(n - 1) + "\uD83D\uDE00")));
    Arbitrary<Map<String, Object>> fields = Combinators.combine(Arbitraries.integers().between(0, 3), code,
            Arbitraries.of("", "extra", "Code", "merchantId"))
        .as((presence, value, extra) -> {
          Map<String, Object> m = new java.util.LinkedHashMap<>();
          if (presence > 0) {
            m.put("code", value);
          }
          if (!extra.isEmpty()) {
            m.put(extra, "x");
          }
          return m;
        });
    return Combinators.combine(fields, Arbitraries.integers().between(0, 9)).as((m, shape) -> {
      String object = new JsonObject(m).encode();
      return switch (shape) {
        case 0 -> object.replaceFirst("\\{", "{\"code\":\"dup\",");
        case 1 -> object + " {}";
        case 2 -> "[" + object + "]";
        case 3 -> "\"" + m.getOrDefault("code", "x") + "\"";
        default -> object;
      };
    });
  }

  @Property(tries = 3_000)
  void theRedemptionParserAcceptsExactlyWhatTheContractAccepts(@ForAll("redemptions") String body) {
    sameVerdict(body, redeemContract, RedeemBody::parse);
  }

  /** A lean parser: returns what it read, throws when it refuses. */
  @FunctionalInterface
  interface Parser {
    Object parse(byte[] body) throws Exception;
  }

  static void sameVerdict(String body, Validator contract, Parser parser) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    boolean byParser;
    try {
      parser.parse(bytes);
      byParser = true;
    } catch (Exception refused) {
      byParser = false;
    }
    boolean byContract = byContract(contract, bytes);
    assertThat(byParser).as("the parser's verdict on %s (the contract says %s)", body, byContract).isEqualTo(byContract);
  }

  /** The verdict of {@link ContractValidation} with the library's validator. */
  static boolean byContract(Validator contract, byte[] bytes) {
    try {
      Object json = STRICT_JSON.readValue(bytes, Object.class);
      Object wrapped = json instanceof Map<?, ?> map ? new JsonObject(cast(map))
          : json instanceof List<?> list ? new JsonArray(new ArrayList<>(list)) : json;
      return ContractValidation.nulAt(wrapped, "body") == null && contract.validate(wrapped).getValid();
    } catch (java.io.IOException malformed) {
      return false;
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cast(Map<?, ?> map) {
    return (Map<String, Object>) map;
  }
}
