package claimgate.bench;

import claimgate.allocation.AllocatorConfig;
import claimgate.allocation.AllocatorVerticle;
import claimgate.campaign.Campaign;
import claimgate.redis.CampaignKeys;
import claimgate.redis.PipelinedRedis;
import claimgate.redis.StreamEntries;
import claimgate.verify.LogVerifier;
import claimgate.voucher.VoucherCodes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The opening of a pre-queue: {@code entries} citizens (default 50,000, one claim each, 1-3 of
 * 300 shops) wait in it for a round of {@code vouchers} vouchers (default 20,000); the real
 * allocator, running and warm, waits for the opening. Measured from the opening (the round's
 * {@code opensAt}): when the list was frozen, when the first place was decided, when the last
 * voucher was issued, and when the last place was decided (every claim whose shops ran out is
 * rejected by then: the seconds after the last voucher are what a citizen waits for {@code
 * sold_out}). Each run's log is verified (the draw included). Medians over {@code runs} (default 3).
 *
 * <pre>
 *   loadtest/bench prequeue [-Dentries=50000 -Dvouchers=20000 -Druns=3]
 * </pre>
 */
public final class PrequeueBenchmark {

  public static void main(String[] args) throws Exception {
    try {
      run();
    } catch (Throwable failed) {
      failed.printStackTrace();
      System.exit(1);
    }
    System.exit(0);
  }

  private static void run() throws Exception {
    int entries = Integer.getInteger("entries", 50_000);
    int vouchers = Integer.getInteger("vouchers", 20_000);
    int runs = Integer.getInteger("runs", 3);
    int merchants = 300;
    List<double[]> all = new ArrayList<>();
    try (BenchServers servers = BenchServers.start()) {
      Vertx vertx = Vertx.vertx();
      for (int run = 0; run < runs; run++) {
        double[] figures = open(vertx, servers, "bench-prequeue-" + run, entries, vouchers, merchants);
        all.add(figures);
        System.out.printf(Locale.ROOT, "run %d: frozen %.0f ms, first decision %.0f ms, last voucher %.0f ms, "
            + "last place %.0f ms after the opening; %,.0f places/s%n", run + 1, figures[0], figures[1], figures[2], figures[3],
            entries / ((figures[3] - figures[1]) / 1000.0));
        servers.purge(vertx, "bench-prequeue-" + run);
      }
      System.out.printf(Locale.ROOT, "%n## The opening of a %,d-entry pre-queue (%,d vouchers at 300 shops; %s; median of %d)%n",
          entries, vouchers, servers.describe(), runs);
      String[] names = {"list frozen and its hash logged", "first place decided", "last voucher issued",
          "last place decided (every pre-queue claim final)"};
      for (int i = 0; i < names.length; i++) {
        int k = i;
        System.out.printf(Locale.ROOT, "| %s | %.2f s after the opening | runs %s |%n", names[i],
            BenchServers.median(all.stream().map(f -> f[k] / 1000).toList()),
            all.stream().map(f -> String.format(Locale.ROOT, "%.2f", f[k] / 1000)).toList());
      }
      System.out.printf(Locale.ROOT, "| last place after the last voucher (sold_out told) | %.2f s | target about 2 s |%n",
          BenchServers.median(all.stream().map(f -> (f[3] - f[2]) / 1000).toList()));
      vertx.close().await();
    }
  }

  /** One opening: answers ms after it for freeze, first decision, last voucher, last place. */
  static double[] open(Vertx vertx, BenchServers servers, String id, int entries, int vouchers, int merchants)
      throws Exception {
    OffsetDateTime opens = OffsetDateTime.now(ZoneOffset.UTC).plusSeconds(12).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    Campaign open = BenchServers.campaign(id, merchants, vouchers, 1_000_000);
    Campaign campaign = new Campaign(open.id(), open.name(), open.currency(), open.voucherValue(), open.validDays(),
        open.limits(), null, open.admission().withPrequeue(new Campaign.Prequeue(Duration.ofMinutes(30), null)),
        List.of(new Campaign.Round(opens, opens.plusHours(6), 1.0)), open.merchants()).validate();
    servers.apply(vertx, campaign);
    long opensAtMs = opens.toInstant().toEpochMilli();

    Pool pool = servers.database.pool(vertx, 2);
    AllocatorConfig config = AllocatorConfig.of(servers.redisUrl, servers.database,
        VoucherCodes.fromSpec(VoucherCodes.newKeySpec(1, new SecureRandom()))).withBlockMs(100).withElectionRetryMs(500)
        .withDiscoveryMs(200);
    String deployment = vertx.deployVerticle(new AllocatorVerticle(config)).await();

    // the pre-queue as admission writes it: one stream entry per batch of 64 claims, each naming the opening
    CampaignKeys keys = new CampaignKeys(id);
    PipelinedRedis redis = new PipelinedRedis(vertx, servers.redisUrl);
    long generation = Long.parseLong(redis.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.HGET)
        .arg(keys.config()).arg(CampaignKeys.GENERATION)).await().toString());
    List<String[]> list = AllocatorBenchmark.claims(entries, merchants, 7);
    for (int from = 0; from < entries; from += 64 * 100) {
      List<Future<Response>> wave = new ArrayList<>();
      for (int entry = from; entry < Math.min(entries, from + 64 * 100); entry += 64) {
        List<StreamEntries.Line> lines = new ArrayList<>();
        for (int i = entry; i < Math.min(entries, entry + 64); i++) {
          String[] c = list.get(i);
          lines.add(new StreamEntries.Line("citizen-" + i, List.of(c[1].split(",")), c[2], null));
        }
        wave.add(redis.send(StreamEntries.append(keys, "*", generation, entry + 1, lines, opensAtMs)));
      }
      Future.all(wave).await();
    }
    redis.send(claimgate.redis.CampaignRedis.admittedUpTo(keys, entries)).await();
    redis.close().await();
    if (System.currentTimeMillis() >= opensAtMs) {
      throw new IllegalStateException("the pre-queue was not fed before the opening: raise the lead");
    }

    long deadline = System.currentTimeMillis() + 300_000;
    long decided = 0;
    while (decided < entries) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("only " + decided + " of " + entries + " places decided in 5 minutes");
      }
      vertx.timer(50).await();
      decided = pool.preparedQuery("select count(*) from claim where campaign_id = $1").execute(Tuple.of(id))
          .await().iterator().next().getLong(0);
    }
    vertx.undeploy(deployment).await();
    Row times = pool.preparedQuery("""
        select (select extract(epoch from frozen_at) * 1000 from draw where campaign_id = $1),
               (select extract(epoch from min(decided_at)) * 1000 from claim where campaign_id = $1),
               (select extract(epoch from max(issued_at)) * 1000 from voucher where campaign_id = $1),
               (select extract(epoch from max(decided_at)) * 1000 from claim where campaign_id = $1 and place is not null),
               (select count(*) from claim where campaign_id = $1 and place is not null),
               (select sum(issued) from merchant where campaign_id = $1)""").execute(Tuple.of(id)).await().iterator().next();
    if (times.getLong(4) != entries) {
      throw new AssertionError(times.getLong(4) + " claims were decided in the draw, " + entries + " were in the pre-queue");
    }
    if (times.getLong(5) > vouchers) {
      throw new AssertionError("oversell: " + times.getLong(5) + " issued of " + vouchers);
    }
    LogVerifier.Result log = LogVerifier.ofCampaign(pool, id).await();
    if (!log.ok()) {
      throw new AssertionError("the log does not verify: record " + log.index() + ": " + log.message());
    }
    pool.close().await();
    double[] figures = new double[4];
    for (int i = 0; i < 4; i++) {
      figures[i] = times.getNumeric(i).doubleValue() - opensAtMs;
    }
    System.out.println("log ok: " + log.figures().get("records") + " records, draws " + log.figures().get("draws")
        + ", opening " + Instant.ofEpochMilli(opensAtMs));
    return figures;
  }
}
