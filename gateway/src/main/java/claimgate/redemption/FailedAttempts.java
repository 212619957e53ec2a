package claimgate.redemption;

import claimgate.gateway.ApiError;
import claimgate.keys.LuaScript;
import claimgate.keys.PipelinedRedis;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Rate limit on failed attempts (forged, unknown or other merchants' codes, wrong keys), per
 * merchant key and per client address, in Redis token buckets shared by every gateway. A caller
 * whose bucket is empty gets 429 {@code throttled} before anything else is looked at, so brute
 * force costs the attacker time, not the database.
 */
public final class FailedAttempts {

  static final LuaScript BUCKET = LuaScript.load("bucket.lua");
  private static final String IDLE_TTL_SECONDS = "3600";

  private final PipelinedRedis redis;
  private final String ratePerSecond;
  private final String burst;

  public FailedAttempts(PipelinedRedis redis, double ratePerSecond, int burst) {
    this.redis = redis;
    this.ratePerSecond = Double.toString(ratePerSecond);
    this.burst = Integer.toString(burst);
  }

  /** Fails with 429 when the address (or the key, when given) has no failures left. */
  public Future<Void> check(String address, String keyHash) {
    return call(address, keyHash, 0).compose(waitMs -> waitMs == 0
        ? Future.succeededFuture()
        : Future.failedFuture(throttled(waitMs)));
  }

  /** Counts {@code failures} against the address and key. */
  public Future<Void> record(String address, String keyHash, int failures) {
    return failures == 0 ? Future.succeededFuture() : call(address, keyHash, failures).mapEmpty();
  }

  /** 0 when allowed, else how long to wait. */
  private Future<Long> call(String address, String keyHash, int cost) {
    List<String> keys = new ArrayList<>(2);
    keys.add("{attempts}:addr:" + address);
    if (keyHash != null) {
      keys.add("{attempts}:key:" + keyHash);
    }
    return BUCKET.call(redis::send, keys, List.of(ratePerSecond, burst, Integer.toString(cost), IDLE_TTL_SECONDS))
        .map(r -> r.get(0).toInteger() == 1 ? 0L : Math.max(1L, r.get(1).toLong()));
  }

  private static ApiError throttled(long retryAfterMs) {
    return new ApiError(429, "throttled", "too many failed attempts; wait and retry",
        new JsonObject().put("retryAfterMs", retryAfterMs), retryAfterMs);
  }
}
