package claimgate.admission;

import claimgate.keys.CampaignKeys;
import claimgate.keys.LuaScript;
import claimgate.keys.PipelinedRedis;
import io.vertx.core.Future;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;

/**
 * Admits one claim with ONE Redis round trip: {@code admit.lua} by SHA over a pipelined
 * connection. The edge decides nothing about allocation; it only queues.
 */
public final class AdmissionScript {

  static final LuaScript ADMIT = LuaScript.load("admit.lua");
  private static final String IDEMPOTENCY_TTL_SECONDS = Integer.toString(24 * 3600);

  private final PipelinedRedis redis;

  public AdmissionScript(PipelinedRedis redis) {
    this.redis = redis;
  }

  /**
   * @param idempotencyKey the caller's key, or null: then the citizen and body make the key
   * @param tier the tier a verified identity token gives the citizen, if any
   * @param address the client address, whose own token bucket the claim draws on
   */
  public Future<Admission> admit(String campaignId, String ticket, String citizenId, List<String> merchantIds,
      String idempotencyKey, java.util.Optional<Integer> tier, String address) {
    String merchants = String.join(",", merchantIds);
    String digest = digest(citizenId, idempotencyKey != null ? "k:" + idempotencyKey : "b:" + merchants);
    CampaignKeys keys = new CampaignKeys(campaignId);
    return ADMIT.call(redis::send, keys.admitKeys(digest, address),
            List.of(ticket, citizenId, merchants, IDEMPOTENCY_TTL_SECONDS, tier.map(String::valueOf).orElse("")))
        .map(AdmissionScript::read);
  }

  static Admission read(Response r) {
    String outcome = r.get(0).toString();
    return switch (outcome) {
      case "queued", "repeat" -> new Admission.Queued(r.get(1).toString(), r.get(2).toLong(),
          Long.parseLong(r.get(3).toString()), outcome.equals("repeat"));
      case "paused" -> new Admission.Paused();
      case "not_open" -> new Admission.NotOpen(Long.parseLong(r.get(1).toString()));
      case "closed" -> new Admission.Closed();
      case "not_eligible" -> new Admission.NotEligible();
      case "limit" -> new Admission.LimitReached();
      case "sold_out" -> new Admission.SoldOut();
      case "throttled" -> new Admission.Throttled(Long.parseLong(r.get(1).toString()));
      case "unknown" -> new Admission.Unknown();
      default -> throw new IllegalStateException("admission script answered " + outcome);
    };
  }

  private static String digest(String citizenId, String what) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(citizenId.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      byte[] hash = sha.digest(what.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(hash).substring(0, 22);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
