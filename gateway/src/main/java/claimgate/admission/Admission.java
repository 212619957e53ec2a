package claimgate.admission;

/**
 * The admission script's answer for one claim. {@code Refusals.of} maps every kind but
 * {@link Queued} and {@link Prequeued} to its HTTP answer; Java 17 has no exhaustive switch over these records, so
 * {@code RefusalsTest} checks that each has its own.
 */
public sealed interface Admission {

  /**
   * Admitted now ({@code repeat} false) or earlier with the same idempotency field and body.
   *
   * @param generation the generation of the campaign's Redis state the claim was admitted in
   * @param decidedSeq the seq of the last decided claim when the batch ran
   */
  record Queued(long generation, long seq, long decidedSeq, boolean repeat) implements Admission {
    public long position() {
      return Math.max(0, seq - decidedSeq);
    }
  }

  /**
   * Admitted now into the pre-queue of the round that opens at {@code opensAtMs}, whose first
   * claim has seq {@code firstSeq}: drawn at the opening.
   */
  record Prequeued(long generation, long seq, long opensAtMs, long firstSeq) implements Admission {
    public long size() {
      return seq - firstSeq + 1;
    }
  }

  /** The idempotency key was used before by this citizen with another body. */
  record Conflict() implements Admission {}

  record Paused() implements Admission {}

  record NotOpen(long opensAtMs) implements Admission {}

  record Closed() implements Admission {}

  record NotEligible() implements Admission {}

  /** The citizen holds the maximum in all, or at every chosen shop. */
  record LimitReached() implements Admission {}

  /** The citizen has as many claims waiting as the campaign allows. */
  record TooManyPending() implements Admission {}

  record SoldOut() implements Admission {}

  record Throttled(long retryAfterMs) implements Admission {}

  /** Redis may have lost the campaign's state and it is not restored yet: try again shortly. */
  record Unavailable() implements Admission {}

  /** The campaign has no admission settings in Redis. */
  record Unknown() implements Admission {}
}
