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
 * redemption at a launch's first minute) reads the whole table per execution as it grows, until
 * autovacuum analyzes it, which it does only after 50 rows plus a tenth of the table changed and
 * its next round (a minute by default): 50,000 vouchers read per redemption in
 * {@code RedemptionPlansTest}. Each analyze here invalidates such plans in every session, so they
 * are made again for the table as it is. From {@link #SETTLED_ROWS} rows on, autovacuum's own
 * thresholds keep up and this does nothing more.
 *
 * <p>The analyze runs where the rows were inserted, after their transaction: a few milliseconds at
 * these sizes, some ten times per table's life. A role not allowed to analyze the table (not its
 * owner) gets a warning from PostgreSQL and nothing else; a failure is logged and forgotten.
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
  /** The rows the statistics counted when last read (-1 before the first read). */
  private long counted = -1;
  /** Rows inserted since then. */
  private long inserted;
  private boolean settled;

  /** @param table a table name of this schema (trusted: it is written into the statements) */
  public FreshStatistics(String table) {
    if (!table.matches("[a-z_]+")) {
      throw new IllegalArgumentException("not a table name: " + table);
    }
    this.table = table;
  }

  /** Notes {@code rows} committed into the table; analyzes it when it has doubled. Never fails. */
  public Future<Void> inserted(SqlClient sql, long rows) {
    if (settled || rows <= 0) {
      return Future.succeededFuture();
    }
    inserted += rows;
    if (counted >= 0 && inserted < Math.max(FIRST_ROWS, counted)) {
      return Future.succeededFuture();
    }
    // reltuples: -1 for a table never analyzed (PostgreSQL 14 on), 0 for one analyzed empty
    return sql.query("select greatest(reltuples, 0)::bigint from pg_class where oid = '" + table + "'::regclass")
        .execute()
        .compose(read -> {
          counted = read.iterator().next().getLong(0);
          if (counted >= SETTLED_ROWS) {
            settled = true;
            return Future.<Void>succeededFuture();
          }
          if (inserted < Math.max(FIRST_ROWS, counted)) {
            return Future.<Void>succeededFuture();
          }
          long grown = inserted;
          return sql.query("analyze " + table).execute().<Void>map(done -> {
            LOG.debug("{} analyzed: {} rows inserted since the statistics counted {}", table, grown, counted);
            counted += grown;
            inserted -= grown;
            settled = counted >= SETTLED_ROWS;
            return null;
          });
        })
        .otherwise(failure -> {
          LOG.warn("{} not analyzed after its first rows ({}): its plans wait for autovacuum", table, failure.getMessage());
          return null;
        });
  }
}
