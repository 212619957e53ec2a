package claimgate.admission;

import claimgate.web.ApiError;
import io.vertx.core.json.JsonObject;

/**
 * What a citizen is told for each answer of the admission script but admission: the status,
 * the error code, the message and, where waiting helps, when to retry.
 */
final class Refusals {

  private static final long PAUSED_RETRY_MS = 5_000;

  private Refusals() {}

  /** The refusal a claim gets for each answer of the script but admission. */
  static ApiError of(Admission outcome) {
    if (outcome instanceof Admission.Paused) {
      return new ApiError(503, "paused", "admission is paused by the operator; the queue keeps its order",
          new JsonObject().put("retryAfterMs", PAUSED_RETRY_MS), PAUSED_RETRY_MS);
    } else if (outcome instanceof Admission.NotOpen notOpen) {
      long waitMs = Math.max(1_000, notOpen.opensAtMs() - System.currentTimeMillis());
      return new ApiError(425, "not_open", "the round has not opened yet",
          new JsonObject().put("opensAt", claimgate.campaign.Formats.epochMs(notOpen.opensAtMs())), waitMs);
    } else if (outcome instanceof Admission.Closed) {
      return new ApiError(410, "closed", "the campaign's last round has closed");
    } else if (outcome instanceof Admission.NotEligible) {
      return new ApiError(403, "not_eligible", "this citizen is not on the campaign's eligibility list");
    } else if (outcome instanceof Admission.LimitReached) {
      return new ApiError(409, "limit_reached",
          "this citizen already holds the maximum number of vouchers, in all or at every chosen shop");
    } else if (outcome instanceof Admission.TooManyPending) {
      return new ApiError(429, "too_many_pending", "this citizen's earlier claims are still waiting; wait for them",
          new JsonObject().put("retryAfterMs", 1_000), 1_000L);
    } else if (outcome instanceof Admission.SoldOut) {
      return new ApiError(410, "sold_out", "every chosen merchant is sold out");
    } else if (outcome instanceof Admission.Throttled throttled) {
      return new ApiError(429, "throttled", "too many claims right now; wait and retry",
          new JsonObject().put("retryAfterMs", throttled.retryAfterMs()), throttled.retryAfterMs());
    } else if (outcome instanceof Admission.Conflict) {
      return new ApiError(422, "idempotency_conflict",
          "this Idempotency-Key was used with another body; send a new key for a new claim");
    } else if (outcome instanceof Admission.Unavailable) {
      return ApiError.unavailable("the waiting room is being restored; retry shortly");
    } else if (outcome instanceof Admission.Unknown) {
      return ApiError.unavailable("the campaign's admission settings are not in place yet; retry shortly");
    }
    throw new IllegalStateException("unhandled admission outcome " + outcome);
  }
}
