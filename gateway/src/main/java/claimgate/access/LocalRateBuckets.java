package claimgate.access;

import io.vertx.core.Future;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Token buckets per client address in this process's memory, shared by its event loops: for
 * plain request rates that are asked at every request of a waiting page (status polls, event
 * streams opened), which must not cost Redis a command each. The limit holds per gateway process,
 * as the connection limit does: behind a balancer of N gateways an address may reach N times the
 * rate. Buckets idle and full for a minute are forgotten.
 *
 * <p>Thread-safe.
 */
public final class LocalRateBuckets implements AddressRate {

  private static final long IDLE_NANOS = 60_000_000_000L;
  private static final int SWEEP_EVERY = 10_000;

  private static final class Bucket {
    double tokens;
    long atNanos;

    Bucket(double tokens, long atNanos) {
      this.tokens = tokens;
      this.atNanos = atNanos;
    }
  }

  private final double ratePerSecond;
  private final int burst;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final AtomicLong takes = new AtomicLong();

  public LocalRateBuckets(double ratePerSecond, int burst) {
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
  }

  @Override
  public Future<Void> take(String address) {
    long now = System.nanoTime();
    if (takes.incrementAndGet() % SWEEP_EVERY == 0) {
      sweep(now);
    }
    Bucket bucket = buckets.computeIfAbsent(address, a -> new Bucket(burst, now));
    long waitMs;
    synchronized (bucket) {
      bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.atNanos) * ratePerSecond / 1e9);
      bucket.atNanos = now;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return Future.succeededFuture();
      }
      waitMs = (long) Math.ceil((1 - bucket.tokens) * 1000 / ratePerSecond);
    }
    return Future.failedFuture(RateBuckets.throttled(Math.max(1, waitMs)));
  }

  /** Forgets the buckets that have been full and idle for a minute: they would be full again anyway. */
  private void sweep(long now) {
    for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext(); ) {
      Bucket b = it.next();
      synchronized (b) {
        if (now - b.atNanos > IDLE_NANOS && b.tokens + (now - b.atNanos) * ratePerSecond / 1e9 >= burst) {
          it.remove();
        }
      }
    }
  }

  int size() {
    return buckets.size();
  }
}
