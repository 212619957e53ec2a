package claimgate.keys;

import java.util.List;

/**
 * The Redis key schema of one campaign. Every key carries the hash tag {@code {campaignId}}, so
 * a campaign lives in one Redis Cluster slot and its Lua scripts stay atomic.
 */
public record CampaignKeys(String campaignId) {

  private String key(String name) {
    return "{" + campaignId + "}:" + name;
  }

  /** Hash: {@code paused}, {@code frozen} flags of the kill switch. */
  public String flags() {
    return key("flags");
  }

  /** Hash: rate, burst, maxPending, capFactor, perCitizen, rounds. */
  public String config() {
    return key("cfg");
  }

  public String bucket() {
    return key("bucket");
  }

  public String idempotency(String digest) {
    return key("idem:" + digest);
  }

  public String pendingByCitizen() {
    return key("pending:citizen");
  }

  public String pendingByMerchant() {
    return key("pending:merchant");
  }

  public String contingent() {
    return key("contingent");
  }

  /** Hash merchantId to vouchers issued, published by the allocator after commit. */
  public String issued() {
    return key("issued");
  }

  /** Counter: admission sequence number, one per admitted claim. */
  public String seq() {
    return key("seq");
  }

  /** Stream: the waiting room. Fields t(icket) c(itizen) m(erchants) k (charged merchant) s(eq). */
  public String stream() {
    return key("stream");
  }

  /** Hash ticket to admission seq. */
  public String tickets() {
    return key("tickets");
  }

  /** Hash citizenId to vouchers held, published by the allocator after commit. */
  public String held() {
    return key("held");
  }

  /** String: seq of the last claim whose outcome is published. */
  public String decided() {
    return key("decided");
  }

  /** Hash ticket to outcome JSON. */
  public String outcomes() {
    return key("outcomes");
  }

  /** Hash: drain rate and other figures the allocator reports. */
  public String stats() {
    return key("stats");
  }

  /** Pub/sub channel: "decidedSeq|ticket,ticket,..." after every published batch. */
  public String events() {
    return key("events");
  }

  /** Hash citizenId to tier: the eligibility list, when the campaign has one. */
  public String eligible() {
    return key("eligible");
  }

  /** Hash: the token bucket of one client address. */
  public String addressBucket(String address) {
    return key("addr:" + address);
  }

  public List<String> admitKeys(String idempotencyDigest, String address) {
    return List.of(flags(), config(), bucket(), idempotency(idempotencyDigest), pendingByCitizen(),
        pendingByMerchant(), contingent(), issued(), seq(), stream(), tickets(), held(), decided(),
        eligible(), addressBucket(address));
  }

  public List<String> publishKeys() {
    return List.of(decided(), pendingByCitizen(), pendingByMerchant(), issued(), held(), outcomes(),
        stream());
  }
}
