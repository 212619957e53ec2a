package claimgate.gateway;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.json.schema.OutputUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that maps failures to HTTP. Contract violations arrive as {@link ApiError} 400
 * {@code invalid_request} naming the field (see {@link ContractValidation}); the router's own
 * refusals (404, 405, 413) keep their status; a Redis or PostgreSQL outage becomes 503
 * {@code unavailable}; anything unexpected is a bug: logged and answered 500 {@code internal}.
 */
final class Failures {

  private static final Logger LOG = LoggerFactory.getLogger(Failures.class);

  private Failures() {}

  static void render(RoutingContext ctx) {
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    send(ctx.response(), toApiError(ctx.failure(), ctx.statusCode()));
  }

  static void send(HttpServerResponse response, ApiError error) {
    if (error.retryAfterMs() != null) {
      response.putHeader("Retry-After", Long.toString(Math.max(1, (error.retryAfterMs() + 999) / 1000)));
    }
    response.setStatusCode(error.status())
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(error.body().toBuffer());
  }

  static ApiError toApiError(Throwable failure, int statusCode) {
    if (failure instanceof ApiError api) {
      return api;
    }
    if (failure instanceof HttpException http) {
      return byStatus(http.getStatusCode(), http.getPayload());
    }
    if (failure instanceof TimeoutException || isConnectionProblem(failure)) {
      return ApiError.unavailable("a backing store is unreachable; retry shortly");
    }
    if (failure == null && statusCode > 0 && statusCode < 500) {
      return byStatus(statusCode, null);
    }
    LOG.error("unexpected failure answering a request", failure);
    return new ApiError(500, "internal", "internal error");
  }

  /** Names the field and the rule it breaks, from the most specific error the validator gives. */
  static String describe(OutputUnit result, String whole) {
    OutputUnit unit = deepest(result);
    if (unit == null || unit.getError() == null) {
      return whole + " does not match the contract";
    }
    String location = unit.getInstanceLocation() == null ? "" : unit.getInstanceLocation().replaceFirst("^#?/?", "");
    return (location.isEmpty() ? whole : location.replace('/', '.')) + ": " + unit.getError();
  }

  private static OutputUnit deepest(OutputUnit unit) {
    if (unit == null || unit.getErrors() == null || unit.getErrors().isEmpty()) {
      return unit;
    }
    OutputUnit best = unit;
    for (OutputUnit child : unit.getErrors()) {
      OutputUnit candidate = deepest(child);
      if (candidate != null && candidate.getError() != null && depth(candidate) >= depth(best)) {
        best = candidate;
      }
    }
    return best;
  }

  private static int depth(OutputUnit unit) {
    String keyword = unit.getKeywordLocation();
    return keyword == null ? 0 : keyword.split("/").length;
  }

  private static ApiError byStatus(int status, String detail) {
    return switch (status) {
      case 400 -> new ApiError(400, "invalid_request", detail == null ? "malformed request" : detail);
      case 401 -> new ApiError(401, "unauthenticated", "credentials are missing or wrong");
      case 404 -> new ApiError(404, "not_found", "no such resource");
      case 405 -> new ApiError(405, "method_not_allowed", "method not allowed on this resource");
      case 413 -> new ApiError(413, "payload_too_large", "request body is too large");
      case 415 -> new ApiError(415, "unsupported_media_type", "send application/json");
      default -> new ApiError(status, "invalid_request", detail == null ? "request refused" : detail);
    };
  }

  private static boolean isConnectionProblem(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      String name = t.getClass().getName();
      if (t instanceof java.net.ConnectException || t instanceof java.io.IOException
          || name.contains("Closed") || name.contains("Connect")) {
        return true;
      }
      String message = t.getMessage();
      if (message != null && (message.contains("Connection refused") || message.contains("closed"))) {
        return true;
      }
    }
    return false;
  }
}
