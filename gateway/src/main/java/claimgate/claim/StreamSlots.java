package claimgate.claim;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Open event streams per ticket, for the whole gateway process (every event loop's
 * {@link ClaimEvents} takes its slots here), so the documented cap holds per process.
 *
 * <p>Thread-safe.
 */
public final class StreamSlots {

  private final int maxPerTicket;
  private final ConcurrentHashMap<String, Integer> open = new ConcurrentHashMap<>();

  public StreamSlots(int maxPerTicket) {
    this.maxPerTicket = maxPerTicket;
  }

  /** Takes a slot for the ticket; false when it has the maximum open already. */
  public boolean take(String ticket) {
    boolean[] taken = {false};
    open.compute(ticket, (t, n) -> {
      int now = n == null ? 0 : n;
      if (now >= maxPerTicket) {
        return n;
      }
      taken[0] = true;
      return now + 1;
    });
    return taken[0];
  }

  public void release(String ticket) {
    open.computeIfPresent(ticket, (t, n) -> n == 1 ? null : n - 1);
  }

  public int open(String ticket) {
    return open.getOrDefault(ticket, 0);
  }
}
