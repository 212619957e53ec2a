package claimgate.redemption;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.store.Database;
import claimgate.store.FreshStatistics;
import claimgate.testkit.TableStats;
import claimgate.testkit.TestServers;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A till's redemption on the gateway's pool, prepared while the voucher table is empty and
 * analyzed (a launch's first minute on a fresh database), then executed after the table has
 * filled by tens of thousands of vouchers in the allocator's batches, with no autovacuum in
 * between. The gateway's connection keeps its prepared statement across both. With the writer
 * keeping the table's statistics fresh ({@link FreshStatistics}, as the allocator's batches do),
 * each redemption finds its voucher by code; without, it reads the table. This guards the tills'
 * cost at a launch, not an invariant: a scan answers the same.
 */
@ExtendWith(VertxExtension.class)
class RedemptionPlansTest {

  private static final int VOUCHERS = 50_000;
  private static final int BATCH = 1_000;
  private static final int REDEMPTIONS = 20;

  @Test
  @DisplayName("a redemption prepared on an empty voucher table reads its voucher by code once the writer's batches filled it")
  void redemptionsKeepToTheCode(Vertx vertx) {
    TableStats[] counts = fill(vertx, "redemption_plans", true);
    TableStats before = counts[0];
    TableStats after = counts[1];
    assertThat(after.seqRowsRead() - before.seqRowsRead()).as(
        "vouchers read by sequential scans (%d scans) in %d redemptions", after.seqScans() - before.seqScans(),
        REDEMPTIONS).isLessThan(VOUCHERS);
    // an index read whole (a join over a shop's every voucher) is no lookup by code either
    assertThat(after.indexRowsFetched() - before.indexRowsFetched()).as("vouchers fetched through indexes")
        .isLessThanOrEqualTo(2L * REDEMPTIONS);
  }

  /** The fault itself, as PostgreSQL 14's planner makes it: should a later planner avoid it, this says so. */
  @Test
  @DisplayName("without fresh statistics the same redemption reads the whole table: the fault the writer's analyzes prevent")
  void withoutThemTheyScan(Vertx vertx) {
    TableStats[] counts = fill(vertx, "redemption_plans_stale", false);
    // planned for an empty table, it walks the shop's index (or reads the table): every voucher, each time
    long read = counts[1].seqRowsRead() - counts[0].seqRowsRead() + counts[1].indexRowsFetched()
        - counts[0].indexRowsFetched();
    assertThat(read).as("vouchers read in %d redemptions", REDEMPTIONS).isGreaterThanOrEqualTo((long) VOUCHERS * REDEMPTIONS / 2);
  }

  /** The voucher table's counts before and after the redemptions. */
  private static TableStats[] fill(Vertx vertx, String databaseName, boolean freshStatistics) {
    Database database = Database.fromUrl(TestServers.separateDatabase(databaseName));
    // the pool the gateway redeems on, one connection so that its prepared statement is reused
    Pool pool = database.pool(vertx, 1);
    Pool writerPool = database.pool(vertx, 1);
    try {
      SqlConnection till = pool.getConnection().await();
      SqlConnection writer = writerPool.getConnection().await();
      try {
        TableStats.freshLaunch(writer, "plans", "voucher");
        writer.query("insert into merchant (campaign_id, id, ordinal, name, contingent, released, issued) "
            + "values ('plans', 'm1', 1, 'Shop', " + VOUCHERS + ", " + VOUCHERS + ", 0) on conflict do nothing").execute().await();
        // more redemptions than PostgreSQL plans for their arguments before it settles on one generic plan
        TableStats initial = TableStats.read(till, "voucher");
        for (int i = 0; i < REDEMPTIONS; i++) {
          redeem(till, "PLANS-" + i);
        }
        // counted before the table fills, so that they do not pass for the redemptions measured below
        TableStats.await(till, "voucher", stats -> stats.scans() - initial.scans() >= REDEMPTIONS,
            "the first redemptions were not counted");
        FreshStatistics statistics = new FreshStatistics("voucher");
        for (int from = 1; from <= VOUCHERS; from += BATCH) {
          int to = from + BATCH - 1;
          writer.query("""
              insert into claim (ticket, campaign_id, seq, stream_id, citizen_id, merchant_ids, charged_merchant, status,
                                 reason, writer_epoch)
              select 'plans.t' || g, 'plans', g, '1-' || g, 'c' || g, 'm1', 'm1', 'rejected', 'sold_out', 1
              from generate_series(%d, %d) g""".formatted(from, to)).execute().await();
          writer.query("""
              insert into voucher (code, campaign_id, merchant_id, citizen_id, ticket, serial, citizen_slot, citizen_limit,
                                   merchant_slot, merchant_limit, value, currency, issued_at, expires_at)
              select 'PLANS-' || g, 'plans', 'm1', 'c' || g, 'plans.t' || g, g, 1, 9, 1, 3, 10, 'EUR', now(),
                     now() + interval '1 day'
              from generate_series(%d, %d) g""".formatted(from, to)).execute().await();
          if (freshStatistics) {
            statistics.inserted(writer, BATCH).await();
          }
        }
        // each backend reports its counts at the end of a transaction, at most every half second (PostgreSQL 14): a
        // backend gone idle holds its last ones back, so each is read on the connection that made them
        TableStats.await(writer, "voucher", stats -> stats.inserted() >= VOUCHERS,
            "the statistics did not count the " + VOUCHERS + " vouchers inserted");
        TableStats before = TableStats.read(till, "voucher");
        for (int i = 0; i < REDEMPTIONS; i++) {
          assertThat(redeem(till, "PLANS-" + (i * 997 + 1))).as("redeemed").isEqualTo(1);
        }
        TableStats after = TableStats.await(till, "voucher", stats -> stats.scans() - before.scans() >= REDEMPTIONS,
            "the statistics did not count the redemptions");
        return new TableStats[] {before, after};
      } finally {
        till.close().await();
        writer.close().await();
      }
    } finally {
      pool.close().await();
      writerPool.close().await();
    }
  }

  /** One redemption now at shop m1, as a batch of one: the vouchers it took. */
  private static int redeem(SqlConnection till, String code) {
    return till.preparedQuery(Vouchers.REDEEM_NOW).execute(Tuple.of(new String[] {code}, new String[] {"plans"},
        new String[] {"m1"}, new String[] {"request-" + code}, new Integer[] {0})).await().size();
  }
}
