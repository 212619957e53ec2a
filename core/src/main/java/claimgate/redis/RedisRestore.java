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
 * Rebuilds a campaign's state in Redis from PostgreSQL's truth and opens its gate.
 *
 * <p>Redis may lose recent writes (a crash under {@code appendfsync everysec}, a promoted
 * asynchronous replica). The admission script therefore admits only while {@code cfg.server}
 * names the Redis server it runs on: a restart or a failover changes the server's id, closing
 * the gate, and only {@link #restore} opens it again, after it has written the operator's flags,
 * the seq floor, what every citizen holds and what is still queued, as PostgreSQL and the stream
 * say. Until then claims are refused as unavailable (503) rather than judged by forgotten state.
 */
public final class RedisRestore {

  /** The server a campaign's gate names while it is rebuilt: no server id, so every script finds it shut. */
  public static final String RESTORING = "restoring";
  private static final LuaScript FLOOR_SEQ = LuaScript.load("floor_seq.lua");

  private RedisRestore() {}

  /**
   * What PostgreSQL says of a campaign when Redis is rebuilt from it.
   *
   * @param issued merchantId to vouchers issued
   * @param holdings citizenId to merchantId to vouchers held there
   * @param offset the stream id of the last decided entry; later entries are still queued
   * @param decidedSeq the seq of the last decided claim
   * @param eligible the eligibility list, when the campaign has one
   * @param requests citizenId to their recent decided requests, oldest first
   * @param draw a pre-queue's draw frozen and not served whole, or null
   */
  public record Snapshot(Campaign campaign, CampaignStore.Versions versions, Map<String, Integer> issued,
      Map<String, Map<String, Integer>> holdings, String offset, long decidedSeq,
      Optional<Map<String, Integer>> eligible, Map<String, List<CitizenRecord.Request>> requests, DrawUnderWay draw) {

    public Snapshot(Campaign campaign, CampaignStore.Versions versions, Map<String, Integer> issued,
        Map<String, Map<String, Integer>> holdings, String offset, long decidedSeq,
        Optional<Map<String, Integer>> eligible, Map<String, List<CitizenRecord.Request>> requests) {
      this(campaign, versions, issued, holdings, offset, decidedSeq, eligible, requests, null);
    }

    /** A campaign nothing has happened to yet, at its versions. */
    public static Snapshot fresh(Campaign campaign, CampaignStore.Versions versions, Optional<Map<String, Integer>> eligible) {
      return new Snapshot(campaign, versions, Map.of(), Map.of(), "0-0", 0, eligible, Map.of());
    }
  }

  /**
   * A draw under way when Redis is rebuilt: its frozen list is PostgreSQL's (the stream may have
   * lost some of it), so its claims still waiting are counted from here, its seqs are never given
   * out again, and its places decided count as published (their counters are not held).
   *
   * @param waiting the frozen list's claims not decided yet
   */
  public record DrawUnderWay(long opensAtMs, long firstSeq, long lastSeq, int placesDecided,
      List<StreamEntries.Claim> waiting) {}

  /** What a restore found in the stream: the last seq that survived. */
  public record Restored(long generation, long survivingSeq) {}

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
    return redis.send(Request.cmd(Command.HSET).arg(keys.config()).arg(CampaignKeys.SERVER).arg(RESTORING))
        .compose(closed -> queuedAfter(redis, keys, truth.offset(), truth.draw()))
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
            records.put(citizen, new CitizenRecord(queued.pendingByCitizen.getOrDefault(citizen, 0), CitizenRecord.total(at), at,
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
              .compose(forgotten -> RedisHashes.replaceHash(redis, keys.merchants(), merchants))
              .compose(merchantsWritten -> Future.all(List.of(
                  CampaignRedis.configure(redis, truth.campaign(), v.config(), truth.eligible()),
                  CampaignRedis.setFlags(redis, truth.campaign().id(), v.flags(), v.paused(), v.frozen()),
                  RedisHashes.replaceHash(redis, keys.citizens(), records),
                  FLOOR_SEQ.call(redis::send, List.of(keys.config()), List.of(Long.toString(survivingSeq))),
                  // the draw's places decided count as published: their counters are not held above
                  truth.draw() == null ? Future.succeededFuture() : redis.send(Request.cmd(Command.HSET).arg(keys.config())
                      .arg(CampaignKeys.DRAWN).arg(truth.draw().opensAtMs() + ":" + truth.draw().placesDecided())))));
        })
        .map(written -> restored);
  }

  /** Claims in the stream after the offset: admitted, not decided. */
  private static final class Queued {
    final Map<String, Integer> pendingByCitizen = new HashMap<>();
    final Map<String, Integer> pendingByMerchant = new HashMap<>();
    final Map<String, List<CitizenRecord.Request>> requestsByCitizen = new HashMap<>();
    long lastSeq;
    DrawUnderWay draw;

    void add(StreamEntries.Claim claim) {
      pendingByCitizen.merge(claim.citizenId(), 1, Integer::sum);
      pendingByMerchant.merge(claim.chargedMerchant(), 1, Integer::sum);
      lastSeq = Math.max(lastSeq, claim.seq());
      requestsByCitizen.computeIfAbsent(claim.citizenId(), c -> new ArrayList<>()).add(new CitizenRecord.Request(
          claim.requestId(), claim.generation(), claim.seq(), CitizenRecord.fingerprint(String.join(",", claim.merchantIds()))));
    }
  }

  private static Future<Queued> queuedAfter(PipelinedRedis redis, CampaignKeys keys, String offset, DrawUnderWay draw) {
    Queued queued = new Queued();
    queued.draw = draw;
    if (draw != null) {
      draw.waiting().forEach(queued::add);
      queued.lastSeq = Math.max(queued.lastSeq, draw.lastSeq());
    }
    return readQueued(redis, keys, "(" + offset, queued);
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
              // a draw's claims are counted from its frozen list
              if (queued.draw == null || claim.seq() < queued.draw.firstSeq() || claim.seq() > queued.draw.lastSeq()) {
                queued.add(claim);
              }
            }
          }
          return readQueued(redis, keys, "(" + lastId, queued);
        });
  }

}
