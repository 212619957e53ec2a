package claimgate.store;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignStore;
import claimgate.redis.CampaignState;
import claimgate.redis.PipelinedRedis;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks a campaign against the invariants (docs/architecture.md) from what PostgreSQL and Redis hold, after a
 * load test, a drill or a launch: each breach is named; none means the campaign is sound.
 *
 * <pre>
 *   List&lt;String&gt; breaches = new InvariantCheck(pool, redis).check("palma-2027", true).await();
 * </pre>
 */
public final class InvariantCheck {

  /** Claims admitted this long after the audit time of a pause are breaches (the flag is set in Redis after the audit row). */
  static final long PAUSE_GRACE_MS = 1_000;

  /** A voucher holds its stock and its citizen's slot unless its revocation freed them (withdrawal, mistake). */
  static final String OVERSOLD = """
      select m.id, m.issued, m.released, m.contingent,
             (select count(*) from voucher v where v.campaign_id = m.campaign_id and v.merchant_id = m.id
                and v.citizen_slot is not null) as vouchers
      from merchant m where m.campaign_id = $1
        and (m.issued > m.released or m.released > m.contingent
             or m.issued <> (select count(*) from voucher v where v.campaign_id = m.campaign_id and v.merchant_id = m.id
                               and v.citizen_slot is not null))""";
  static final String OVER_CITIZEN_LIMIT = """
      select citizen_id, count(*) from voucher where campaign_id = $1 and citizen_slot is not null
      group by citizen_id having count(*) > $2""";
  static final String OVER_MERCHANT_LIMIT = """
      select citizen_id, merchant_id, count(*) from voucher where campaign_id = $1 and citizen_slot is not null
      group by citizen_id, merchant_id having count(*) > $2""";
  static final String DECIDED_TWICE = """
      select seq, count(*) from claim where campaign_id = $1 group by seq having count(*) > 1""";
  /** A confirmed claim has exactly its voucher, a rejected one none. */
  static final String CONFIRMED_WITHOUT_VOUCHER = """
      select c.ticket, c.status from claim c left join voucher v on v.ticket = c.ticket
      where c.campaign_id = $1 and (c.status = 'confirmed') <> (v.code is not null)""";
  static final String BAD_REDEMPTIONS = """
      select code, redeemed_at, revoked_at, expires_at from voucher where campaign_id = $1 and redeemed_at is not null
        and ((revoked_at is not null and revoked_at < redeemed_at) or redeemed_at >= expires_at)""";
  static final String PAUSES = """
      select action, (extract(epoch from at) * 1000)::bigint from audit
      where campaign_id = $1 and action in ('campaign.pause', 'campaign.archive', 'campaign.resume') order by id""";
  static final String ADMITTED_BETWEEN = """
      select ticket from claim where campaign_id = $1
        and split_part(stream_id, '-', 1)::bigint > $2 and split_part(stream_id, '-', 1)::bigint < $3""";
  static final String DECIDED_SEQ = "select decided_seq from campaign where id = $1";

  private final Pool pool;
  private final PipelinedRedis redis;

  public InvariantCheck(Pool pool, PipelinedRedis redis) {
    this.pool = pool;
    this.redis = redis;
  }

  /**
   * @param requireFinal every admitted claim must be decided by now (after a run has drained),
   *     else undecided claims are only counted
   */
  public Future<List<String>> check(String campaignId, boolean requireFinal) {
    List<String> breaches = new ArrayList<>();
    Tuple id = Tuple.of(campaignId);
    return new CampaignStore(pool).load(campaignId).compose(found -> {
      if (found.isEmpty()) {
        return Future.failedFuture(new IllegalArgumentException("no campaign " + campaignId));
      }
      Campaign c = found.get();
      return query(OVERSOLD, id, rows -> rows.forEach(r -> breaches.add("invariant 1: merchant " + r.getString(0)
              + " issued " + r.getInteger(1) + " of " + r.getInteger(2) + " released (" + r.getInteger(3)
              + " contingent, " + r.getLong(4) + " vouchers)")))
          .compose(v -> query(OVER_CITIZEN_LIMIT, Tuple.of(campaignId, c.limits().perCitizen()), rows -> rows.forEach(r ->
              breaches.add("invariant 6: citizen " + r.getString(0) + " holds " + r.getLong(1) + " vouchers"))))
          .compose(v -> query(OVER_MERCHANT_LIMIT, Tuple.of(campaignId, c.limits().perCitizenPerMerchant()), rows -> rows.forEach(r ->
              breaches.add("invariant 6: citizen " + r.getString(0) + " holds " + r.getLong(2) + " of merchant " + r.getString(1)))))
          .compose(v -> query(DECIDED_TWICE, id, rows -> rows.forEach(r ->
              breaches.add("invariant 3: claim seq " + r.getLong(0) + " decided " + r.getLong(1) + " times"))))
          .compose(v -> query(CONFIRMED_WITHOUT_VOUCHER, id, rows -> rows.forEach(r ->
              breaches.add("invariant 2: ticket " + r.getString(0) + " " + r.getString(1)
                  + (r.getString(1).equals("confirmed") ? " without a voucher" : " with a voucher")))))
          .compose(v -> query(BAD_REDEMPTIONS, id, rows -> rows.forEach(r ->
              breaches.add("invariant 7: voucher " + r.getString(0) + " redeemed at " + r.getValue(1)
                  + " though revoked at " + r.getValue(2) + " or expired at " + r.getValue(3)))))
          .compose(v -> admittedWhilePaused(campaignId, breaches))
          .compose(v -> undecided(campaignId, requireFinal, breaches))
          .map(v -> breaches);
    });
  }

  /** Invariant 4: no claim admitted (Redis time in its stream id) while the campaign was paused. */
  private Future<Void> admittedWhilePaused(String campaignId, List<String> breaches) {
    return pool.preparedQuery(PAUSES).execute(Tuple.of(campaignId)).compose(rows -> {
      List<Future<?>> checks = new ArrayList<>();
      Long pausedAt = null;
      List<long[]> windows = new ArrayList<>();
      for (Row r : rows) {
        // archiving pauses for good
        if ((r.getString(0).equals("campaign.pause") || r.getString(0).equals("campaign.archive")) && pausedAt == null) {
          pausedAt = r.getLong(1);
        } else if (r.getString(0).equals("campaign.resume") && pausedAt != null) {
          windows.add(new long[] {pausedAt + PAUSE_GRACE_MS, r.getLong(1)});
          pausedAt = null;
        }
      }
      if (pausedAt != null) {
        windows.add(new long[] {pausedAt + PAUSE_GRACE_MS, Long.MAX_VALUE});
      }
      for (long[] w : windows) {
        checks.add(query(ADMITTED_BETWEEN, Tuple.of(campaignId, w[0], w[1]), found -> found.forEach(t ->
            breaches.add("invariant 4: ticket " + t.getString(0) + " admitted while paused"))));
      }
      return Future.all(checks).mapEmpty();
    });
  }

  /** Invariant 8: admitted claims the allocator has not decided yet. */
  private Future<Void> undecided(String campaignId, boolean requireFinal, List<String> breaches) {
    Future<CampaignState> admitted = CampaignState.read(redis, campaignId);
    Future<RowSet<Row>> decided = pool.preparedQuery(DECIDED_SEQ).execute(Tuple.of(campaignId));
    return Future.all(admitted, decided).map(both -> {
      long admittedSeq = admitted.result().seq();
      long decidedSeq = decided.result().iterator().next().getLong(0);
      if (requireFinal && admittedSeq > decidedSeq) {
        breaches.add("invariant 8: " + (admittedSeq - decidedSeq) + " admitted claims are not decided");
      }
      return null;
    });
  }

  private Future<Void> query(String sql, Tuple args, java.util.function.Consumer<RowSet<Row>> onRows) {
    return pool.preparedQuery(sql).execute(args).map(rows -> {
      onRows.accept(rows);
      return null;
    });
  }

  /** Runs the check from a plain thread (the CLI, a drill). */
  public static List<String> run(String redisUrl, Database database, String campaignId, boolean requireFinal) {
    Vertx vertx = Vertx.vertx();
    Pool pool = database.pool(vertx, 1);
    PipelinedRedis redis = new PipelinedRedis(vertx, redisUrl);
    try {
      return new InvariantCheck(pool, redis).check(campaignId, requireFinal).await();
    } finally {
      redis.close().await();
      pool.close().await();
      vertx.close().await();
    }
  }
}
