package claimgate.gateway;

import io.vertx.core.Handler;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
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
final class ContractValidation implements Handler<RoutingContext> {

  private static final String VALIDATED_BODY = "claimgate.validatedBody";

  private record ParameterCheck(String name, Location in, boolean required, Validator validator) {}

  private final List<ParameterCheck> parameters = new ArrayList<>();
  private final Validator body;
  private final boolean bodyRequired;

  private ContractValidation(OpenAPIContract contract, Operation operation) {
    SchemaRepository schemas = contract.getSchemaRepository();
    for (Parameter p : operation.getParameters()) {
      parameters.add(new ParameterCheck(p.getName(), p.getIn(), p.isRequired(), schemas.validator(p.getSchema())));
    }
    MediaType json = operation.getRequestBody() == null ? null
        : operation.getRequestBody().getContent().get("application/json");
    this.body = json == null ? null : schemas.validator(json.getSchema());
    this.bodyRequired = operation.getRequestBody() != null && operation.getRequestBody().isRequired();
  }

  static ContractValidation of(OpenAPIContract contract, String operationId) {
    return new ContractValidation(contract, contract.operation(operationId));
  }

  @Override
  public void handle(RoutingContext ctx) {
    for (ParameterCheck p : parameters) {
      String value = p.in() == Location.PATH ? ctx.pathParam(p.name())
          : p.in() == Location.HEADER ? ctx.request().getHeader(p.name())
          : ctx.request().getParam(p.name());
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
    Object json;
    try {
      json = Json.decodeValue(ctx.body().buffer());
    } catch (DecodeException e) {
      ctx.fail(new ApiError(400, "invalid_request", "body is not valid JSON"));
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

  /** The body as decoded and validated here, so a handler does not decode it again; null when none was sent. */
  static JsonObject validatedBody(RoutingContext ctx) {
    return ctx.get(VALIDATED_BODY);
  }
}
