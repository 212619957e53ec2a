package claimgate.web;

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
public final class Failures {

  private static final Logger LOG = LoggerFactory.getLogger(Failures.class);

  private Failures() {}

  public static void render(RoutingContext ctx) {
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    if (!ctx.request().isEnded()) {
      // refused before its body was read (no route, no method, refused early): the router holds
      // that body unread, so the connection cannot carry another request
      closeAfter(ctx.request());
    }
    send(ctx.response(), toApiError(ctx.failure(), ctx.statusCode()));
  }

  /**
   * A request the HTTP codec could not read (bad request line, unknown version, header syntax,
   * too long a line or headers): 414, 431 or 400, as JSON, and the connection is closed.
   */
  public static void invalidRequest(io.vertx.core.http.HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    ApiError error = cause instanceof io.netty.handler.codec.http.TooLongHttpHeaderException ? byStatus(431, null)
        : cause instanceof io.netty.handler.codec.http.TooLongHttpLineException ? byStatus(414, null)
        : new ApiError(400, "invalid_request", "the request is not valid HTTP/1.1");
    closeAfter(request);
    send(request.response(), error);
  }

  /**
   * The answer says the connection closes, and it does once the answer is sent and the client
   * has finished sending: what it still sends is read and dropped for up to a second, so that it
   * reads this answer rather than a reset connection.
   */
  public static void closeAfter(io.vertx.core.http.HttpServerRequest request) {
    request.response().putHeader("Connection", "close").endHandler(ended -> {
      if (request.isEnded()) {
        request.connection().close();
        return;
      }
      io.vertx.core.Vertx vertx = io.vertx.core.Vertx.currentContext().owner();
      long deadline = vertx.setTimer(DRAIN_BEFORE_CLOSE_MS, t -> request.connection().close());
      try {
        request.handler(dropped -> { }).endHandler(end -> {
          vertx.cancelTimer(deadline);
          request.connection().close();
        });
        request.resume();
      } catch (IllegalStateException alreadyRead) {
        vertx.cancelTimer(deadline);
        request.connection().close();
      }
    });
  }

  private static final long DRAIN_BEFORE_CLOSE_MS = 1_000;

  public static void send(HttpServerResponse response, ApiError error) {
    if (error.retryAfterMs() != null) {
      response.putHeader("Retry-After", Long.toString(Math.max(1, (error.retryAfterMs() + 999) / 1000)));
    }
    response.setStatusCode(error.status())
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(error.body().toBuffer());
  }

  public static ApiError toApiError(Throwable failure, int statusCode) {
    if (failure instanceof ApiError api) {
      return api;
    }
    if (failure instanceof HttpException http) {
      return byStatus(http.getStatusCode(), http.getPayload());
    }
    if (isFramingError(failure)) {
      return new ApiError(400, "invalid_request", "the request is not valid HTTP/1.1 framing");
    }
    if (failure instanceof TimeoutException || isConnectionProblem(failure)
        || claimgate.redis.RedisFailures.isTransient(failure)) {
      return ApiError.unavailable("a backing store is unreachable; retry shortly");
    }
    if (failure == null && statusCode > 0 && statusCode < 500) {
      return byStatus(statusCode, null);
    }
    if (isMalformedInput(failure)) {
      return new ApiError(400, "invalid_request", "the request holds characters or escapes that cannot be read: "
          + failure.getMessage());
    }
    LOG.error("unexpected failure answering a request", failure);
    return new ApiError(500, "internal", "internal error");
  }

  /**
   * Input no check caught before it reached a decoder or PostgreSQL: a query string's broken
   * %-escape, or text PostgreSQL cannot store (a NUL, an invalid byte sequence). A client's fault,
   * never a 5xx; the routes' own checks refuse it earlier, this is the backstop.
   */
  private static boolean isMalformedInput(Throwable failure) {
    if (failure instanceof io.vertx.pgclient.PgException pg) {
      String state = pg.getSqlState();
      return "22P05".equals(state) || "22021".equals(state) || "22025".equals(state);
    }
    return failure instanceof IllegalArgumentException
        && failure.getStackTrace().length > 0 && failure.getStackTrace()[0].getClassName().endsWith("HttpUtils");
  }

  /** Names the field and the rule it breaks, from the most specific error the validator gives. */
  public static String describe(OutputUnit result, String whole) {
    OutputUnit unit = deepest(result);
    if (unit == null || unit.getError() == null) {
      return whole + " does not match the contract";
    }
    String location = unit.getInstanceLocation() == null ? "" : unit.getInstanceLocation().replaceFirst("^#?/?", "");
    // merchants/1/contingent reads as merchants[1].contingent, as the campaign model names fields
    return (location.isEmpty() ? whole : location.replaceAll("/(\\d+)(?=/|$)", "[$1]").replace('/', '.')) + ": "
        + unit.getError();
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
      case 408 -> new ApiError(408, "request_timeout", "the request was not received in time");
      case 413 -> new ApiError(413, "payload_too_large", "request body is too large");
      case 414 -> new ApiError(414, "uri_too_long", "the request line is too long");
      case 431 -> new ApiError(431, "headers_too_large", "the request headers are too large");
      case 415 -> new ApiError(415, "unsupported_media_type", "send application/json");
      default -> new ApiError(status, "invalid_request", detail == null ? "request refused" : detail);
    };
  }

  /** A failure of Netty's HTTP decoder while reading the request: the client's bytes, not our bug. */
  private static boolean isFramingError(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof io.netty.handler.codec.DecoderException) {
        return true;
      }
      for (StackTraceElement frame : t.getStackTrace()) {
        if (frame.getClassName().startsWith("io.netty.handler.codec.http.HttpObjectDecoder")) {
          return true;
        }
      }
    }
    return false;
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
