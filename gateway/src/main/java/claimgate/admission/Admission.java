package claimgate.admission;

/** The answer of the admission script for one claim; a {@code switch} shows every case. */
public sealed interface Admission {

  /** Admitted now ({@code repeat} false) or earlier with the same idempotency key. */
  record Queued(String ticket, long seq, long decidedSeq, boolean repeat) implements Admission {
    public long position() {
      return Math.max(0, seq - decidedSeq);
    }
  }

  record Paused() implements Admission {}

  record NotOpen(long opensAtMs) implements Admission {}

  record Closed() implements Admission {}

  record NotEligible() implements Admission {}

  record LimitReached() implements Admission {}

  record SoldOut() implements Admission {}

  record Throttled(long retryAfterMs) implements Admission {}

  /** The campaign has no admission settings in Redis. */
  record Unknown() implements Admission {}
}
