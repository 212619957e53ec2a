package claimgate.claim;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.store.Database;
import claimgate.testkit.TableStats;
import claimgate.testkit.TestServers;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A ticket's status read from PostgreSQL on the gateway's pool, first while the claim table is
 * empty and analyzed (a launch's first minute on a fresh database), then after the table has grown
 * by tens of thousands of claims with no analyze in between, as in the minute before autovacuum
 * comes. The gateway's connection keeps its prepared statement across both: each lookup must
 * still find its claim through the primary key, not by reading the table. This guards the status
 * page's cost at a launch, not an invariant: a scan answers the same.
 */
@ExtendWith(VertxExtension.class)
class StatusLookupPlansTest {

  private static final int CLAIMS = 50_000;
  private static final int LOOKUPS = 20;

  @Test
  @DisplayName("a status lookup prepared on an empty claim table reads its claim by key once the table has grown")
  void lookupsKeepToTheKey(Vertx vertx) {
    Database database = Database.fromUrl(TestServers.separateDatabase("status_lookups"));
    // the pool the gateway reads statuses with, one connection so that its prepared statement is reused
    Pool pool = database.keyLookupPool(vertx, 1);
    try {
      SqlConnection conn = pool.getConnection().await();
      try {
        TableStats.freshLaunch(conn, "plans", "claim");
        // more lookups than PostgreSQL plans for their arguments before it settles on one generic plan
        for (int i = 0; i < LOOKUPS; i++) {
          conn.preparedQuery(ClaimLookup.SELECT_OUTCOME).execute(Tuple.of("plans.t" + i)).await();
        }
        conn.query("""
            insert into claim (ticket, campaign_id, seq, stream_id, citizen_id, merchant_ids, charged_merchant, status,
                               reason, writer_epoch)
            select 'plans.t' || g, 'plans', g, '1-' || g, 'c' || g, 'm1', 'm1', 'rejected', 'sold_out', 1
            from generate_series(1, %d) g""".formatted(CLAIMS)).execute().await();
        TableStats before = TableStats.await(conn, "claim", stats -> stats.inserted() >= CLAIMS,
            "the statistics did not count the " + CLAIMS + " claims inserted");

        for (int i = 0; i < LOOKUPS; i++) {
          Row row = conn.preparedQuery(ClaimLookup.SELECT_OUTCOME).execute(Tuple.of("plans.t" + (i * 997 + 1))).await()
              .iterator().next();
          assertThat(row.getString("status")).isEqualTo("rejected");
        }
        conn.query("select 1").execute().await();
        // reported by the backend at its transactions' end; a scan would read every claim, 50,000 per lookup
        TableStats after = TableStats.await(conn, "claim", stats -> stats.scans() - before.scans() >= LOOKUPS,
            "the statistics did not count the lookups");
        assertThat(after.seqRowsRead() - before.seqRowsRead()).as(
            "claims read by sequential scans (%d scans) in %d lookups by ticket", after.seqScans() - before.seqScans(),
            LOOKUPS).isLessThan(CLAIMS);
        assertThat(after.indexScans() - before.indexScans()).as("lookups through the claim's key")
            .isGreaterThanOrEqualTo(LOOKUPS);
        // an index read whole (a join over every entry) is no lookup by key either: one claim each
        assertThat(after.indexRowsFetched() - before.indexRowsFetched()).as("claims fetched through indexes")
            .isLessThanOrEqualTo(2L * LOOKUPS);
      } finally {
        conn.close().await();
      }
    } finally {
      pool.close().await();
    }
  }
}
