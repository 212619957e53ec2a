package claimgate.redis;

import java.util.List;

/**
 * The Redis key schema of one campaign, and the field names inside its hashes. Every key carries
 * the hash tag {@code {campaignId}}, so a campaign lives in one Redis Cluster slot and its Lua
 * scripts stay atomic. Facts the admission script reads together live in one hash, so that a
 * batch reads each with ONE command: the campaign hash (settings, operator flags, counters, the
 * restore gate), the citizens hash (records with the citizens' recent requests), the merchants hash
 * (contingent, issued, queued per merchant). The record formats are written down once, in
 * {@code admit.lua}'s header; Java reads and writes them only through {@link StreamEntries},
 * {@link CitizenRecord} and {@link MerchantRecord}. The campaign hash is read through
 * {@link CampaignState} and written by {@link CampaignRedis} (the settings, the flags),
 * {@link RedisRestore} (the gate) and {@link RedisRevocations} (the revocation versions).
 */
public record CampaignKeys(String campaignId) {

  /**
   * Campaign hash fields: the admission settings, written by {@link CampaignRedis#configure} from
   * the campaign document, read by the admission script.
   */
  public static final String RATE = "rate";
  public static final String BURST = "burst";
  public static final String MAX_PENDING = "maxPending";
  public static final String CAP_FACTOR = "capFactor";
  public static final String ADDRESS_RATE = "addrRate";
  public static final String ADDRESS_BURST = "addrBurst";
  public static final String PER_CITIZEN = "perCitizen";
  public static final String PER_MERCHANT = "perMerchant";
  public static final String ROUNDS = "rounds";
  public static final String FORGET_AT = "forget";
  public static final String MIN_TIER = "minTier";
  /** Setting: how long before each opening the pre-queue opens, in ms (absent: no pre-queue). */
  public static final String PREQUEUE = "prequeue";
  /**
   * Campaign hash field written by the admission script: the pre-queue admitted last, as
   * {@code <opensAtMs>:<first seq>:<last seq>} (its seqs are consecutive: nothing else is admitted
   * while no round is open). Read back by {@link CampaignState#prequeue}.
   */
  public static final String PREQUEUE_ADMITTED = "pq";
  /**
   * Campaign hash field written by the admission script: the campaign's token bucket,
   * {@code <tokens>:<ms>}. Beside the settings, not among the addresses' buckets, so that no
   * client address can name it.
   */
  public static final String BUCKET = "bucket";
  /** Campaign hash field written by {@code publish.lua}: the draw published so far, {@code <opensAtMs>:<places>}. */
  public static final String DRAWN = "drawn";
  /** Campaign hash fields: the kill switch, the allocator's brake. */
  public static final String PAUSED = "paused";
  public static final String FROZEN = "frozen";
  /** Campaign hash field: the admission seq of the last admitted claim. */
  public static final String SEQ = "seq";
  /** Campaign hash field: the seq of the last claim whose outcome is published. */
  public static final String DECIDED = "decided";
  /** Campaign hash fields: the restore gate (the Redis server's id) and the generation it opened. */
  public static final String SERVER = "server";
  public static final String GENERATION = "gen";
  /** Campaign hash fields: the PostgreSQL versions of the flags and of the settings Redis holds. */
  public static final String FLAGS_VERSION = "flagsv";
  public static final String CONFIG_VERSION = "cfgv";
  /**
   * Campaign hash fields: the revocations version an operator's revocation reached in PostgreSQL
   * (a hint that tells the leading allocator to take it in at its next step), and the version
   * whose revocations the allocator has applied to Redis.
   */
  public static final String REVOCATIONS_WANTED = "revokew";
  public static final String REVOCATIONS_APPLIED = "revokedv";
  /** Field of the stats hash: the decisions per second the leading allocator measured (it expires with the hash). */
  public static final String DRAIN_PER_SECOND = "drainPerSecond";

  /**
   * The pub/sub channel of every campaign's decisions: {@code publish.lua} publishes each
   * committed batch's outcomes on it ({@link DecisionMessage}), and each gateway process holds one
   * subscription to it.
   */
  public static final String DECISIONS_CHANNEL = "claimgate:decisions";

  private String key(String name) {
    return "{" + campaignId + "}:" + name;
  }

  /** Hash: the admission settings, the operator's flags, the seq counters and the restore gate. */
  public String config() {
    return key("cfg");
  }

  /** Hash: the client addresses' token buckets, a field per address (the campaign's is {@link #BUCKET}). */
  public String buckets() {
    return key("buckets");
  }

  /** Hash: citizenId to the citizen's {@link CitizenRecord}, their recent requests included. */
  public String citizens() {
    return key("citizens");
  }

  /** Hash: merchantId to its {@link MerchantRecord}: contingent, vouchers issued, claims queued. */
  public String merchants() {
    return key("merchants");
  }

  /** Stream: the waiting room, one entry per admitted batch ({@link StreamEntries}). */
  public String stream() {
    return key("stream");
  }

  /** Hash ticket to outcome JSON. */
  public String outcomes() {
    return key("outcomes");
  }

  /** Hash: drain rate and other figures the allocator reports. */
  public String stats() {
    return key("stats");
  }

  /** Hash outcome to count: every claim answer the gateways gave (queued, each refusal, errors), added each second. */
  public String answers() {
    return key("answers");
  }

  /** Hash citizenId to tier: the eligibility list, when the campaign has one. */
  public String eligible() {
    return key("eligible");
  }

  public List<String> admitKeys() {
    return List.of(config(), buckets(), citizens(), merchants(), stream(), eligible());
  }

  public List<String> publishKeys() {
    return List.of(config(), citizens(), merchants(), outcomes(), stream());
  }

  /** Every key of the campaign, for tools that remove or inspect it whole. */
  public List<String> all() {
    return List.of(config(), buckets(), citizens(), merchants(), stream(), outcomes(), stats(), eligible(), answers());
  }
}
