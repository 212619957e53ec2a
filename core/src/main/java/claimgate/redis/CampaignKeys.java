package claimgate.redis;

import java.util.List;

/**
 * The Redis key schema of one campaign. Every key carries the hash tag {@code {campaignId}}, so
 * a campaign lives in one Redis Cluster slot and its Lua scripts stay atomic. The record formats
 * inside the keys are written down once, in {@code admit.lua}'s header; Java reads and writes
 * them only through {@link StreamEntries} and {@link CitizenRecord}.
 */
public record CampaignKeys(String campaignId) {

  private String key(String name) {
    return "{" + campaignId + "}:" + name;
  }

  /** Hash: {@code paused}, {@code frozen} flags of the kill switch. */
  public String flags() {
    return key("flags");
  }

  /** Hash: the admission settings ({@link CampaignConfig} writes them) and the restore gate. */
  public String config() {
    return key("cfg");
  }

  /** Hash: token buckets, field {@code ~} the campaign's and one field per client address. */
  public String buckets() {
    return key("buckets");
  }

  /** Hash: idempotency field (citizen, then the key or the body) to the admitted claim. */
  public String idempotency() {
    return key("idem");
  }

  /** Hash: citizenId to the citizen's record: pending claims, vouchers held in all and per shop. */
  public String citizens() {
    return key("citizens");
  }

  /** Hash merchantId to claims queued for it (charged by admission, released by publication). */
  public String pendingByMerchant() {
    return key("pending:merchant");
  }

  /** Hash merchantId to its contingent. */
  public String contingent() {
    return key("contingent");
  }

  /** Hash merchantId to vouchers issued, published by the allocator after commit. */
  public String issued() {
    return key("issued");
  }

  /** Counter: the admission seq of the last admitted claim. */
  public String seq() {
    return key("seq");
  }

  /** Stream: the waiting room, one entry per admitted batch ({@link StreamEntries}). */
  public String stream() {
    return key("stream");
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

  public List<String> admitKeys() {
    return List.of(flags(), config(), buckets(), idempotency(), citizens(), contingent(), issued(),
        pendingByMerchant(), seq(), stream(), decided(), eligible());
  }

  public List<String> publishKeys() {
    return List.of(decided(), citizens(), pendingByMerchant(), issued(), outcomes(), stream());
  }

  /** Every key of the campaign, for tools that remove or inspect it whole. */
  public List<String> all() {
    return List.of(flags(), config(), buckets(), idempotency(), citizens(), pendingByMerchant(), contingent(),
        issued(), seq(), stream(), decided(), outcomes(), stats(), eligible());
  }
}
