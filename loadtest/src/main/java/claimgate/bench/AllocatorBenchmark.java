package claimgate.bench;

import claimgate.allocation.AllocatorConfig;
import claimgate.allocation.AllocatorVerticle;
import claimgate.allocation.Queries;
import claimgate.campaign.Campaign;
import claimgate.keys.CampaignKeys;
import claimgate.keys.PipelinedRedis;
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
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Allocator throughput: a stream pre-filled with {@code claims} claims (default 500,000) for
 * {@code vouchers} vouchers (default 100,000) is decided by one allocator; in the same run the
 * same rows (claims, vouchers, quota updates, 1,000 claims per transaction) are written by a
 * plain batched transaction with no decisions, Redis or fencing: PostgreSQL's ceiling here.
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
      List<Double> allocator = new ArrayList<>();
      for (int run = 1; run <= runs; run++) {
        ceiling.add(plainInsert(vertx, servers, "bench-plain-" + run, claims, vouchers, merchants));
        servers.purge(vertx, "bench-plain-" + run);
        allocator.add(allocate(vertx, servers, "bench-alloc-" + run, claims, vouchers, merchants,
            VoucherCodes.fromSpec(VoucherCodes.newKeySpec(1, new SecureRandom()))));
        servers.purge(vertx, "bench-alloc-" + run);
        System.out.printf(Locale.ROOT, "run %d: plain batched insert %,.0f rows/s, allocator %,.0f decisions/s%n",
            run, ceiling.get(run - 1), allocator.get(run - 1));
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
      System.out.printf(Locale.ROOT, "medians of %d runs; every run: ceiling %s, allocator %s%n", runs, ceiling, allocator);
      vertx.close().await();
    }
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
    Campaign campaign = BenchServers.campaign(id, merchants, vouchers, 1_000_000);
    servers.apply(vertx, campaign);
    CampaignKeys keys = new CampaignKeys(id);
    PipelinedRedis redis = new PipelinedRedis(vertx, servers.redisUrl);
    List<String[]> list = claims(claims, merchants, 42);
    for (int from = 0; from < claims; from += 5_000) {
      List<Future<Response>> wave = new ArrayList<>();
      for (int i = from; i < Math.min(claims, from + 5_000); i++) {
        String[] c = list.get(i);
        String ticket = id + ".t" + i;
        wave.add(redis.send(Request.cmd(Command.XADD).arg(keys.stream()).arg("*").arg("t").arg(ticket)
            .arg("c").arg(c[0]).arg("m").arg(c[1]).arg("k").arg(c[2]).arg("s").arg(i + 1)));
        wave.add(redis.send(Request.cmd(Command.HSET).arg(keys.tickets()).arg(ticket).arg(i + 1)));
        wave.add(redis.send(Request.cmd(Command.HINCRBY).arg(keys.pendingByCitizen()).arg(c[0]).arg(1)));
        wave.add(redis.send(Request.cmd(Command.HINCRBY).arg(keys.pendingByMerchant()).arg(c[2]).arg(1)));
      }
      Future.all(wave).await();
    }
    redis.send(Request.cmd(Command.SET).arg(keys.seq()).arg(claims)).await();
    redis.close().await();

    Pool pool = servers.database.pool(vertx, 1);
    AllocatorConfig config = AllocatorConfig.of(servers.redisUrl, servers.database, codes).withTiming(100, 500, 200);
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

  /** The same rows, written by plain 1,000-claim transactions: no decisions, no Redis, no fence. */
  static double plainInsert(Vertx vertx, BenchServers servers, String id, int claims, int vouchers, int merchants) {
    Campaign campaign = BenchServers.campaign(id, merchants, vouchers, 1_000_000);
    servers.apply(vertx, campaign);
    List<String[]> list = claims(claims, merchants, 42);
    Pool pool = servers.database.pool(vertx, 1);
    SqlConnection conn = pool.getConnection().await();
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    long start = System.nanoTime();
    int serial = 0;
    for (int from = 0; from < claims; from += BATCH) {
      int n = Math.min(BATCH, claims - from);
      String[] tickets = new String[n];
      Long[] seqs = new Long[n];
      String[] streamIds = new String[n];
      String[] citizens = new String[n];
      String[] prefs = new String[n];
      String[] charged = new String[n];
      String[] statuses = new String[n];
      String[] reasons = new String[n];
      String[] codes = new String[n];
      List<Integer> confirmed = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String[] c = list.get(from + i);
        tickets[i] = id + ".t" + (from + i);
        seqs[i] = (long) from + i + 1;
        streamIds[i] = "1-" + (from + i);
        citizens[i] = c[0];
        prefs[i] = c[1];
        charged[i] = c[2];
        if (serial + confirmed.size() < vouchers) {
          statuses[i] = "confirmed";
          codes[i] = id + "-" + (serial + confirmed.size());
          confirmed.add(i);
        } else {
          statuses[i] = "rejected";
          reasons[i] = "sold_out";
        }
      }
      int k = confirmed.size();
      String[] vCodes = new String[k];
      String[] vMerchants = new String[k];
      String[] vCitizens = new String[k];
      String[] vTickets = new String[k];
      Long[] vSerials = new Long[k];
      Integer[] ones = new Integer[k];
      List<String> merchantIds = new ArrayList<>();
      List<Integer> counts = new ArrayList<>();
      for (int j = 0; j < k; j++) {
        int i = confirmed.get(j);
        vCodes[j] = codes[i];
        vMerchants[j] = String.format("m%03d", serial % merchants);
        vCitizens[j] = "v" + serial;
        vTickets[j] = tickets[i];
        vSerials[j] = (long) serial;
        ones[j] = 1;
        serial++;
        int at = merchantIds.indexOf(vMerchants[j]);
        if (at < 0) {
          merchantIds.add(vMerchants[j]);
          counts.add(1);
        } else {
          counts.set(at, counts.get(at) + 1);
        }
      }
      var tx = conn.begin().await();
      conn.preparedQuery("update campaign set stream_offset = $2, decided_seq = $3 where id = $1")
          .execute(Tuple.of(id, streamIds[n - 1], seqs[n - 1])).await();
      conn.preparedQuery(Queries.INSERT_CLAIMS).execute(Tuple.wrap(new Object[] {
          id, 1L, tickets, seqs, streamIds, citizens, prefs, charged, statuses, reasons, codes})).await();
      if (k > 0) {
        conn.preparedQuery("update merchant set released = contingent where campaign_id = $1 and released < contingent")
            .execute(Tuple.of(id)).await();
        conn.preparedQuery(Queries.INSERT_VOUCHERS).execute(Tuple.wrap(new Object[] {
            id, 9, 3, campaign.voucherValue(), "EUR", now, now.plusDays(30),
            vCodes, vMerchants, vCitizens, vTickets, vSerials, ones, ones})).await();
        conn.preparedQuery(Queries.ADD_ISSUED).execute(Tuple.of(id, merchantIds.toArray(String[]::new),
            counts.toArray(Integer[]::new))).await();
      }
      tx.commit().await();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    conn.close().await();
    pool.close().await();
    return claims / seconds;
  }
}
