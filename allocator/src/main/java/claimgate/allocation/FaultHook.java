package claimgate.allocation;

/**
 * Points where tests crash the allocator on purpose. A hook that throws makes the allocator
 * behave as if its process died there: nothing after that point happens, connections close,
 * in-memory state is dropped, and it rejoins the election as a fresh process would.
 */
@FunctionalInterface
public interface FaultHook {

  enum Step {
    /** The lock is taken; the takeover (ledger, Redis's state, republishing) not begun. */
    RECOVERING,
    /** A batch has been read from the stream, nothing decided yet. */
    AFTER_READ,
    /** Inside the batch transaction, every row written, COMMIT not yet sent. */
    BEFORE_COMMIT,
    /** COMMIT succeeded; outcomes not yet published to Redis. */
    AFTER_COMMIT
  }

  FaultHook NONE = (step, campaignId) -> { };

  void at(Step step, String campaignId);
}
