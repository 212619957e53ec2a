package claimgate.gateway;

import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.SecurityPolicyHandler;

/**
 * Headers every answer carries besides the CSP and frame denial of Vert.x's own handlers: no
 * content sniffing, no referrer. No CORS header is ever sent, so browsers keep other sites'
 * pages from reading any answer (CORS closed by default).
 */
final class SecurityHeaders implements SecurityPolicyHandler {

  @Override
  public void handle(RoutingContext ctx) {
    ctx.response()
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer");
    ctx.next();
  }
}
