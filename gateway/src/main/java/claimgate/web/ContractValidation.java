package claimgate.web;

import io.vertx.core.Handler;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import io.vertx.ext.web.RoutingContext;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.Location;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import java.util.ArrayList;
import java.util.List;

/**
 * Validates a request against its operation in the OpenAPI contract, with the library's own
 * JSON-Schema validators built ONCE at start. The OpenAPI router builds a new validator, and
 * dereferences the schema, for every parameter of every request (eclipse-vertx/vertx-json-schema
 * #121); on the claim route that was half of the gateway's CPU. Routes using this handler turn
 * the router's own validation off.
 */
public final class ContractValidation implements Handler<RoutingContext> {

  private static final String VALIDATED_BODY = "claimgate.validatedBody";
  /**
   * Strict JSON: a key given twice, trailing content or invalid UTF-8 is malformed, so that no
   * two readers of a body can see different requests in it. Jackson's stream limits (nesting
   * depth 1,000, number length 1,000) bound deep and huge input.
   */
  private static final ObjectMapper STRICT_JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private record ParameterCheck(String name, Location in, boolean required, Validator validator) {}

  /**
   * Reads a route's small body straight into its record, exactly as the contract's schema would
   * judge it (a test of each such reader holds it to the schema's verdict), instead of a
   * JSON-Schema run per request.
   */
  @FunctionalInterface
  public interface LeanBody {
    /** @throws IllegalArgumentException when the body breaks the contract; the message says where */
    Object read(byte[] body);
  }

  private final List<ParameterCheck> parameters = new ArrayList<>();
  private final Validator body;
  private final LeanBody lean;
  private final boolean bodyRequired;

  private ContractValidation(OpenAPIContract contract, Operation operation, LeanBody lean) {
    SchemaRepository schemas = contract.getSchemaRepository();
    for (Parameter p : operation.getParameters()) {
      parameters.add(new ParameterCheck(p.getName(), p.getIn(), p.isRequired(), schemas.validator(p.getSchema())));
    }
    MediaType json = operation.getRequestBody() == null ? null
        : operation.getRequestBody().getContent().get("application/json");
    this.body = json == null ? null : schemas.validator(json.getSchema());
    this.lean = lean;
    this.bodyRequired = operation.getRequestBody() != null && operation.getRequestBody().isRequired();
  }

  public static ContractValidation of(OpenAPIContract contract, String operationId) {
    return new ContractValidation(contract, contract.operation(operationId), null);
  }

  /** Checks the parameters against the contract and reads the body with {@code lean}. */
  public static ContractValidation of(OpenAPIContract contract, String operationId, LeanBody lean) {
    return new ContractValidation(contract, contract.operation(operationId), lean);
  }

  @Override
  public void handle(RoutingContext ctx) {
    for (ParameterCheck p : parameters) {
      String value;
      try {
        value = p.in() == Location.PATH ? ctx.pathParam(p.name())
            : p.in() == Location.HEADER ? ctx.request().getHeader(p.name())
            : ctx.request().getParam(p.name());
      } catch (IllegalArgumentException malformed) {
        // the query string's %-escapes do not decode
        ctx.fail(new ApiError(400, "invalid_request", "the query string is not valid: " + malformed.getMessage()));
        return;
      }
      if (value != null && value.indexOf('\0') >= 0) {
        ctx.fail(new ApiError(400, "invalid_request", p.name() + " contains a NUL character"));
        return;
      }
      if (value == null) {
        if (p.required()) {
          ctx.fail(new ApiError(400, "invalid_request", p.name() + " is required"));
          return;
        }
        continue;
      }
      OutputUnit result = p.validator().validate(value);
      if (!result.getValid()) {
        ctx.fail(new ApiError(400, "invalid_request", p.name() + ": " + Failures.describe(result, "value")));
        return;
      }
    }
    if (body != null) {
      validateBody(ctx);
      return;
    }
    ctx.next();
  }

  private void validateBody(RoutingContext ctx) {
    if (ctx.body().isEmpty() && !bodyRequired) {
      ctx.next();
      return;
    }
    String contentType = ctx.request().getHeader("Content-Type");
    if (contentType == null || !contentType.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
      ctx.fail(new ApiError(415, "unsupported_media_type", "send the body as application/json"));
      return;
    }
    if (ctx.body().isEmpty()) {
      ctx.fail(new ApiError(400, "invalid_request", "body is required"));
      return;
    }
    if (lean != null) {
      Object read;
      try {
        read = lean.read(ctx.body().buffer().getBytes());
      } catch (IllegalArgumentException invalid) {
        ctx.fail(new ApiError(400, "invalid_request", invalid.getMessage()));
        return;
      }
      ctx.put(VALIDATED_BODY, read);
      ctx.next();
      return;
    }
    Object json;
    try {
      json = wrap(STRICT_JSON.readValue(ctx.body().buffer().getBytes(), Object.class));
    } catch (IOException e) {
      ctx.fail(new ApiError(400, "invalid_request", "body is not valid JSON"
          + (e.getMessage() != null && e.getMessage().startsWith("Duplicate field") ? ": a field is given twice" : "")));
      return;
    }
    String nul = nulAt(json, "body");
    if (nul != null) {
      // no text stored anywhere may hold one (PostgreSQL refuses it), and no identifier means one
      ctx.fail(new ApiError(400, "invalid_request", nul + " contains a NUL character"));
      return;
    }
    OutputUnit result = body.validate(json);
    if (!result.getValid()) {
      ctx.fail(new ApiError(400, "invalid_request", Failures.describe(result, "body")));
      return;
    }
    ctx.put(VALIDATED_BODY, json);
    ctx.next();
  }

  /** Where a NUL character is in a decoded JSON value (a key or a string), or null. */
  public static String nulAt(Object json, String path) {
    if (json instanceof String text) {
      return text.indexOf('\0') >= 0 ? path : null;
    }
    if (json instanceof JsonObject object) {
      for (Map.Entry<String, Object> field : object) {
        String found = field.getKey().indexOf('\0') >= 0 ? path
            : nulAt(field.getValue(), path + "." + field.getKey());
        if (found != null) {
          return found;
        }
      }
    } else if (json instanceof JsonArray array) {
      for (int i = 0; i < array.size(); i++) {
        String found = nulAt(array.getValue(i), path + "[" + i + "]");
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  @SuppressWarnings("unchecked")
  private static Object wrap(Object decoded) {
    if (decoded instanceof Map<?, ?> map) {
      return new JsonObject((Map<String, Object>) map);
    }
    if (decoded instanceof List<?> list) {
      return new JsonArray((List<Object>) list);
    }
    return decoded;
  }

  /** The body as decoded and validated here, so a handler does not decode it again; null when none was sent. */
  public static JsonObject validatedBody(RoutingContext ctx) {
    return ctx.get(VALIDATED_BODY);
  }

  /** The body as a {@link LeanBody} read it. */
  public static <T> T leanBody(RoutingContext ctx, Class<T> type) {
    return type.cast(ctx.get(VALIDATED_BODY));
  }
}
