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
 * The methods of a contract path, as HTTP wants them told: {@code OPTIONS} answers 204 with
 * {@code Allow}; {@code HEAD} is answered as {@code GET} without a body; any other method the path
 * does not take is 405 {@code method_not_allowed} with {@code Allow}. Paths outside the contract
 * (the pages, health, metrics) are read with GET: OPTIONS and HEAD are answered alike, and the
 * router's 405 for another method carries their {@code Allow}.
 */
public final class AllowedMethods implements PlatformHandler {

  /** What a path outside the contract takes. */
  static final String OTHER_PATHS = "GET, HEAD, OPTIONS";

  private final OpenAPIContract contract;

  public AllowedMethods(OpenAPIContract contract) {
    this.contract = contract;
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpMethod method = ctx.request().method();
    if (method == HttpMethod.GET || method == HttpMethod.POST || method == HttpMethod.PUT) {
      Path path = pathOf(ctx);
      if (path == null || allows(path, method)) {
        ctx.next();
        return;
      }
      refuse(ctx, path);
      return;
    }
    Path path = pathOf(ctx);
    if (path == null) {
      // outside the contract (pages, health, metrics, the contract itself) every path is read with GET
      if (method == HttpMethod.OPTIONS) {
        ctx.response().setStatusCode(204).putHeader("Allow", OTHER_PATHS).end();
      } else if (method == HttpMethod.HEAD) {
        ctx.reroute(HttpMethod.GET, ctx.request().uri());
      } else {
        ctx.response().putHeader("Allow", OTHER_PATHS);
        ctx.next();
      }
      return;
    }
    if (method == HttpMethod.OPTIONS) {
      ctx.response().setStatusCode(204).putHeader("Allow", allow(path)).end();
    } else if (method == HttpMethod.HEAD && allows(path, HttpMethod.GET)) {
      // the response knows its request was HEAD and sends no body
      ctx.reroute(HttpMethod.GET, ctx.request().uri());
    } else {
      refuse(ctx, path);
    }
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

  private static void refuse(RoutingContext ctx, Path path) {
    ctx.response().putHeader("Allow", allow(path));
    Failures.closeAfter(ctx.request());
    Failures.send(ctx.response(), new ApiError(405, "method_not_allowed",
        ctx.request().method().name() + " is not a method of this path; it takes " + allow(path)));
  }
}
