package claimgate.allocation;

import java.util.List;

/**
 * One admitted claim as read from the campaign's stream, with its ticket.
 *
 * @param streamId the id of the stream entry that holds it
 * @param generation the generation of the campaign's Redis state it was admitted in
 * @param admittedAtMs Redis server time of admission (the time the admission script judged it at:
 *     {@link claimgate.redis.StreamEntries}); rounds and
 *     releases are judged at this instant, so a replay decides the same way
 * @param chargedMerchant the merchant whose queue the admission script counted the claim in
 * @param tier the tier a verified identity token gave the citizen at admission, or null
 * @param requestId the request that made the claim (a digest of its idempotency key or body)
 * @param prequeuedFor the opening (unix ms) whose pre-queue the claim joined, 0 when it did not
 * @param place its place in that pre-queue's draw (from 1), 0 before the draw or without one
 */
public record ClaimEntry(String streamId, long generation, long seq, String ticket, String citizenId,
    List<String> merchantIds, String chargedMerchant, long admittedAtMs, Integer tier, String requestId,
    long prequeuedFor, int place) {

  public ClaimEntry(String streamId, long seq, String ticket, String citizenId, List<String> merchantIds,
      String chargedMerchant, long admittedAtMs) {
    this(streamId, 1, seq, ticket, citizenId, merchantIds, chargedMerchant, admittedAtMs, null, null, 0, 0);
  }

  /**
   * The instant the claim is judged at (its round, the share released): its admission, or for a
   * pre-queue's claim the opening it waited for.
   */
  public long decidedAtMs() {
    return prequeuedFor > 0 ? prequeuedFor : admittedAtMs;
  }

  /** The claim as one that arrived at its admission time, outside any pre-queue. */
  public ClaimEntry arrived() {
    return new ClaimEntry(streamId, generation, seq, ticket, citizenId, merchantIds, chargedMerchant, admittedAtMs, tier,
        requestId, 0, 0);
  }

  public ClaimEntry atPlace(int newPlace) {
    return new ClaimEntry(streamId, generation, seq, ticket, citizenId, merchantIds, chargedMerchant, admittedAtMs, tier,
        requestId, prequeuedFor, newPlace);
  }
}
