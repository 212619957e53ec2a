package claimgate.redis;

import claimgate.campaign.Campaign;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one writer of a campaign's settings in Redis: the admission settings the script reads
 * ({@code cfg}: field names and defaults are written here and nowhere else), the contingents, the
 * eligibility list and the operator's flags, each as PostgreSQL has them at a version. The
 * rebuild from PostgreSQL's truth is {@link RedisRestore}; revocations are {@link RedisRevocations}.
 */
public final class CampaignRedis {

  /**
   * The admitted seq after claims were appended to the stream directly, not by the admission
   * script (a warm-up's scratch campaign, a benchmark): what {@code admit.lua} would have set.
   */
  public static Request admittedUpTo(CampaignKeys keys, long seq) {
    return Request.cmd(Command.HSET).arg(keys.config()).arg(CampaignKeys.SEQ).arg(seq);
  }


  private static final LuaScript CONFIGURE = LuaScript.load("configure.lua");
  private static final LuaScript FLAGS = LuaScript.load("flags.lua");

  /** Outcomes, idempotency records and citizens' records are kept this long after the last round closes. */
  public static final java.time.Duration RETENTION_AFTER_LAST_ROUND = java.time.Duration.ofDays(7);

  /** When Redis may forget a campaign's per-claim records (status then comes from PostgreSQL). */
  public static long forgetAtMs(Campaign campaign) {
    return campaign.rounds().get(campaign.rounds().size() - 1).closesAtMs() + RETENTION_AFTER_LAST_ROUND.toMillis();
  }

  private CampaignRedis() {}

  /**
   * Writes the settings the admission script reads and the contingents as PostgreSQL has them at
   * {@code configVersion} and, when given, replaces the eligibility list (built under a temporary
   * name, renamed into place in the same atomic step, so no citizen is refused meanwhile). A
   * version Redis already holds, or an older one, changes nothing: racing writers converge on
   * PostgreSQL's latest.
   */
  public static Future<Void> configure(PipelinedRedis redis, Campaign campaign, long configVersion,
      Optional<Map<String, Integer>> eligible) {
    CampaignKeys keys = new CampaignKeys(campaign.id());
    Campaign.Admission a = campaign.admission();
    Map<String, String> settings = new java.util.LinkedHashMap<>();
    settings.put(CampaignKeys.RATE, Integer.toString(a.ratePerSecond()));
    settings.put(CampaignKeys.BURST, Integer.toString(a.burst()));
    settings.put(CampaignKeys.MAX_PENDING, Integer.toString(a.maxPendingPerCitizen()));
    settings.put(CampaignKeys.CAP_FACTOR, Double.toString(a.capFactorOrDefault()));
    settings.put(CampaignKeys.ADDRESS_RATE, Integer.toString(a.perAddressRateOrDefault()));
    settings.put(CampaignKeys.ADDRESS_BURST, Integer.toString(a.perAddressBurstOrDefault()));
    settings.put(CampaignKeys.PER_CITIZEN, Integer.toString(campaign.limits().perCitizen()));
    settings.put(CampaignKeys.PER_MERCHANT, Integer.toString(campaign.limits().perCitizenPerMerchant()));
    settings.put(CampaignKeys.ROUNDS, roundsSpec(campaign));
    settings.put(CampaignKeys.FORGET_AT, Long.toString(forgetAtMs(campaign)));
    settings.put(CampaignKeys.PREQUEUE, campaign.prequeue() == null ? "" : Long.toString(campaign.prequeue().opensBeforeMs()));
    settings.put(CampaignKeys.MIN_TIER, campaign.eligibility() == null ? ""
        : Integer.toString(campaign.eligibility().minTier() == null ? 0 : campaign.eligibility().minTier()));
    List<String> args = new ArrayList<>();
    args.add(Long.toString(configVersion));
    args.add(eligible.map(l -> Integer.toString(l.size())).orElse("keep"));
    args.add(Integer.toString(settings.size()));
    settings.forEach((field, value) -> {
      args.add(field);
      args.add(value);
    });
    campaign.merchants().forEach(m -> {
      args.add(m.id());
      args.add(Integer.toString(m.contingent()));
    });
    // each writer builds under a name of its own: an operator's write and a leader's reload that
    // race never fill or clear each other's list (the loser's is dropped by the script)
    String building = keys.eligible() + ":building:" + configVersion + ":"
        + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong());
    Future<Void> list = eligible.<Future<Void>>map(l -> RedisHashes.writeFields(redis, building, l)).orElse(Future.succeededFuture());
    return list.compose(built -> CONFIGURE.call(redis::send,
        List.of(keys.config(), keys.merchants(), keys.eligible(), building), args)).mapEmpty();
  }

  /** Sets the operator's flags as PostgreSQL has them at {@code flagsVersion}; an older version changes nothing. */
  public static Future<Void> setFlags(PipelinedRedis redis, String campaignId, long flagsVersion, boolean paused,
      boolean frozen) {
    return FLAGS.call(redis::send, List.of(new CampaignKeys(campaignId).config()),
        List.of(Long.toString(flagsVersion), paused ? "1" : "0", frozen ? "1" : "0")).mapEmpty();
  }

  /** The versions Redis holds of a campaign's flags and settings (-1 when it holds none). */
  public record Held(long flagsVersion, long configVersion) {}

  public static Future<Held> held(PipelinedRedis redis, String campaignId) {
    return redis.send(Request.cmd(Command.HMGET).arg(new CampaignKeys(campaignId).config())
            .arg(CampaignKeys.FLAGS_VERSION).arg(CampaignKeys.CONFIG_VERSION))
        .map(r -> new Held(r.get(0) == null ? -1 : r.get(0).toLong(), r.get(1) == null ? -1 : r.get(1).toLong()));
  }

  /** True while the campaign's gate is open on the server {@code redis} is connected to. */
  public static Future<Boolean> intact(PipelinedRedis redis, String campaignId) {
    return redis.send(Request.cmd(Command.HGET).arg(new CampaignKeys(campaignId).config()).arg(CampaignKeys.SERVER))
        .map(server -> server != null && server.toString().equals(redis.serverId()));
  }

  /** "opensMs:closesMs:cumulativeBp;..." as the admission script reads it. */
  public static String roundsSpec(Campaign campaign) {
    StringBuilder spec = new StringBuilder();
    int[] cumulative = campaign.cumulativeReleaseBp();
    for (int i = 0; i < cumulative.length; i++) {
      Campaign.Round r = campaign.rounds().get(i);
      spec.append(r.opensAtMs()).append(':').append(r.closesAtMs()).append(':').append(cumulative[i]).append(';');
    }
    return spec.toString();
  }
}
