package claimgate.store;

import claimgate.campaign.Campaign;

import claimgate.redis.CampaignKeys;
import claimgate.redis.RedisRestore;
import claimgate.redis.PipelinedRedis;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.math.BigDecimal;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * A campaign that exists only while a process warms up: its hot paths run against the real Redis
 * and PostgreSQL before the process reports ready, and then every trace of it is removed. Ids
 * start with {@value #PREFIX}, which operators cannot use; allocators do not lead scratch
 * campaigns they did not make, and the public list leaves them out.
 */
public final class ScratchCampaign {

  public static final String PREFIX = Campaign.SCRATCH_PREFIX;
  /** Shops of the scratch campaign, named as the example campaign's are. */
  public static final int MERCHANTS = 300;

  private static final List<String> DELETES = List.of(
      "delete from voucher where campaign_id = $1",
      "delete from claim where campaign_id = $1",
      "delete from eligible where campaign_id = $1",
      "delete from merchant_key where campaign_id = $1",
      "delete from merchant where campaign_id = $1",
      "delete from redis_generation where campaign_id = $1",
      "delete from audit where campaign_id = $1",
      "delete from decision_log_block where campaign_id = $1",
      "delete from decision_log_head where campaign_id = $1",
      "delete from campaign where id = $1");

  private ScratchCampaign() {}

  /** A fresh scratch campaign: open for an hour, stock and rates that never run out or throttle. */
  public static Campaign create() {
    byte[] random = new byte[4];
    new SecureRandom().nextBytes(random);
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    List<Campaign.Merchant> merchants = new ArrayList<>();
    for (int i = 0; i < MERCHANTS; i++) {
      merchants.add(new Campaign.Merchant(merchantId(i), "Scratch shop " + i, 1_000_000_000));
    }
    return new Campaign(PREFIX + HexFormat.of().formatHex(random), "Warm-up (removed before the process is ready)",
        "EUR", new BigDecimal("10.00"), 1, new Campaign.Limits(9, 3), null,
        new Campaign.Admission(1_000_000_000, 1_000_000_000, 3, 1_000_000.0, 1_000_000_000, 1_000_000_000),
        List.of(new Campaign.Round(now.minusMinutes(1), now.plusHours(1), 1.0)), List.copyOf(merchants));
  }

  public static String merchantId(int i) {
    return String.format("m%03d", i);
  }

  /** Removes what dead warm-ups left, stores it in PostgreSQL and opens its gate in Redis. */
  public static Future<Void> install(Pool pool, PipelinedRedis redis, Campaign campaign) {
    return removeStale(pool, redis)
        .compose(v -> RedisRestore.create(pool, redis, campaign, Optional.empty()))
        .mapEmpty();
  }

  /**
   * Removes scratch campaigns a process left behind when it died warming up: those older than
   * any warm-up lasts (ten minutes); a warm-up running elsewhere now is younger.
   */
  public static Future<Void> removeStale(Pool pool, PipelinedRedis redis) {
    return pool.query(STALE).execute().compose(rows -> {
      Future<Void> chain = Future.succeededFuture();
      for (var row : rows) {
        String id = row.getString(0);
        chain = chain.compose(v -> remove(pool, redis, id));
      }
      return chain;
    });
  }

  private static final String STALE = "select id from campaign where starts_with(id, '" + Campaign.SCRATCH_PREFIX
      + "') and created_at < now() - interval '10 minutes'";

  /** Removes every row and key of it. */
  public static Future<Void> remove(Pool pool, PipelinedRedis redis, String campaignId) {
    if (!Campaign.isScratch(campaignId)) {
      return Future.failedFuture(new IllegalArgumentException(campaignId + " is not a scratch campaign"));
    }
    Request unlink = Request.cmd(Command.UNLINK);
    new CampaignKeys(campaignId).all().forEach(unlink::arg);
    return pool.withTransaction(conn -> {
          Future<?> chain = Future.succeededFuture();
          for (String delete : DELETES) {
            chain = chain.compose(v -> conn.preparedQuery(delete).execute(Tuple.of(campaignId)));
          }
          return chain;
        })
        .compose(deleted -> redis.send(unlink))
        .mapEmpty();
  }
}
