package claimgate.store;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.testkit.TestServers;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** When {@link FreshStatistics} analyzes a filling table: told by the rows the planner counts ({@code reltuples}). */
@ExtendWith(VertxExtension.class)
class FreshStatisticsTest {

  @Test
  @DisplayName("a filling table is analyzed from its first 100 rows on each time it doubled, left to autovacuum from 10,000, and looked after again once emptied")
  void analyzesAsTheTableDoubles(Vertx vertx) {
    Pool pool = Database.fromUrl(TestServers.separateDatabase("fresh_statistics")).pool(vertx, 1);
    try {
      SqlConnection conn = pool.getConnection().await();
      try {
        conn.query("drop table if exists fresh_probe").execute().await();
        conn.query("create table fresh_probe (x int)").execute().await();
        conn.query("alter table fresh_probe set (autovacuum_enabled = false)").execute().await();
        FreshStatistics statistics = new FreshStatistics("fresh_probe");

        assertThat(insert(conn, statistics, 50)).as("50 rows: too few to plan by").isEqualTo(-1);
        assertThat(insert(conn, statistics, 60)).as("110 rows: analyzed").isEqualTo(110);
        assertThat(insert(conn, statistics, 50)).as("160 rows: not doubled since").isEqualTo(110);
        assertThat(insert(conn, statistics, 100)).as("260 rows: doubled").isEqualTo(260);
        assertThat(insert(conn, statistics, 10_000)).as("10,260 rows: analyzed, and settled").isEqualTo(10_260);
        assertThat(insert(conn, statistics, 30_000)).as("40,260 rows: autovacuum's").isEqualTo(10_260);
        // emptied (a warm-up's rows removed): looked after again once the writer's rows could matter
        conn.query("delete from fresh_probe").execute().await();
        // (as autovacuum would count it; analyzed rather than vacuumed: a vacuum may skip a page it finds pinned)
        conn.query("analyze fresh_probe").execute().await();
        assertThat(insert(conn, statistics, 5_000)).as("5,000 rows after that: not read again yet").isEqualTo(0);
        assertThat(insert(conn, statistics, 5_000)).as("10,000 rows: read again, and analyzed").isEqualTo(10_000);
      } finally {
        conn.close().await();
      }
    } finally {
      pool.close().await();
    }
  }

  /** Inserts {@code rows}, tells {@code statistics}, answers the rows the planner counts (-1: never analyzed). */
  private static long insert(SqlConnection conn, FreshStatistics statistics, int rows) {
    conn.query("insert into fresh_probe select g from generate_series(1, " + rows + ") g").execute().await();
    statistics.inserted(conn, rows).await();
    return conn.query("select reltuples::bigint from pg_class where oid = 'fresh_probe'::regclass").execute().await()
        .iterator().next().getLong(0);
  }
}
