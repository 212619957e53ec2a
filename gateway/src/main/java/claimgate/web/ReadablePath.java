package claimgate.web;

import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.PlatformHandler;

/**
 * Refuses, with 400, a path the router cannot normalise (a '%' not followed by two hex digits):
 * Vert.x would otherwise throw while matching routes. The answer is written here, since failing
 * the context would send the path through route matching again.
 */
public final class ReadablePath implements PlatformHandler {

  @Override
  public void handle(RoutingContext ctx) {
    try {
      ctx.normalizedPath();
    } catch (IllegalArgumentException e) {
      Failures.closeAfter(ctx.request());
      Failures.send(ctx.response(), new ApiError(400, "invalid_request", "the path is not a valid URL path"));
      return;
    }
    ctx.next();
  }
}
