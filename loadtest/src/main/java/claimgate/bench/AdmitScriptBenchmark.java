package claimgate.bench;

import claimgate.admission.Admission;
import claimgate.admission.AdmissionScript;
import claimgate.redis.PipelinedRedis;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Redis alone: what the admission script costs Redis per claim, with no gateway and no HTTP in the
 * way. Batches of {@code batch} fresh claims (a citizen each, two of 300 shops, from one of
 * {@link ClientAddresses} in turn, as the admission benchmark's wrk sends) go to {@code admit.lua}
 * over one pipelined connection, {@code inFlight} batches at a time, for {@code seconds}; Redis's
 * own CPU ({@code INFO cpu}), the script's time ({@code INFO commandstats}) and the append-only
 * file's growth are read around each run. Every
 * run admits into a campaign of its own, the one before removed, as the admission benchmark's
 * rounds do (the citizens' hash grows by some 800,000 citizens a run).
 *
 * <pre>
 *   loadtest/bench admit-script [-Dbatch=16 -DinFlight=4 -Dseconds=10 -Druns=3]
 * </pre>
 */
public final class AdmitScriptBenchmark {

  record Run(double claimsPerSecond, double redisUs, double scriptUs, double aofBytes, double childrenUs) {}

  public static void main(String[] args) throws Exception {
    int batch = Integer.getInteger("batch", 16);
    int inFlight = Integer.getInteger("inFlight", 4);
    int seconds = Integer.getInteger("seconds", 10);
    int runs = Integer.getInteger("runs", 3);
    try (BenchServers servers = BenchServers.start()) {
      Vertx vertx = Vertx.vertx();
      servers.apply(vertx, AdmissionBenchmark.campaign());
      PipelinedRedis redis = new PipelinedRedis(vertx, servers.redisUrl);
      AdmissionScript script = new AdmissionScript(redis);
      CpuMeter meter = new CpuMeter(redis);
      Context context = vertx.getOrCreateContext();
      System.out.println("warming up (" + seconds + " s)...");
      drive(context, script, AdmissionBenchmark.CAMPAIGN, batch, inFlight, seconds);
      List<Run> all = new ArrayList<>();
      String campaign = AdmissionBenchmark.CAMPAIGN;
      for (int run = 1; run <= runs; run++) {
        campaign = AdmissionBenchmark.fresh(servers, vertx, campaign, AdmissionBenchmark.CAMPAIGN + "-" + run);
        CpuMeter.RedisCpu before = meter.redisCpu();
        double aofBefore = meter.redisPersistence().aofBytes();
        long t0 = System.nanoTime();
        long claims = drive(context, script, campaign, batch, inFlight, seconds);
        double elapsed = (System.nanoTime() - t0) / 1e9;
        CpuMeter.RedisCpu after = meter.redisCpu();
        Run r = new Run(claims / elapsed, (after.cpuSeconds() - before.cpuSeconds()) * 1e6 / claims,
            (after.scriptUs() - before.scriptUs()) / claims, (meter.redisPersistence().aofBytes() - aofBefore) / claims,
            (after.childrenSeconds() - before.childrenSeconds()) * 1e6 / claims);
        all.add(r);
        System.out.printf(Locale.ROOT, "run %d: %,.0f claims/s; Redis CPU per claim %.2f us (script %.2f us; its rewrites %.2f us); "
            + "append-only file %.0f bytes per claim%n", run, r.claimsPerSecond(), r.redisUs(), r.scriptUs(), r.childrenUs(), r.aofBytes());
      }
      System.out.printf(Locale.ROOT, "%n## The admission script alone (%s; batches of %d, %d in flight, claims from %,d client addresses, %d s runs, median of %d)%n",
          servers.describe(), batch, inFlight, ADDRESSES, seconds, runs);
      System.out.printf(Locale.ROOT, "| claims admitted | %,.0f claims/s |%n", BenchServers.median(all.stream().map(Run::claimsPerSecond).toList()));
      System.out.printf(Locale.ROOT, "| Redis CPU per claim (INFO cpu; the script alone, INFO commandstats) | %.2f us (%.2f us) | <= 10 us |%n",
          BenchServers.median(all.stream().map(Run::redisUs).toList()), BenchServers.median(all.stream().map(Run::scriptUs).toList()));
      System.out.printf(Locale.ROOT, "| Redis's children (append-only file rewrites) CPU per claim | %.2f us |%n",
          BenchServers.median(all.stream().map(Run::childrenUs).toList()));
      System.out.printf(Locale.ROOT, "| append-only file per claim (its growth; a rewrite shrinks it) | %.0f bytes |%n", BenchServers.median(all.stream().map(Run::aofBytes).toList()));
      redis.close();
      vertx.close().await();
    }
    System.exit(0);
  }

  private static final AtomicLong CITIZENS = new AtomicLong();
  private static final int ADDRESSES = ClientAddresses.count();
  private static final String SALT = Long.toString(System.nanoTime(), 36);

  /** Keeps {@code inFlight} batches outstanding for {@code seconds}; the claims admitted. */
  static long drive(Context context, AdmissionScript script, String campaign, int batch, int inFlight, int seconds)
      throws Exception {
    long until = System.nanoTime() + seconds * 1_000_000_000L;
    AtomicLong admitted = new AtomicLong();
    Promise<Void> done = Promise.promise();
    AtomicLong outstanding = new AtomicLong(inFlight);
    context.runOnContext(v -> {
      for (int i = 0; i < inFlight; i++) {
        next(script, campaign, batch, until, admitted, outstanding, done);
      }
    });
    done.future().toCompletionStage().toCompletableFuture().get();
    return admitted.get();
  }

  private static void next(AdmissionScript script, String campaign, int batch, long until, AtomicLong admitted,
      AtomicLong outstanding, Promise<Void> done) {
    if (System.nanoTime() >= until) {
      if (outstanding.decrementAndGet() == 0) {
        done.complete();
      }
      return;
    }
    List<AdmissionScript.Claim> claims = new ArrayList<>(batch);
    for (int i = 0; i < batch; i++) {
      long n = CITIZENS.incrementAndGet();
      int[] shops = OpenModelLoad.shops(n);
      String merchants = String.format(Locale.ROOT, "m%03d,m%03d", shops[0], shops[1]);
      claims.add(new AdmissionScript.Claim("w" + SALT + "-" + n, merchants,
          claimgate.redis.CitizenRecord.requestId(null, merchants), claimgate.redis.CitizenRecord.fingerprint(merchants),
          "", ClientAddresses.of(n, ADDRESSES)));
    }
    script.admit(campaign, claims).onComplete(r -> {
      if (r.failed()) {
        done.tryFail(r.cause());
        return;
      }
      for (Admission answer : r.result()) {
        if (answer instanceof Admission.Queued) {
          admitted.incrementAndGet();
        }
      }
      next(script, campaign, batch, until, admitted, outstanding, done);
    });
  }
}
