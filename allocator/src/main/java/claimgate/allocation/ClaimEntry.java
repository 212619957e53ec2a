package claimgate.allocation;

import java.util.List;

/**
 * One admitted claim as read from the campaign's stream, with its ticket.
 *
 * @param streamId the id of the stream entry that holds it
 * @param generation the generation of the campaign's Redis state it was admitted in
 * @param admittedAtMs Redis server time of admission (the stream id's time part); rounds and
 *     releases are judged at this instant, so a replay decides the same way
 * @param chargedMerchant the merchant whose queue the admission script counted the claim in
 * @param tier the tier a verified identity token gave the citizen at admission, or null
 * @param requestId the request that made the claim (a digest of its idempotency key or body)
 */
public record ClaimEntry(String streamId, long generation, long seq, String ticket, String citizenId,
    List<String> merchantIds, String chargedMerchant, long admittedAtMs, Integer tier, String requestId) {

  public ClaimEntry(String streamId, long seq, String ticket, String citizenId, List<String> merchantIds,
      String chargedMerchant, long admittedAtMs) {
    this(streamId, 1, seq, ticket, citizenId, merchantIds, chargedMerchant, admittedAtMs, null, null);
  }
}
