package claimgate.allocation;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignStore;
import claimgate.store.Database;
import claimgate.testkit.Campaigns;
import claimgate.testkit.TableStats;
import claimgate.testkit.TestServers;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A launch on a fresh database: the claim table empty and analyzed (a first campaign, or one after
 * the warm-up's scratch rows were vacuumed away), and the first batches small, as an opening's
 * first claims trickle in. PostgreSQL plans the foreign-key check of each voucher's claim once per
 * session and keeps the plan; planned against a table of a page or two, that check was a
 * sequential scan, kept until autovacuum analyzed the table (up to a minute later), so every
 * voucher of the launch's first minute read every claim before it. The batches must check their
 * vouchers' claims through the claim's index whatever the table's size when they were planned.
 * This guards the allocator's throughput at a launch, not an invariant: the checks decide the same
 * either way.
 */
@ExtendWith(VertxExtension.class)
class FirstBatchesTest {

  private static final int BATCHES = 6;
  private static final int PER_BATCH = 200;

  @Test
  @DisplayName("the first batches on an empty, analyzed claim table check each voucher's claim by index, not by scanning the table")
  void vouchersCheckTheirClaimsByIndex(Vertx vertx) {
    Database database = Database.fromUrl(TestServers.separateDatabase("first_batches"));
    Pool pool = database.pool(vertx, 1);
    try {
      Campaign campaign = Campaigns.open(Campaigns.uniqueId("first-batches"), 9, 3, 100_000, 100_000, 100_000);
      SqlConnection conn = pool.getConnection().await();
      try {
        conn.query("delete from voucher").execute().await();
        conn.query("delete from claim").execute().await();
        conn.query("vacuum analyze claim").execute().await();
        conn.query("vacuum analyze voucher").execute().await();
        // the voucher table's statistics are the writer's alone to refresh here
        conn.query("alter table voucher set (autovacuum_enabled = false)").execute().await();
        CampaignStore.apply(conn, campaign, Optional.empty()).await();
        TableStats before = TableStats.read(conn, "claim");

        BatchWriter writer = BatchWriter.withoutLog(campaign);
        int serial = 0;
        for (int batch = 0; batch < BATCHES; batch++) {
          // a first batch of one claim, as an opening's first seconds bring
          int n = batch == 0 ? 1 : PER_BATCH;
          List<Decision> decisions = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            serial++;
            String merchant = "m" + serial % 3;
            ClaimEntry claim = new ClaimEntry("1-" + serial, serial, campaign.id() + ".t" + serial, "c" + serial,
                List.of(merchant), merchant, 1);
            decisions.add(new Decision.Confirmed(claim, merchant, serial, campaign.id() + "-" + serial, 1, 1));
          }
          writer.commit(conn, 0, decisions, Campaign.FULL_RELEASE_BP, batch == 0, () -> { }).await();
        }

        long inserted = before.inserted() + serial;
        TableStats after = TableStats.await(conn, "claim", stats -> stats.inserted() >= inserted,
            "the statistics did not count the " + serial + " claims inserted");
        // a check by scan reads every claim before the voucher's: some 500 a voucher here, 500,000 in
        // all. The setup's own statements (reported to the statistics late) read no claim: the
        // table is empty then
        assertThat(after.seqRowsRead() - before.seqRowsRead()).as(
            "claims read by sequential scans (%d scans) while %d vouchers were written", after.seqScans() - before.seqScans(),
            serial).isLessThan(serial);
        // the writer kept the voucher table's statistics fresh as it filled (FreshStatistics): analyzed
        // at 201 vouchers, then at 601 (doubled), not since
        long counted = conn.query("select reltuples::bigint from pg_class where oid = 'voucher'::regclass").execute().await()
            .iterator().next().getLong(0);
        assertThat(counted).as("vouchers the planner's statistics count after %d were written", serial).isEqualTo(601);
      } finally {
        conn.close().await();
      }
    } finally {
      pool.close().await();
    }
  }
}
