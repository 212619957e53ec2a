package claimgate.redemption;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.store.Database;
import claimgate.testkit.TableStats;
import claimgate.testkit.TestServers;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The redemptions at the till on the gateway's pool, first while the voucher table is empty and
 * analyzed (a till that tried a code before the launch's vouchers landed), then after the table
 * has grown by tens of thousands of vouchers with no analyze in between, as in the minute before
 * autovacuum comes. The connection keeps its prepared statement across both: each redemption
 * must still find its voucher through the key, not by reading the table. This guards the till's
 * cost in the first minutes of redeeming, not an invariant: a scan redeems the same.
 */
@ExtendWith(VertxExtension.class)
class RedemptionPlansTest {

  private static final int VOUCHERS = 50_000;
  private static final int REDEMPTIONS = 20;

  @Test
  @DisplayName("a redemption prepared on an empty voucher table finds its voucher by key once the table has grown")
  void redemptionsKeepToTheKey(Vertx vertx) {
    Database database = Database.fromUrl(TestServers.separateDatabase("redemption_plans"));
    // the pool the gateway redeems with, one connection so that its prepared statement is reused
    Pool pool = database.keyLookupPool(vertx, 1);
    try {
      SqlConnection conn = pool.getConnection().await();
      try {
        TableStats.freshLaunch(conn, "plans", "voucher");
        conn.query("""
            insert into merchant (campaign_id, id, ordinal, name, contingent) values ('plans', 'm1', 0, 'Shop', %d)
            on conflict do nothing""".formatted(VOUCHERS)).execute().await();
        // more redemptions than PostgreSQL plans for their arguments before it settles on one generic plan
        for (int i = 0; i < REDEMPTIONS; i++) {
          assertThat(redeem(conn, "PLANS" + i)).isEmpty();
        }
        conn.query("""
            insert into claim (ticket, campaign_id, seq, stream_id, citizen_id, merchant_ids, charged_merchant, status,
                               reason, writer_epoch)
            select 'plans.t' || g, 'plans', g, '1-' || g, 'c' || g, 'm1', 'm1', 'rejected', 'sold_out', 1
            from generate_series(1, %d) g""".formatted(VOUCHERS)).execute().await();
        conn.query("""
            insert into voucher (code, campaign_id, merchant_id, citizen_id, ticket, serial, citizen_slot, citizen_limit,
                                 merchant_slot, merchant_limit, value, currency, issued_at, expires_at)
            select 'PLANS' || g, 'plans', 'm1', 'c' || g, 'plans.t' || g, g, 1, 9, 1, 3, 10, 'EUR', now(),
                   now() + interval '30 days'
            from generate_series(1, %d) g""".formatted(VOUCHERS)).execute().await();
        TableStats before = TableStats.await(conn, "voucher", stats -> stats.inserted() >= VOUCHERS,
            "the statistics did not count the " + VOUCHERS + " vouchers inserted");

        for (int i = 0; i < REDEMPTIONS; i++) {
          assertThat(redeem(conn, "PLANS" + (i * 997 + 1))).as("redeemed once").hasSize(1);
        }
        conn.query("select 1").execute().await();
        // reported by the backend at its transactions' end; a scan would read every voucher per redemption
        TableStats after = TableStats.await(conn, "voucher", stats -> stats.scans() - before.scans() >= REDEMPTIONS,
            "the statistics did not count the redemptions");
        assertThat(after.seqRowsRead() - before.seqRowsRead()).as(
            "vouchers read by sequential scans (%d scans) in %d redemptions", after.seqScans() - before.seqScans(),
            REDEMPTIONS).isLessThan(VOUCHERS);
        assertThat(after.indexScans() - before.indexScans()).as("redemptions through the voucher's key")
            .isGreaterThanOrEqualTo(REDEMPTIONS);
      } finally {
        conn.close().await();
      }
    } finally {
      pool.close().await();
    }
  }

  /** The till's statement for one code: the rows it redeemed. */
  private static RowSet<Row> redeem(SqlConnection conn, String code) {
    return conn.preparedQuery(Vouchers.REDEEM_NOW).execute(Tuple.of(new String[] {code}, new String[] {"plans"},
        new String[] {"m1"}, new String[] {"k:plans"}, new Integer[] {0})).await();
  }
}
