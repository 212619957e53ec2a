package claimgate.web;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.SecurityPolicyHandler;

/**
 * The headers every answer carries: a Content-Security-Policy with no inline script or style,
 * frame denial, no content sniffing, no referrer. No CORS header is ever sent, so browsers keep
 * other sites' pages from reading any answer (CORS closed by default). One set, built once, for
 * the router's routes and the claim route alike.
 */
public final class SecurityHeaders implements SecurityPolicyHandler {

  static final String CONTENT_SECURITY_POLICY = String.join("; ",
      "default-src 'self'", "img-src 'self' data:", "object-src 'none'", "base-uri 'none'", "form-action 'self'",
      "frame-ancestors 'none'");

  private static final MultiMap HEADERS = MultiMap.caseInsensitiveMultiMap()
      .add("Content-Security-Policy", CONTENT_SECURITY_POLICY)
      .add("X-Frame-Options", "DENY")
      .add("X-Content-Type-Options", "nosniff")
      .add("Referrer-Policy", "no-referrer");

  public static HttpServerResponse apply(HttpServerResponse response) {
    response.headers().addAll(HEADERS);
    return response;
  }

  @Override
  public void handle(RoutingContext ctx) {
    apply(ctx.response());
    ctx.next();
  }
}
