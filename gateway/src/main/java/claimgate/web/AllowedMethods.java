package claimgate.web;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.PlatformHandler;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The methods of a path, as HTTP wants them told: {@code OPTIONS} answers 204 with {@code Allow};
 * {@code HEAD} is answered as {@code GET} without a body; a method the path does not take is the
 * router's 405, answered by {@link #refuse} as {@code method_not_allowed} with {@code Allow}. A
 * contract path takes its operations' methods; the others (pages, health, metrics, the contract
 * itself) are read with GET. Requests of the other methods pass with no look-up.
 */
public final class AllowedMethods implements PlatformHandler {

  /** What a path outside the contract takes. */
  static final String OTHER_PATHS = "GET, HEAD, OPTIONS";

  private final OpenAPIContract contract;

  public AllowedMethods(OpenAPIContract contract) {
    this.contract = contract;
  }

  /** OPTIONS and HEAD; every other method goes on to the router, with no look-up on its way. */
  @Override
  public void handle(RoutingContext ctx) {
    HttpMethod method = ctx.request().method();
    if (method != HttpMethod.OPTIONS && method != HttpMethod.HEAD) {
      ctx.next();
      return;
    }
    Path path = pathOf(ctx);
    if (method == HttpMethod.OPTIONS) {
      ctx.response().setStatusCode(204).putHeader("Allow", path == null ? OTHER_PATHS : allow(path)).end();
    } else if (path == null || allows(path, HttpMethod.GET)) {
      // the response knows its request was HEAD and sends no body
      ctx.reroute(HttpMethod.GET, ctx.request().uri());
    } else {
      refuse(ctx);
    }
  }

  /** The router's 405 (a path it knows, another method): the answer, with the path's {@code Allow}. */
  public void refuse(RoutingContext ctx) {
    Path path = pathOf(ctx);
    String allow = path == null ? OTHER_PATHS : allow(path);
    ctx.response().putHeader("Allow", allow);
    if (!ctx.request().isEnded()) {
      Failures.closeAfter(ctx.request());
    }
    Failures.send(ctx.response(), new ApiError(405, "method_not_allowed",
        ctx.request().method().name() + " is not a method of this path; it takes " + allow));
  }

  private Path pathOf(RoutingContext ctx) {
    try {
      return contract.findPath(ctx.normalizedPath());
    } catch (RuntimeException noSuchPath) {
      return null;
    }
  }

  private static boolean allows(Path path, HttpMethod method) {
    return path.getOperations().stream().anyMatch(o -> o.getHttpMethod() == method);
  }

  private static String allow(Path path) {
    List<String> methods = new ArrayList<>();
    for (Operation o : path.getOperations()) {
      methods.add(o.getHttpMethod().name());
      if (o.getHttpMethod() == HttpMethod.GET) {
        methods.add("HEAD");
      }
    }
    methods.add("OPTIONS");
    return String.join(", ", methods);
  }
}
