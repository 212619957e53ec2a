package claimgate.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the planner's statistics of a table that fills from empty current through its first
 * thousands of rows, by analyzing it each time it has doubled since the statistics counted it.
 *
 * <p>PostgreSQL plans a prepared statement once for all its arguments and keeps that plan until
 * the table is analyzed again. A statement prepared while the table was empty (a gateway's
 * redemption at a launch's first minute) walks a whole index or reads the whole table per
 * execution as it grows, until autovacuum analyzes it, which it does only after 50 rows plus a
 * tenth of the table changed and its next round (a minute by default): 500,000 vouchers read in
 * 20 redemptions in {@code RedemptionPlansTest}. Each analyze here invalidates such plans in every
 * session, so they are made again for the table as it is. While the statistics count
 * {@link #SETTLED_ROWS} rows or more, autovacuum's own thresholds keep up and this only reads the
 * count again after every {@link #SETTLED_ROWS} rows of this writer (a table emptied since, say of
 * a warm-up's rows, is then looked after again).
 *
 * <p>The analyze runs where the rows were inserted, after their transaction, and never waits for
 * a lock ({@code SKIP_LOCKED}: an autovacuum or another writer's analyze of the table under way is
 * left to do the work): a few milliseconds at these sizes, some ten times per table's life. What
 * the statistics count is read again afterwards, so an analyze skipped, or refused to a role that
 * does not own the table (PostgreSQL warns and goes on), is tried again only once the table has
 * doubled again. A failed statement stops this writer's analyzes: it is logged once, and the
 * table is left to autovacuum.
 *
 * <p>Not thread-safe: one per writer.
 */
public final class FreshStatistics {

  private static final Logger LOG = LoggerFactory.getLogger(FreshStatistics.class);

  /** From this many rows counted on, the table is left to autovacuum. */
  public static final long SETTLED_ROWS = 10_000;
  /** The first analyze waits for this many rows: plans for a table of a handful are no guide. */
  static final long FIRST_ROWS = 100;

  private final String table;
  private final String count;
  /** The rows the statistics counted when last read (-1 before the first read). */
  private long counted = -1;
  /** Rows this writer inserted since then. */
  private long inserted;
  private boolean failed;

  /** @param table a table name of this schema (trusted: it is written into the statements) */
  public FreshStatistics(String table) {
    if (!table.matches("[a-z_]+")) {
      throw new IllegalArgumentException("not a table name: " + table);
    }
    this.table = table;
    // reltuples: -1 for a table never analyzed (PostgreSQL 14 on), 0 for one analyzed empty
    this.count = "select greatest(reltuples, 0)::bigint from pg_class where oid = '" + table + "'::regclass";
  }

  /** Notes {@code rows} committed into the table; analyzes it when it has doubled. Never fails. */
  public Future<Void> inserted(SqlClient sql, long rows) {
    if (failed || rows <= 0) {
      return Future.succeededFuture();
    }
    inserted += rows;
    if (counted >= 0 && inserted < threshold(counted)) {
      return Future.succeededFuture();
    }
    boolean first = counted < 0;
    return readCount(sql)
        .compose(now -> {
          if (now >= SETTLED_ROWS || inserted < threshold(now)) {
            counted = now;
            // the rows inserted before a first read are not in its count; later ones are, or soon will be
            inserted = first ? inserted : 0;
            return Future.<Void>succeededFuture();
          }
          long grown = inserted;
          return sql.query("analyze (skip_locked) " + table).execute()
              .compose(done -> readCount(sql))
              .<Void>map(after -> {
                LOG.debug("{} analyzed after {} rows inserted: the statistics counted {}, now {}", table, grown, now, after);
                counted = after;
                inserted = 0;
                return null;
              });
        })
        .otherwise(failure -> {
          failed = true;
          LOG.warn("{} is no longer analyzed as it fills ({}): its plans wait for autovacuum", table, failure.getMessage());
          return null;
        });
  }

  /**
   * The rows after which the count is read again: as many as it counted (the table doubled), at
   * least {@link #FIRST_ROWS}, at most {@link #SETTLED_ROWS} (a table emptied since is seen).
   */
  private static long threshold(long counted) {
    return Math.max(FIRST_ROWS, Math.min(counted, SETTLED_ROWS));
  }

  private Future<Long> readCount(SqlClient sql) {
    return sql.query(count).execute().map(rows -> rows.iterator().next().getLong(0));
  }
}
