package claimgate.allocation;

import claimgate.store.InvariantCheck;

import claimgate.campaign.Campaign;
import claimgate.ticket.Tickets;
import claimgate.redis.CampaignKeys;
import claimgate.redis.RedisRestore;
import claimgate.redis.StreamEntries;
import claimgate.redis.PipelinedRedis;
import claimgate.testkit.TestServers;
import claimgate.voucher.VoucherCodes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Real Redis and PostgreSQL, a campaign, and a feeder that appends claims to the campaign's
 * stream the way the admission script does (bypassing its caps, so the allocator alone must hold
 * the invariants), plus the invariant checks every allocator test runs.
 */
final class AllocatorFixture {

  static final VoucherCodes CODES = VoucherCodes.fromSpec(VoucherCodes.newKeySpec(1, new SecureRandom()));
  static final Tickets TICKETS = new Tickets(CODES);

  final Vertx vertx;
  final PipelinedRedis redis;
  final Pool pool;

  AllocatorFixture(Vertx vertx) {
    TestServers.get();
    this.vertx = vertx;
    this.redis = new PipelinedRedis(vertx, TestServers.redisUrl());
    this.pool = TestServers.database().pool(vertx, 2);
  }

  AllocatorConfig config() {
    return AllocatorConfig.of(TestServers.redisUrl(), TestServers.database(), CODES).withBlockMs(20).withElectionRetryMs(200).withDiscoveryMs(100);
  }

  /** Stores a new campaign and opens its gate, as the admin API does ({@link RedisRestore#create}). */
  void apply(Campaign campaign) {
    RedisRestore.create(pool, redis, campaign, Optional.empty()).await();
  }

  void apply(Campaign campaign, Map<String, Integer> eligible) {
    RedisRestore.create(pool, redis, campaign, Optional.of(eligible)).await();
  }

  /** A claim to feed: who, which merchants, and optionally the admission time. */
  record Claim(String citizenId, List<String> merchantIds, Long atMs) {
    Claim(String citizenId, List<String> merchantIds) {
      this(citizenId, merchantIds, null);
    }
  }

  /**
   * Appends claims in order, one stream entry each, in the generation the campaign's Redis
   * state is in; returns their tickets.
   */
  List<String> feed(String campaignId, List<Claim> claims) {
    return feed(campaignId, claims, 0);
  }

  /** The same into the pre-queue of the opening at {@code prequeuedFor} (0: none), as admission writes it. */
  List<String> feed(String campaignId, List<Claim> claims, long prequeuedFor) {
    CampaignKeys keys = new CampaignKeys(campaignId);
    long generation = Long.parseLong(redis.send(Request.cmd(Command.HGET).arg(keys.config()).arg(CampaignKeys.GENERATION)).await().toString());
    List<String> tickets = new ArrayList<>();
    List<Future<Response>> writes = new ArrayList<>();
    for (Claim claim : claims) {
      long seq = redis.send(Request.cmd(Command.HINCRBY).arg(keys.config()).arg(CampaignKeys.SEQ).arg(1)).await().toLong();
      tickets.add(TICKETS.issue(campaignId, generation, seq));
      String id = claim.atMs() == null ? "*" : claim.atMs() + "-" + seq;
      writes.add(redis.send(StreamEntries.append(keys, id, generation, seq, List.of(new StreamEntries.Line(
          claim.citizenId(), claim.merchantIds(), claim.merchantIds().get(0), null)), prequeuedFor)));
    }
    Future.all(writes).await();
    return tickets;
  }

  long decidedSeq(String campaignId) {
    return pool.preparedQuery("select decided_seq from campaign where id = $1").execute(Tuple.of(campaignId))
        .await().iterator().next().getLong(0);
  }

  long claimRows(String campaignId) {
    return pool.preparedQuery("select count(*) from claim where campaign_id = $1").execute(Tuple.of(campaignId))
        .await().iterator().next().getLong(0);
  }

  /** Waits until PostgreSQL has a decision for {@code count} claims. */
  void awaitDecided(String campaignId, long count, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (claimRows(campaignId) < count) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("only " + claimRows(campaignId) + " of " + count + " claims decided in " + timeoutMs + " ms");
      }
      vertx.timer(20).await();
    }
  }

  /** Waits until Redis has published the outcome of the claim with seq {@code seq}. */
  void awaitPublished(String campaignId, long seq, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (publishedSeq(campaignId) < seq) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("published seq " + publishedSeq(campaignId) + " never reached " + seq);
      }
      vertx.timer(20).await();
    }
  }

  long publishedSeq(String campaignId) {
    Response r = redis.send(Request.cmd(Command.HGET).arg(new CampaignKeys(campaignId).config()).arg(CampaignKeys.DECIDED)).await();
    return r == null ? 0 : Long.parseLong(r.toString());
  }

  /** Outcome per ticket from PostgreSQL: "confirmed:merchant" or "rejected:reason". */
  Map<String, String> outcomes(String campaignId) {
    Map<String, String> out = new HashMap<>();
    for (Row r : pool.preparedQuery("""
        select c.ticket, c.status, c.reason, v.merchant_id from claim c left join voucher v on v.ticket = c.ticket
        where c.campaign_id = $1""").execute(Tuple.of(campaignId)).await()) {
      out.put(r.getString(0), r.getString(1).equals("confirmed") ? "confirmed:" + r.getString(3) : "rejected:" + r.getString(2));
    }
    return out;
  }

  /** Outcome per ticket as published in Redis, in the same form. */
  Map<String, String> publishedOutcomes(String campaignId) {
    Response all = redis.send(Request.cmd(Command.HGETALL).arg(new CampaignKeys(campaignId).outcomes())).await();
    Map<String, String> out = new HashMap<>();
    for (String ticket : all.getKeys()) {
      io.vertx.core.json.JsonObject o = new io.vertx.core.json.JsonObject(all.get(ticket).toString());
      out.put(ticket, o.getString("status").equals("confirmed")
          ? "confirmed:" + o.getJsonObject("voucher").getString("merchantId") : "rejected:" + o.getString("reason"));
    }
    return out;
  }

  /**
   * The invariant check every suite and the drill use ({@link InvariantCheck}), every fed
   * ticket decided exactly once, and the campaign's public log verified as anyone would verify
   * it: its chain, and every decision replayed by the rules the allocator stated.
   */
  void checkInvariants(Campaign campaign, List<String> fedTickets) {
    List<String> breaches = new InvariantCheck(pool, redis).check(campaign.id(), false).await();
    if (!breaches.isEmpty()) {
      throw new AssertionError(String.join("; ", breaches));
    }
    Map<String, String> outcomes = outcomes(campaign.id());
    if (outcomes.size() != fedTickets.size() || !outcomes.keySet().containsAll(fedTickets)) {
      throw new AssertionError("decided " + outcomes.size() + " claims for " + fedTickets.size() + " fed");
    }
    claimgate.verify.LogVerifier.Result log = claimgate.verify.LogVerifier.ofCampaign(pool, campaign.id()).await();
    if (!log.ok()) {
      throw new AssertionError("the public log of " + campaign.id() + " does not verify: record " + log.index() + ": "
          + log.message());
    }
    if (!Long.valueOf(outcomes.size()).equals(log.figures().get("admissions"))) {
      throw new AssertionError("the log admits " + log.figures().get("admissions") + " claims; " + outcomes.size() + " were decided");
    }
  }
}
