package claimgate.bench;

import claimgate.allocation.AllocatorConfig;
import claimgate.allocation.AllocatorVerticle;
import claimgate.allocation.BatchWriter;
import claimgate.allocation.ClaimEntry;
import claimgate.allocation.Decision;
import claimgate.campaign.Campaign;
import claimgate.redis.CampaignKeys;
import claimgate.redis.PipelinedRedis;
import claimgate.redis.StreamEntries;
import claimgate.log.Pseudonyms;
import claimgate.voucher.VoucherCodes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Allocator throughput: a stream pre-filled with {@code claims} claims (default 500,000) for
 * {@code vouchers} vouchers (default 100,000) is decided by one allocator; in the same run the
 * same rows (claims, vouchers, quota updates, 1,000 claims per transaction) are written by the
 * allocator's own batch writer with nothing decided and no Redis: PostgreSQL's ceiling here.
 * Prints both in decisions per second and their ratio, the median of {@code runs} runs.
 *
 * <pre>
 *   loadtest/bench allocator [-Dclaims=500000 -Dvouchers=100000 -Druns=3]
 * </pre>
 */
public final class AllocatorBenchmark {

  private static final int BATCH = 1000;

  public static void main(String[] args) throws Exception {
    int claims = Integer.getInteger("claims", 500_000);
    int vouchers = Integer.getInteger("vouchers", 100_000);
    int runs = Integer.getInteger("runs", 3);
    int merchants = 100;
    try (BenchServers servers = BenchServers.start()) {
      Vertx vertx = Vertx.vertx();
      List<Double> ceiling = new ArrayList<>();
      List<Double> withoutLog = new ArrayList<>();
      List<Double> allocator = new ArrayList<>();
      List<Double> allocatorWithoutLog = new ArrayList<>();
      for (int run = 1; run <= runs; run++) {
        // the order alternates, so that neither side always runs on the warmer (or busier) server
        boolean ceilingFirst = run % 2 == 1;
        // what the public log costs: each side measured next to the other, their order alternating
        // too (a phase right after another's purge runs on a colder server)
        boolean logFirst = (run + 1) / 2 % 2 == 1;
        double[] allocated = new double[2];
        int thisRun = run;
        Runnable allocators = () -> {
          for (boolean withLog : logFirst ? new boolean[] {true, false} : new boolean[] {false, true}) {
            allocated[withLog ? 0 : 1] = allocateAndPurge(vertx, servers, (withLog ? 0 : 100) + thisRun, claims, vouchers,
                merchants, withLog);
          }
        };
        if (!ceilingFirst) {
          allocators.run();
        }
        for (boolean withLog : logFirst ? new boolean[] {true, false} : new boolean[] {false, true}) {
          String id = (withLog ? "bench-plain-" : "bench-nolog-") + run;
          (withLog ? ceiling : withoutLog).add(plainInsert(vertx, servers, id, claims, vouchers, merchants, withLog));
          servers.purge(vertx, id);
        }
        if (ceilingFirst) {
          allocators.run();
        }
        allocator.add(allocated[0]);
        allocatorWithoutLog.add(allocated[1]);
        System.out.printf(Locale.ROOT, "run %d: plain batched insert %,.0f rows/s (without the log %,.0f), allocator %,.0f decisions/s%n",
            run, ceiling.get(run - 1), withoutLog.get(run - 1), allocator.get(run - 1));
      }
      double c = BenchServers.median(ceiling);
      double a = BenchServers.median(allocator);
      System.out.printf(Locale.ROOT, "%n## Allocator (%d claims for %d vouchers, %d merchants, batch %d, %s)%n",
          claims, vouchers, merchants, BATCH, servers.describe());
      System.out.printf(Locale.ROOT, "| plain batched insert (ceiling) | %,.0f claims/s |%n", c);
      System.out.printf(Locale.ROOT, "| allocator, decided and committed | %,.0f claims/s |%n", a);
      List<Double> ratios = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        ratios.add(allocator.get(i) / ceiling.get(i));
      }
      System.out.printf(Locale.ROOT, "| ratio allocator / ceiling, each run against its own ceiling, median | %.2f (target >= 0.60) |%n",
          BenchServers.median(ratios));
      System.out.printf(Locale.ROOT, "| ratio of the medians | %.2f |%n", a / c);
      List<Double> logRatios = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        logRatios.add(ceiling.get(i) / withoutLog.get(i));
      }
      System.out.printf(Locale.ROOT, "| the same rows without the public log | %,.0f claims/s |%n", BenchServers.median(withoutLog));
      System.out.printf(Locale.ROOT, "| ratio with the log / without, each run, median | %.2f %s (target >= 0.90) |%n",
          BenchServers.median(logRatios), rounded2(logRatios));
      List<Double> allocatorLogRatios = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        allocatorLogRatios.add(allocator.get(i) / allocatorWithoutLog.get(i));
      }
      System.out.printf(Locale.ROOT, "| the allocator without the public log | %,.0f decisions/s |%n",
          BenchServers.median(allocatorWithoutLog));
      System.out.printf(Locale.ROOT, "| ratio allocator with the log / without, each run, median | %.2f %s (target >= 0.90) |%n",
          BenchServers.median(allocatorLogRatios), rounded2(allocatorLogRatios));
      System.out.printf(Locale.ROOT, "medians of %d runs (order alternating: ceiling first in odd runs, the log's side first "
          + "in runs 1, 2, 5, 6…); every run: ceiling %s, without the log %s, allocator %s, without the log %s%n",
          runs, rounded(ceiling), rounded(withoutLog), rounded(allocator), rounded(allocatorWithoutLog));
      vertx.close().await();
    }
  }

  private static double allocateAndPurge(Vertx vertx, BenchServers servers, int run, int claims, int vouchers,
      int merchants) {
    return allocateAndPurge(vertx, servers, run, claims, vouchers, merchants, true);
  }

  private static double allocateAndPurge(Vertx vertx, BenchServers servers, int run, int claims, int vouchers,
      int merchants, boolean publicLog) {
    double perSecond = allocate(vertx, servers, "bench-alloc-" + run, claims, vouchers, merchants,
        VoucherCodes.fromSpec(VoucherCodes.newKeySpec(1, new SecureRandom())), publicLog);
    servers.purge(vertx, "bench-alloc-" + run);
    return perSecond;
  }

  private static List<String> rounded2(List<Double> ratios) {
    return ratios.stream().map(v -> String.format(Locale.ROOT, "%.2f", v)).toList();
  }

  private static List<String> rounded(List<Double> perSecond) {
    return perSecond.stream().map(v -> String.format(Locale.ROOT, "%,.0f", v)).toList();
  }

  /** Claims of 2.5 per citizen on average, 1-3 preferred merchants, skewed towards the first. */
  static List<String[]> claims(int count, int merchants, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<String[]> list = new ArrayList<>(count);
    int citizens = Math.max(1, count * 2 / 5);
    for (int i = 0; i < count; i++) {
      int prefs = 1 + random.nextInt(3);
      StringBuilder m = new StringBuilder();
      String first = null;
      for (int p = 0; p < prefs; p++) {
        double u = random.nextDouble();
        String id = String.format("m%03d", (int) (u * u * merchants));
        if (m.indexOf(id) >= 0) {
          continue;
        }
        if (first == null) {
          first = id;
        }
        m.append(m.length() == 0 ? "" : ",").append(id);
      }
      list.add(new String[] {"citizen-" + random.nextInt(citizens), m.toString(), first});
    }
    return list;
  }

  /** Decides a pre-filled stream with one allocator signing with {@code codes}; returns decisions per second. */
  static double allocate(Vertx vertx, BenchServers servers, String id, int claims, int vouchers, int merchants,
      VoucherCodes codes) {
    return allocate(vertx, servers, id, claims, vouchers, merchants, codes, true);
  }

  static double allocate(Vertx vertx, BenchServers servers, String id, int claims, int vouchers, int merchants,
      VoucherCodes codes, boolean publicLog) {
    Campaign campaign = BenchServers.campaign(id, merchants, vouchers, 1_000_000);
    servers.apply(vertx, campaign);
    CampaignKeys keys = new CampaignKeys(id);
    PipelinedRedis redis = new PipelinedRedis(vertx, servers.redisUrl);
    List<String[]> list = claims(claims, merchants, 42);
    // as admission writes them: one stream entry per batch of 64 claims
    for (int from = 0; from < claims; from += 64 * 100) {
      List<Future<Response>> wave = new ArrayList<>();
      for (int entry = from; entry < Math.min(claims, from + 64 * 100); entry += 64) {
        List<StreamEntries.Line> lines = new ArrayList<>();
        for (int i = entry; i < Math.min(claims, entry + 64); i++) {
          String[] c = list.get(i);
          lines.add(new StreamEntries.Line(c[0], List.of(c[1].split(",")), c[2], null));
        }
        wave.add(redis.send(StreamEntries.append(keys, "*", 1, entry + 1, lines)));
      }
      Future.all(wave).await();
    }
    redis.send(claimgate.redis.CampaignRedis.admittedUpTo(keys, claims)).await();
    redis.close().await();

    Pool pool = servers.database.pool(vertx, 1);
    AllocatorConfig logging = AllocatorConfig.of(servers.redisUrl, servers.database, codes).withBlockMs(100).withElectionRetryMs(500).withDiscoveryMs(200);
    AllocatorConfig config = publicLog ? logging : logging.withoutPublicLog();
    long start = System.nanoTime();
    String deployment = vertx.deployVerticle(new AllocatorVerticle(config)).await();
    long decided = 0;
    while (decided < claims) {
      vertx.timer(50).await();
      decided = pool.preparedQuery("select decided_seq from campaign where id = $1").execute(Tuple.of(id))
          .await().iterator().next().getLong(0);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    vertx.undeploy(deployment).await();
    long issued = pool.preparedQuery("select sum(issued) from merchant where campaign_id = $1").execute(Tuple.of(id))
        .await().iterator().next().getLong(0);
    if (issued > vouchers) {
      throw new AssertionError("oversell: " + issued + " issued of " + vouchers);
    }
    pool.close().await();
    return claims / seconds;
  }

  /**
   * The same rows, written in 1,000-claim transactions by the allocator's own {@link BatchWriter}
   * (every statement of a batch pipelined): no deciding, no Redis, no ledger.
   */
  static double plainInsert(Vertx vertx, BenchServers servers, String id, int claims, int vouchers, int merchants,
      boolean withLog) {
    Campaign campaign = BenchServers.campaign(id, merchants, vouchers, 1_000_000);
    servers.apply(vertx, campaign);
    List<String[]> list = claims(claims, merchants, 42);
    BatchWriter writer = withLog
        ? new BatchWriter(campaign, new claimgate.campaign.CampaignStore.Versions(0, 1, false, false, 0),
            new Pseudonyms(VoucherCodes.fromSpec(VoucherCodes.newKeySpec(1, new SecureRandom()))))
        : BatchWriter.withoutLog(campaign);
    Pool pool = servers.database.pool(vertx, 1);
    SqlConnection conn = pool.getConnection().await();
    long start = System.nanoTime();
    int serial = 0;
    for (int from = 0; from < claims; from += BATCH) {
      int n = Math.min(BATCH, claims - from);
      List<Decision> decisions = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        String[] c = list.get(from + i);
        ClaimEntry claim = new ClaimEntry("1-" + (from + i), from + i + 1, id + ".t" + (from + i), c[0],
            List.of(c[1].split(",")), c[2], 1);
        if (serial < vouchers) {
          // a citizen of its own per voucher: the ceiling decides nothing, so every slot is the first
          ClaimEntry holder = new ClaimEntry(claim.streamId(), claim.seq(), claim.ticket(), "v" + serial,
              claim.merchantIds(), claim.chargedMerchant(), 1);
          decisions.add(new Decision.Confirmed(holder, String.format("m%03d", serial % merchants), serial + 1,
              id + "-" + serial, 1, 1));
          serial++;
        } else {
          decisions.add(new Decision.Rejected(claim, "sold_out"));
        }
      }
      writer.commit(conn, 0, decisions, Campaign.FULL_RELEASE_BP, from == 0, () -> { }).await();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    conn.close().await();
    pool.close().await();
    return claims / seconds;
  }
}
