package claimgate.web;

import io.vertx.core.json.JsonObject;

/**
 * An answer other than success, rendered in one place as {@code {error, message, ...extra}}.
 * Handlers throw it or pass it to {@code ctx.fail}; a {@code Retry-After} header is added when
 * {@code retryAfterMs} is set.
 */
public final class ApiError extends RuntimeException {

  private final int status;
  private final String error;
  private final JsonObject extra;
  private final Long retryAfterMs;

  public ApiError(int status, String error, String message) {
    this(status, error, message, new JsonObject(), null);
  }

  public ApiError(int status, String error, String message, JsonObject extra, Long retryAfterMs) {
    super(message, null, false, false);
    this.status = status;
    this.error = error;
    this.extra = extra;
    this.retryAfterMs = retryAfterMs;
  }

  public static ApiError unavailable(String message) {
    return new ApiError(503, "unavailable", message, new JsonObject().put("retryAfterMs", 1000), 1000L);
  }

  public int status() {
    return status;
  }

  public String error() {
    return error;
  }

  public Long retryAfterMs() {
    return retryAfterMs;
  }

  public JsonObject body() {
    return new JsonObject().put("error", error).put("message", getMessage()).mergeIn(extra);
  }
}
