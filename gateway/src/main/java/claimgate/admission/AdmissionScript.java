package claimgate.admission;

import claimgate.redis.CampaignKeys;
import claimgate.redis.LuaScript;
import claimgate.redis.PipelinedRedis;
import claimgate.redis.RedisDurability;
import io.vertx.core.Future;
import io.vertx.redis.client.RedisConnection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Admits a batch of claims of one campaign with ONE Redis call: {@code admit.lua} by SHA over a
 * pipelined connection. The edge decides nothing about allocation; it only queues, and the
 * allocator judges every queued claim again (the script filters, the allocator decides).
 *
 * <p>The script is loaded on each new connection ahead of that connection's first batch (in the
 * same pipeline, without waiting for it). A batch that met NOSCRIPT would be sent again in full
 * behind the batch sent after it, which another connection's load could have let run first:
 * the later claims would take the earlier seqs, and a repeat of the earlier batch's claim would
 * become the original. Only a script cache flushed under a live connection can still do that.
 *
 * <p>Not thread-safe: one per verticle, used on its event loop.
 */
public final class AdmissionScript {

  static final LuaScript ADMIT = LuaScript.load("admit.lua");

  /**
   * One claim as the script takes it.
   *
   * @param merchantIds the chosen merchants, comma separated, in preference order
   * @param requestId a digest of the caller's key (or the body): a repeat by the citizen has the same
   * @param fingerprint of the body: the same field with another body is a conflict
   * @param tier from a verified identity token, or empty
   * @param address the client address, whose own token bucket the claim draws on
   */
  public record Claim(String citizenId, String merchantIds, String requestId, String fingerprint, String tier,
      String address) {}

  private final PipelinedRedis redis;
  private final RedisDurability durability;
  private final Map<String, List<String>> keys = new HashMap<>();
  /** The connection the script was last loaded on. */
  private RedisConnection loadedOn;

  public AdmissionScript(PipelinedRedis redis) {
    this(redis, RedisDurability.EVERYSEC);
  }

  /** @param durability with replicas, a batch is acknowledged only once they have it */
  public AdmissionScript(PipelinedRedis redis, RedisDurability durability) {
    this.redis = redis;
    this.durability = durability;
  }

  /** Answers for {@code claims}, in order. */
  public Future<List<Admission>> admit(String campaignId, List<Claim> claims) {
    List<String> campaignKeys = keys.computeIfAbsent(campaignId, id -> new CampaignKeys(id).admitKeys());
    return redis.connection().compose(connected -> {
      if (connected != loadedOn) {
        // pipelined ahead of this batch's EVALSHA on the same connection, so Redis has the script
        // by then; a failed load shows in the batch's own answer
        loadedOn = connected;
        ADMIT.preload(redis::send);
      }
      List<String> args = new ArrayList<>(2 + 6 * claims.size());
      args.add(redis.serverId());
      args.add(Integer.toString(claims.size()));
      for (Claim c : claims) {
        args.add(c.citizenId());
        args.add(c.merchantIds());
        args.add(c.requestId());
        args.add(c.fingerprint());
        args.add(c.tier());
        args.add(c.address());
      }
      return ADMIT.call(redis::send, campaignKeys, args);
    }).compose(r -> durability.confirm(redis).map(durable -> {
      List<Admission> answers = read(r.toString(), claims.size());
      // not durable as promised: no ticket is acknowledged (a retry with the same key finds it)
      return durable ? answers : answers.stream().map(a -> a instanceof Admission.Queued || a instanceof Admission.Prequeued
          ? (Admission) new Admission.Unavailable() : a).toList();
    }));
  }

  static List<Admission> read(String answer, int n) {
    List<Admission> out = new ArrayList<>(n);
    if (answer.equals("U") || answer.equals("N")) {
      Admission all = answer.equals("U") ? new Admission.Unavailable() : new Admission.Unknown();
      for (int i = 0; i < n; i++) {
        out.add(all);
      }
      return out;
    }
    String[] tokens = answer.split(" ");
    if (!tokens[0].equals("A") || tokens.length != 4 + n) {
      throw new IllegalStateException("admission script answered " + answer);
    }
    long generation = Long.parseLong(tokens[1]);
    long decided = Long.parseLong(tokens[2]);
    // the batch's admitted claims have consecutive seqs, from the first, in the batch's order
    long next = Long.parseLong(tokens[3]);
    for (int i = 0; i < n; i++) {
      Admission a = one(tokens[4 + i], generation, decided, next);
      if (a instanceof Admission.Queued q && !q.repeat()) {
        next = q.seq() + 1;
      } else if (a instanceof Admission.Prequeued p) {
        next = p.seq() + 1;
      }
      out.add(a);
    }
    return out;
  }

  private static Admission one(String token, long generation, long decided, long next) {
    return switch (token.charAt(0)) {
      case 'q' -> new Admission.Queued(generation, next, decided, false);
      case 'r' -> {
        int colon = token.indexOf(':', 2);
        yield new Admission.Queued(Long.parseLong(token.substring(2, colon)), Long.parseLong(token.substring(colon + 1)),
            decided, true);
      }
      case 'P' -> {
        String[] p = token.split(":");
        yield new Admission.Prequeued(generation, Long.parseLong(p[1]), Long.parseLong(p[2]), Long.parseLong(p[3]));
      }
      case 'x' -> new Admission.Conflict();
      case 'p' -> new Admission.Paused();
      case 'o' -> new Admission.NotOpen(Long.parseLong(token.substring(2)));
      case 'c' -> new Admission.Closed();
      case 'e' -> new Admission.NotEligible();
      case 'w' -> new Admission.TooManyPending();
      case 'l' -> new Admission.LimitReached();
      case 't' -> new Admission.Throttled(Long.parseLong(token.substring(2)));
      case 's' -> new Admission.SoldOut();
      default -> throw new IllegalStateException("admission script answered " + token);
    };
  }

}
