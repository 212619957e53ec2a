package claimgate.web;

import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.PlatformHandler;
import java.util.Locale;

/**
 * On a route that takes no body, refuses a request declaring a form or multipart body with 415
 * before Vert.x's body handler sees it: that handler throws for a GET declaring one. The body
 * handler must still run on such routes, since the router holds every request until it does.
 */
public final class NoFormOnBodylessRoute implements PlatformHandler {

  @Override
  public void handle(RoutingContext ctx) {
    String contentType = ctx.request().getHeader("Content-Type");
    if (contentType != null) {
      String type = contentType.toLowerCase(Locale.ROOT);
      if (type.startsWith("multipart/") || type.startsWith("application/x-www-form-urlencoded")) {
        ctx.fail(new ApiError(415, "unsupported_media_type", "this route takes no body"));
        return;
      }
    }
    ctx.next();
  }
}
