package claimgate.web;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Successful JSON answers, and the request body as validated against the contract. */
public final class Replies {

  private Replies() {}

  public static void json(RoutingContext ctx, int status, Object body) {
    ctx.response().setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(io.vertx.core.json.Json.encodeToBuffer(body));
  }

  /** The body as decoded and validated by {@link ContractValidation}. */
  public static JsonObject body(RoutingContext ctx) {
    return ContractValidation.validatedBody(ctx);
  }
}
