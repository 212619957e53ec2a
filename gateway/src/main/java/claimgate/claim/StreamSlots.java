package claimgate.claim;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Open event streams per key, for the whole gateway process (every event loop's
 * {@link ClaimEvents} takes a ticket's slots here, the console's stats take theirs), so the
 * documented caps hold per process.
 *
 * <p>Thread-safe.
 */
public final class StreamSlots {

  private final int maxPerKey;
  private final ConcurrentHashMap<String, Integer> open = new ConcurrentHashMap<>();

  public StreamSlots(int maxPerKey) {
    this.maxPerKey = maxPerKey;
  }

  /** Takes a slot under the key; false when it has the maximum open already. */
  public boolean take(String key) {
    boolean[] taken = {false};
    open.compute(key, (k, n) -> {
      int now = n == null ? 0 : n;
      if (now >= maxPerKey) {
        return n;
      }
      taken[0] = true;
      return now + 1;
    });
    return taken[0];
  }

  public void release(String key) {
    open.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
  }

  public int open(String key) {
    return open.getOrDefault(key, 0);
  }
}
