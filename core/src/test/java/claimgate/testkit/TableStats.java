package claimgate.testkit;

import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import java.util.function.Predicate;

/**
 * How PostgreSQL's statistics collector counts a table's rows and scans: for tests that tell how a
 * statement reached its rows (through an index, or by reading the whole table). A backend reports
 * its counts after its transactions, a little late: {@link #await} reads until they show.
 *
 * <pre>
 *   TableStats before = TableStats.await(conn, "claim", s -> s.inserted() >= 1_000, "claims not counted");
 *   ... the statements under test ...
 *   TableStats after = TableStats.await(conn, "claim", s -> s.scans() - before.scans() >= 20, "lookups not counted");
 *   assertThat(after.seqRowsRead() - before.seqRowsRead()).isLessThan(1_000);
 * </pre>
 */
public record TableStats(long inserted, long seqScans, long seqRowsRead, long indexScans, long indexRowsFetched) {

  /** Scans of either kind. */
  public long scans() {
    return seqScans + indexScans;
  }

  /**
   * The start of a launch on a fresh database, for a plan test in a database of its own: no claims
   * and no vouchers, campaign {@code campaignId}, both tables analyzed so, and no autovacuum on
   * {@code table} (its analyze would replan the statements under test and hide what a launch's
   * first minute meets).
   */
  public static void freshLaunch(SqlConnection conn, String campaignId, String table) {
    conn.query("delete from voucher").execute().await();
    conn.query("delete from claim").execute().await();
    conn.query("insert into campaign (id, document) values ('" + campaignId + "', '{}') on conflict do nothing").execute()
        .await();
    conn.query("alter table " + table + " set (autovacuum_enabled = false)").execute().await();
    conn.query("vacuum analyze claim").execute().await();
    conn.query("vacuum analyze voucher").execute().await();
  }

  /** The table's counts now, as this session's snapshot sees them once cleared. */
  public static TableStats read(SqlConnection conn, String table) {
    conn.query("select pg_stat_clear_snapshot()").execute().await();
    Row row = conn.query("select n_tup_ins, seq_scan, seq_tup_read, coalesce(idx_scan, 0), coalesce(idx_tup_fetch, 0) "
        + "from pg_stat_user_tables where relname = '" + table + "'").execute().await().iterator().next();
    return new TableStats(row.getLong(0), row.getLong(1), row.getLong(2), row.getLong(3), row.getLong(4));
  }

  /** The counts once {@code reported} holds of them; fails with {@code failure} after 20 s. */
  public static TableStats await(SqlConnection conn, String table, Predicate<TableStats> reported, String failure) {
    long deadline = System.currentTimeMillis() + 20_000;
    while (true) {
      TableStats stats = read(conn, table);
      if (reported.test(stats)) {
        return stats;
      }
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError(failure + " (" + stats + ")");
      }
      conn.query("select pg_sleep(0.2)").execute().await();
    }
  }
}
