package claimgate.redis;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignStore;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one owner of a campaign's derived state in Redis: the admission settings the script reads
 * ({@code cfg}: field names and defaults are written here and nowhere else), the contingents, the
 * eligibility list, and the restore that rebuilds everything from PostgreSQL's truth.
 *
 * <p>Redis may lose recent writes (a crash under {@code appendfsync everysec}, a promoted
 * asynchronous replica). The admission script therefore admits only while {@code cfg.server}
 * names the Redis server it runs on: a restart or a failover changes the server's id, closing
 * the gate, and only {@link #restore} opens it again, after it has written the operator's flags,
 * the seq floor, what every citizen holds and what is still queued, as PostgreSQL and the stream
 * say. Until then claims are refused as unavailable (503) rather than judged by forgotten state.
 */
public final class CampaignRedis {

  private static final int CHUNK = 1000;
  private static final LuaScript FLOOR_SEQ = LuaScript.load("floor_seq.lua");
  private static final LuaScript CONFIGURE = LuaScript.load("configure.lua");
  private static final LuaScript FLAGS = LuaScript.load("flags.lua");
  private static final LuaScript RENAME_INTO_PLACE = LuaScript.load("rename_into_place.lua");
  private static final LuaScript REVOKED = LuaScript.load("revoked.lua");

  /**
   * What PostgreSQL says of a campaign when Redis is rebuilt from it.
   *
   * @param issued merchantId to vouchers issued
   * @param holdings citizenId to merchantId to vouchers held there
   * @param offset the stream id of the last decided entry; later entries are still queued
   * @param decidedSeq the seq of the last decided claim
   * @param eligible the eligibility list, when the campaign has one
   * @param requests citizenId to their recent decided requests, oldest first
   */
  public record Snapshot(Campaign campaign, CampaignStore.Versions versions, Map<String, Integer> issued,
      Map<String, Map<String, Integer>> holdings, String offset, long decidedSeq,
      Optional<Map<String, Integer>> eligible, Map<String, List<CitizenRecord.Request>> requests) {

    /** A campaign nothing has happened to yet, at its versions. */
    public static Snapshot fresh(Campaign campaign, CampaignStore.Versions versions, Optional<Map<String, Integer>> eligible) {
      return new Snapshot(campaign, versions, Map.of(), Map.of(), "0-0", 0, eligible, Map.of());
    }
  }

  /** Outcomes, idempotency records and citizens' records are kept this long after the last round closes. */
  public static final java.time.Duration RETENTION_AFTER_LAST_ROUND = java.time.Duration.ofDays(7);

  /** When Redis may forget a campaign's per-claim records (status then comes from PostgreSQL). */
  public static long forgetAtMs(Campaign campaign) {
    return campaign.rounds().get(campaign.rounds().size() - 1).closesAtMs() + RETENTION_AFTER_LAST_ROUND.toMillis();
  }

  /** What a restore found in the stream: the last seq that survived. */
  public record Restored(long generation, long survivingSeq) {}

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
    Future<Void> list = eligible.<Future<Void>>map(l -> writeFields(redis, building, l)).orElse(Future.succeededFuture());
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



  /**
   * Rebuilds the campaign's Redis state from {@code truth} and the stream, then opens the gate
   * for the connected server: closes the gate, reads what is still queued (entries after the
   * offset), asks {@code newGeneration} for the generation to open (given the last seq that
   * survived: tickets of older generations above it were lost), writes settings, flags, issued
   * counts, citizens' records and queues, raises the seq floor above every seq that exists, and
   * finally names the server and the generation.
   */
  public static Future<Restored> restore(PipelinedRedis redis, Snapshot truth,
      java.util.function.LongFunction<Future<Long>> newGeneration) {
    return rebuildClosed(redis, truth, newGeneration).compose(restored -> open(redis, truth.campaign().id(), restored));
  }

  /**
   * {@link #restore} but for the last step: the state is rebuilt behind a shut gate, which
   * {@link #open} opens. A caller whose new generation is recorded in a PostgreSQL transaction
   * opens the gate only once that transaction committed, so Redis never admits in a generation
   * PostgreSQL does not know.
   */
  public static Future<Restored> rebuildClosed(PipelinedRedis redis, Snapshot truth,
      java.util.function.LongFunction<Future<Long>> newGeneration) {
    CampaignKeys keys = new CampaignKeys(truth.campaign().id());
    return redis.send(Request.cmd(Command.HSET).arg(keys.config()).arg(CampaignKeys.SERVER).arg("restoring"))
        .compose(closed -> queuedAfter(redis, keys, truth.offset()))
        .compose(queued -> newGeneration.apply(Math.max(truth.decidedSeq(), queued.lastSeq))
            .map(generation -> new Restored(generation, Math.max(truth.decidedSeq(), queued.lastSeq)))
            .compose(restored -> rebuild(redis, keys, truth, queued, restored)));
  }

  /** Opens the gate of a rebuilt campaign: its generation, on the server {@code redis} is connected to. */
  public static Future<Restored> open(PipelinedRedis redis, String campaignId, Restored restored) {
    return redis.send(Request.cmd(Command.HSET).arg(new CampaignKeys(campaignId).config())
            .arg(CampaignKeys.GENERATION).arg(restored.generation()).arg(CampaignKeys.SERVER).arg(redis.serverId()))
        .map(opened -> restored);
  }

  /**
   * Stores a new campaign and opens its gate in one PostgreSQL transaction: the row commits only
   * once Redis holds the campaign, so an allocator never finds it with its gate shut (and
   * restores it while this opens it).
   */
  public static Future<Long> create(io.vertx.sqlclient.Pool pool, PipelinedRedis redis, Campaign campaign,
      Optional<Map<String, Integer>> eligible) {
    return pool.withTransaction(conn -> CampaignStore.apply(conn, campaign, eligible)
        .compose(version -> restoreNew(conn, redis, campaign, eligible).map(version)));
  }

  /**
   * Opens the gate of a campaign nothing has happened to yet (no claim admitted), in its next
   * generation, within the transaction that stores it (see {@link #create}) or where no
   * allocator runs yet.
   */
  public static Future<Restored> restoreNew(io.vertx.sqlclient.SqlClient pg, PipelinedRedis redis, Campaign campaign,
      Optional<Map<String, Integer>> eligible) {
    return CampaignStore.versions(pg, campaign.id()).compose(versions -> restore(redis,
        Snapshot.fresh(campaign, versions, eligible), surviving -> CampaignStore
            .openGeneration(pg, campaign.id(), null, surviving)
            .map(generation -> generation.orElseThrow(() -> new IllegalStateException("no campaign " + campaign.id())))));
  }

  private static Future<Restored> rebuild(PipelinedRedis redis, CampaignKeys keys, Snapshot truth, Queued queued,
      Restored restored) {
    return Future.succeededFuture(queued)
        .compose(q -> {
          long survivingSeq = restored.survivingSeq();
          java.util.Set<String> citizens = new java.util.HashSet<>(truth.holdings().keySet());
          citizens.addAll(queued.pendingByCitizen.keySet());
          citizens.addAll(truth.requests().keySet());
          Map<String, String> records = new HashMap<>();
          for (String citizen : citizens) {
            Map<String, Integer> at = truth.holdings().getOrDefault(citizen, Map.of());
            List<CitizenRecord.Request> requests = new ArrayList<>(truth.requests().getOrDefault(citizen, List.of()));
            requests.addAll(queued.requestsByCitizen.getOrDefault(citizen, List.of()));
            records.put(citizen, new CitizenRecord(queued.pendingByCitizen.getOrDefault(citizen, 0), sum(at), at,
                requests).encode());
          }
          Map<String, String> merchants = new HashMap<>();
          for (Campaign.Merchant m : truth.campaign().merchants()) {
            merchants.put(m.id(), new MerchantRecord(m.contingent(), truth.issued().getOrDefault(m.id(), 0),
                queued.pendingByMerchant.getOrDefault(m.id(), 0)).encode());
          }
          // what Redis may hold is older or as old: written as PostgreSQL has it, whatever versions remain
          CampaignStore.Versions v = truth.versions();
          return redis.send(Request.cmd(Command.HDEL).arg(keys.config()).arg(CampaignKeys.FLAGS_VERSION)
                  .arg(CampaignKeys.CONFIG_VERSION))
              .compose(forgotten -> replaceHash(redis, keys.merchants(), merchants))
              .compose(merchantsWritten -> Future.all(List.of(
                  configure(redis, truth.campaign(), v.config(), truth.eligible()),
                  setFlags(redis, truth.campaign().id(), v.flags(), v.paused(), v.frozen()),
                  replaceHash(redis, keys.citizens(), records),
                  FLOOR_SEQ.call(redis::send, List.of(keys.config()), List.of(Long.toString(survivingSeq))))));
        })
        .map(written -> restored);
  }

  /**
   * Tells the leading allocator that PostgreSQL holds revocations up to {@code version}: it takes
   * them in at its next step (its heartbeat would, a little later). A hint only: what is applied
   * is read from PostgreSQL.
   */
  public static Future<Void> revocationsWanted(PipelinedRedis redis, String campaignId, long version) {
    return redis.send(Request.cmd(Command.HSET).arg(new CampaignKeys(campaignId).config())
        .arg(CampaignKeys.REVOCATIONS_WANTED).arg(version)).mapEmpty();
  }

  /** The revocations version whose revocations Redis holds applied (-1: none). */
  public static Future<Long> revocationsApplied(PipelinedRedis redis, String campaignId) {
    return redis.send(Request.cmd(Command.HGET).arg(new CampaignKeys(campaignId).config())
        .arg(CampaignKeys.REVOCATIONS_APPLIED)).map(r -> r == null ? -1 : r.toLong());
  }

  /**
   * Brings Redis in line with the campaign's revocations, as the leading allocator's ledger
   * (rebuilt from PostgreSQL) has them: what the given citizens hold, what every merchant has
   * issued, and the revoked tickets' published outcomes removed (their status is then read from
   * PostgreSQL). Sent in chunks, one after the other; each is absolute, so a repeat is harmless,
   * and the last records {@code version} as applied. A chunk is skipped when Redis has taken
   * publications past {@code decidedSeq}: a newer leader's, whose ledger is ahead of this one.
   *
   * @param decidedSeq the seq up to which the caller's ledger holds decisions
   * @param version the revocations version the caller's ledger holds
   * @param holdings citizenId to merchantId to vouchers held there, for the citizens to write
   * @param issued merchantId to vouchers issued
   * @param tickets the revoked vouchers' tickets
   */
  public static Future<Void> applyRevocations(PipelinedRedis redis, String campaignId, long decidedSeq, long version,
      Map<String, Map<String, Integer>> holdings, Map<String, Integer> issued, List<String> tickets) {
    CampaignKeys keys = new CampaignKeys(campaignId);
    List<String> scriptKeys = List.of(keys.config(), keys.citizens(), keys.merchants(), keys.outcomes());
    Future<?> calls = Future.succeededFuture();
    List<Map.Entry<String, Map<String, Integer>>> citizens = new ArrayList<>(holdings.entrySet());
    int chunks = Math.max(1, Math.max((citizens.size() + CHUNK - 1) / CHUNK, (tickets.size() + CHUNK - 1) / CHUNK));
    for (int c = 0; c < chunks; c++) {
      List<String> args = new ArrayList<>();
      args.add(Long.toString(decidedSeq));
      args.add(c == chunks - 1 ? Long.toString(version) : "");
      List<Map.Entry<String, Map<String, Integer>>> part =
          citizens.subList(Math.min(citizens.size(), c * CHUNK), Math.min(citizens.size(), (c + 1) * CHUNK));
      args.add(Integer.toString(part.size()));
      for (Map.Entry<String, Map<String, Integer>> citizen : part) {
        args.add(citizen.getKey());
        args.add(Integer.toString(sum(citizen.getValue())));
        args.add(CitizenRecord.holdings(citizen.getValue()));
      }
      Map<String, Integer> merchants = c == 0 ? issued : Map.of();
      args.add(Integer.toString(merchants.size()));
      merchants.forEach((merchant, n) -> {
        args.add(merchant);
        args.add(Integer.toString(n));
      });
      List<String> ticketPart = tickets.subList(Math.min(tickets.size(), c * CHUNK),
          Math.min(tickets.size(), (c + 1) * CHUNK));
      args.add(Integer.toString(ticketPart.size()));
      args.addAll(ticketPart);
      calls = calls.compose(previous -> REVOKED.call(redis::send, scriptKeys, args));
    }
    return calls.mapEmpty();
  }

  /** Claims in the stream after the offset: admitted, not decided. */
  private static final class Queued {
    final Map<String, Integer> pendingByCitizen = new HashMap<>();
    final Map<String, Integer> pendingByMerchant = new HashMap<>();
    final Map<String, List<CitizenRecord.Request>> requestsByCitizen = new HashMap<>();
    long lastSeq;
  }

  private static Future<Queued> queuedAfter(PipelinedRedis redis, CampaignKeys keys, String offset) {
    return readQueued(redis, keys, "(" + offset, new Queued());
  }

  private static Future<Queued> readQueued(PipelinedRedis redis, CampaignKeys keys, String from, Queued queued) {
    return redis.send(Request.cmd(Command.XRANGE).arg(keys.stream()).arg(from).arg("+").arg("COUNT").arg(100))
        .compose(entries -> {
          if (entries == null || entries.size() == 0) {
            return Future.succeededFuture(queued);
          }
          String lastId = null;
          for (Response entry : entries) {
            lastId = entry.get(0).toString();
            for (StreamEntries.Claim claim : StreamEntries.entry(entry)) {
              queued.pendingByCitizen.merge(claim.citizenId(), 1, Integer::sum);
              queued.pendingByMerchant.merge(claim.chargedMerchant(), 1, Integer::sum);
              queued.lastSeq = Math.max(queued.lastSeq, claim.seq());
              queued.requestsByCitizen.computeIfAbsent(claim.citizenId(), c -> new ArrayList<>()).add(new CitizenRecord.Request(
                  claim.requestId(), claim.generation(), claim.seq(),
                  CitizenRecord.fingerprint(String.join(",", claim.merchantIds()))));
            }
          }
          return readQueued(redis, keys, "(" + lastId, queued);
        });
  }

  /**
   * Writes a hash under a temporary name, pipelined in chunks. The name expires unless it is
   * renamed into place first (whoever renames it removes the expiry), so a writer that dies
   * half-way leaves nothing behind for long.
   */
  private static Future<Void> writeFields(PipelinedRedis redis, String key, Map<String, ?> fields) {
    List<Future<?>> chunks = new ArrayList<>();
    List<? extends Map.Entry<String, ?>> entries = new ArrayList<>(fields.entrySet());
    for (int from = 0; from < entries.size(); from += CHUNK) {
      Request chunk = Request.cmd(Command.HSET).arg(key);
      entries.subList(from, Math.min(entries.size(), from + CHUNK)).forEach(e -> chunk.arg(e.getKey()).arg(String.valueOf(e.getValue())));
      chunks.add(redis.send(chunk));
      // after every chunk: a build that outlasts the expiry starts no new key without one
      chunks.add(redis.send(Request.cmd(Command.PEXPIRE).arg(key).arg(BUILDING_TTL_MS)));
    }
    return Future.all(chunks).mapEmpty();
  }

  /** How long a hash built under a temporary name lives if nobody renames it into place. */
  private static final long BUILDING_TTL_MS = 10 * 60 * 1000;

  /** Replaces a hash whole: built under a temporary name, then renamed over the old one. */
  private static Future<Void> replaceHash(PipelinedRedis redis, String key, Map<String, ?> fields) {
    if (fields.isEmpty()) {
      return redis.send(Request.cmd(Command.UNLINK).arg(key)).mapEmpty();
    }
    String building = key + ":building:" + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong());
    return writeFields(redis, building, fields)
        .compose(written -> RENAME_INTO_PLACE.call(redis::send, List.of(building, key),
            List.of(Integer.toString(fields.size())))).mapEmpty();
  }


  private static int sum(Map<String, Integer> counts) {
    return counts.values().stream().mapToInt(Integer::intValue).sum();
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
