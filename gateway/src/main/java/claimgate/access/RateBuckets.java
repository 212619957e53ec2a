package claimgate.access;

import claimgate.web.ApiError;

import claimgate.redis.LuaScript;
import claimgate.redis.PipelinedRedis;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Token buckets in Redis, shared by every gateway, per client address and, where there is one,
 * per credential. Two uses: failed attempts (forged, unknown or other merchants' codes, wrong
 * keys), counted after the fact and checked before anything else is looked at, so brute force
 * costs the attacker time and not the database; and plain request rates (status polling), where
 * each request takes a token. An empty bucket is 429 {@code throttled} with {@code Retry-After}.
 */
public final class RateBuckets implements AddressRate {

  static final LuaScript BUCKET = LuaScript.load("bucket.lua");
  private static final String IDLE_TTL_SECONDS = "3600";

  private final PipelinedRedis redis;
  private final String prefix;
  private final String ratePerSecond;
  private final String burst;

  /** @param name what the buckets count; part of their Redis keys */
  public RateBuckets(PipelinedRedis redis, String name, double ratePerSecond, int burst) {
    this.redis = redis;
    this.prefix = "{" + name + "}:";
    this.ratePerSecond = Double.toString(ratePerSecond);
    this.burst = Integer.toString(burst);
  }

  /** Takes a token from the address's bucket; fails with 429 when it has none. */
  @Override
  public Future<Void> take(String address) {
    return call(address, null, 1).compose(waitMs -> waitMs == 0
        ? Future.succeededFuture()
        : Future.failedFuture(throttled(waitMs)));
  }

  /** Fails with 429 when the address or the key (either may be null) has no tokens left; takes none. */
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
    if (address != null) {
      keys.add(prefix + "addr:" + address);
    }
    if (keyHash != null) {
      keys.add(prefix + "key:" + keyHash);
    }
    return BUCKET.call(redis::send, keys, List.of(ratePerSecond, burst, Integer.toString(cost), IDLE_TTL_SECONDS))
        .map(r -> r.get(0).toInteger() == 1 ? 0L : Math.max(1L, r.get(1).toLong()));
  }

  static ApiError throttled(long retryAfterMs) {
    return new ApiError(429, "throttled", "too many requests from here; wait and retry",
        new JsonObject().put("retryAfterMs", retryAfterMs), retryAfterMs);
  }
}
