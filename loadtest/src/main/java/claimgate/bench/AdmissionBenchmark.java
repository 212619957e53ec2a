package claimgate.bench;

import claimgate.campaign.Campaign;
import claimgate.redis.CampaignState;
import claimgate.redis.PipelinedRedis;
import claimgate.store.EmbeddedServers;
import io.vertx.core.Vertx;
import java.math.BigDecimal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Admission in ONE run, every part a process of its own on this machine: the bare ceiling
 * ({@link BareEndpoint}), the gateway ({@code claimgate gateway}, the product's jar with the
 * JVM options its launcher uses), optionally an allocator ({@code claimgate allocator}), the
 * embedded Redis and PostgreSQL, and the generators (wrk, one thread; {@link OpenModelLoad}).
 * Prints, each against the bare endpoint measured in the same run:
 * <ul>
 *   <li>claims admitted per second with no allocator deciding (its ratio; target 0.60),
 *   <li>the same with an allocator deciding (target 0.35),
 *   <li>CPU per admitted claim of the gateway JVM, of Redis (its own {@code INFO cpu}) and of
 *       the admission script alone ({@code INFO commandstats}), and of wrk,
 *   <li>the first 10 s after a fresh gateway reported ready, against steady state (target 0.8),
 *   <li>latency at half the admitted rate for {@code openSeconds} (open model, HdrHistogram,
 *       corrected for coordinated omission; targets p99 10 ms, max 50 ms), and the same generator
 *       at the same rate against the bare endpoint: the tail the generator and the shared cores
 *       give any server.
 * </ul>
 * A fresh citizen per request, two of 300 shops each, from one of {@code -Daddresses} client
 * addresses in turn (20,000; {@link ClientAddresses}). Medians of {@code runs} rounds; every round
 * and every later phase on a campaign of its own, the one before removed from both stores.
 *
 * <p>The gateway runs ONE event loop unless {@code -DgatewayLoops=N} says otherwise: on two cores
 * that it shares with Redis and the generator, one loop gathers twice the claims per Redis call
 * (about 31 against 15 with two loops, one batch in flight each), which cut Redis's CPU per claim
 * by a fifth; it is how a gateway sharing a small machine with Redis is deployed (deploy/README.md,
 * Sizing). The bare endpoint keeps Vert.x's default loops. Each round also prints the bare
 * endpoint's own JVM CPU per request: the HTTP floor under the gateway's CPU per claim.
 *
 * <p>With {@code -Dlevels=none,everysec,always,replicas:1} it runs {@link DurabilityBenchmark} instead.
 *
 * <pre>
 *   loadtest/bench admission [-Dseconds=10 -Druns=5 -Dconnections=64 -DopenSeconds=60 -DopenRate=(half the admitted rate)]
 *   loadtest/bench admission -Dlevels=none,everysec,always,replicas:1 [-Druns=3 -DopenRate=3000 -DopenSeconds=20]
 *   loadtest/bench admission -DopenOnly=true [-DopenRate=20000 -DopenSeconds=30]   (the open model alone, beside the bare endpoint's)
 *   loadtest/bench admission -DclaimsOnly=true -Djar=/path/to/claimgate.jar   (the rounds alone: A/B runs of two jars, alternated)
 *   loadtest/bench admission -DfreshOnly=true   (a fresh gateway's first seconds alone)
 * </pre>
 */
public final class AdmissionBenchmark {

  static final String CAMPAIGN = "bench-admission";
  static final String OPEN_CAMPAIGN = "bench-admission-open";
  static final int MERCHANTS = 300;

  private final BenchServers servers;
  private final BenchRoles roles;
  private final Vertx vertx;
  private final PipelinedRedis redis;
  private final CpuMeter meter;

  AdmissionBenchmark(BenchServers servers, BenchRoles roles, Vertx vertx) {
    this.servers = servers;
    this.roles = roles;
    this.vertx = vertx;
    this.redis = new PipelinedRedis(vertx, servers.redisUrl);
    this.meter = new CpuMeter(redis);
  }

  public static void main(String[] args) throws Exception {
    int seconds = Integer.getInteger("seconds", 10);
    int runs = Integer.getInteger("runs", 5);
    int connections = Integer.getInteger("connections", 64);
    int openSeconds = Integer.getInteger("openSeconds", 60);
    Path jar = Path.of(System.getProperty("jar", "app/target/claimgate.jar")).toAbsolutePath();
    try (BenchServers servers = BenchServers.start()) {
      Vertx vertx = Vertx.vertx();
      BenchRoles roles = new BenchRoles(servers, Files.createTempDirectory("claimgate-bench"), jar);
      try {
        String levels = System.getProperty("levels");
        if (levels == null) {
          if (System.getProperty("gatewayLoops") == null) {
            System.setProperty("gatewayLoops", "1");
          }
          new AdmissionBenchmark(servers, roles, vertx).run(seconds, runs, connections, openSeconds);
        } else {
          new DurabilityBenchmark(servers, roles, vertx).run(List.of(levels.split(",")), seconds, runs, connections,
              Integer.getInteger("openRate", 3_000), Integer.getInteger("openSeconds", 20));
        }
      } finally {
        vertx.close().await();
      }
    }
    System.exit(0);
  }

  void run(int seconds, int runs, int connections, int openSeconds) throws Exception {
    servers.apply(vertx, campaign());
    int barePort = EmbeddedServers.freePort();
    Process bare = roles.startBare(barePort);
    int gatewayPort = EmbeddedServers.freePort();
    Process gateway = roles.startGateway(gatewayPort, "gateway-1");
    Process allocator = null;
    String path = "/api/v1/campaigns/" + CAMPAIGN + "/claims";
    Path script = Wrk.claimScript();
    try {
      roles.awaitReady(barePort, "/", 30_000);
      roles.awaitReady(gatewayPort, "/health/ready", 120_000);

      warmUp("bare endpoint", bare, barePort, path, script, connections);
      warmUp("gateway", gateway, gatewayPort, path, script, connections);
      if (Boolean.getBoolean("freshOnly")) {
        // a fresh gateway's first seconds alone, for runs that look into its warm-up
        gateway.destroy();
        gateway.waitFor();
        String current = fresh(CAMPAIGN, CAMPAIGN + "-fresh");
        long started = System.nanoTime();
        gateway = roles.startGateway(gatewayPort, "gateway-2");
        freshStart(gateway, started, gatewayPort, current, script, seconds, connections).print(seconds);
        return;
      }
      if (Boolean.getBoolean("openOnly")) {
        // the open model alone, on the gateway warmed up above and on the bare endpoint: its
        // tail beside the generator's own, for runs that look into the tail
        int rate = Integer.getInteger("openRate", 20_000);
        OpenRuns open = openModel(CAMPAIGN, barePort, path, gatewayPort, rate, openSeconds, connections);
        System.out.printf(Locale.ROOT, "open model at %,d claims/s for %d s: bare endpoint %s; gateway %s%n", rate,
            openSeconds, open.bare().summary(), open.gateway().summary());
        return;
      }

      List<Double> bareRates = new ArrayList<>();
      List<Double> bareP99 = new ArrayList<>();
      List<Double> claimRates = new ArrayList<>();
      List<Double> ratios = new ArrayList<>();
      List<Wrk.Result> claimRuns = new ArrayList<>();
      List<CpuMeter.Cpu> cpus = new ArrayList<>();
      // the bare endpoint's own JVM CPU per request: the HTTP floor under the gateway's figure
      List<Double> bareUs = new ArrayList<>();
      String current = CAMPAIGN;
      for (int run = 1; run <= runs; run++) {
        // every round a campaign of its own, the one before removed: each starts with the
        // hundreds of thousands of citizens one round admits, not the millions of all rounds
        // before it (a launch of the seed's size has 50,000; Redis's CPU per claim rose round by
        // round, 9.4 to 12.9 us over five, as its citizens' hash grew)
        current = fresh(current, CAMPAIGN + "-" + run);
        String roundPath = "/api/v1/campaigns/" + current + "/claims";
        double bareCpu = Processes.cpuSeconds(bare.pid());
        Wrk.Result b = Wrk.run(barePort, roundPath, script, seconds, connections);
        bareUs.add((Processes.cpuSeconds(bare.pid()) - bareCpu) * 1e6 / Math.max(1, b.ok()));
        CpuMeter.Measured m = meter.measured(gateway, () -> Wrk.run(gatewayPort, roundPath, script, seconds, connections));
        bareRates.add(b.requestsPerSecond());
        bareP99.add(b.p99Ms());
        claimRates.add(m.result().requestsPerSecond());
        ratios.add(m.result().requestsPerSecond() / b.requestsPerSecond());
        claimRuns.add(m.result());
        cpus.add(m.cpu());
        System.out.printf(Locale.ROOT, "run %d: bare %,.0f req/s (its JVM %.1f us a request), claims %,.0f/s (ratio %.2f, non-2xx %d); CPU per claim: "
                + "gateway %.1f us, Redis %.1f us (script %.1f us; its rewrites %.1f us), wrk %.1f us; %.1f claims per script call%n", run,
            b.requestsPerSecond(), bareUs.get(run - 1), m.result().requestsPerSecond(), ratios.get(run - 1), m.result().non2xx(), m.cpu().gatewayUs(),
            m.cpu().redisUs(), m.cpu().scriptUs(), m.cpu().redisChildrenUs(), m.cpu().wrkUs(), m.cpu().claimsPerCall());
      }

      if (Boolean.getBoolean("claimsOnly")) {
        // the rounds alone, for A/B runs of one change (two jars, -Djar=..., alternated)
        System.out.printf(Locale.ROOT, "claims only: ratio %.2f (rounds %s), claims %,.0f/s, bare %,.0f req/s%n",
            BenchServers.median(ratios), ratios.stream().map(r -> String.format(Locale.ROOT, "%.2f", r)).toList(),
            BenchServers.median(claimRates), BenchServers.median(bareRates));
        return;
      }

      // the whole system: an allocator deciding what the gateway admits
      current = fresh(current, CAMPAIGN + "-system");
      String systemPath = "/api/v1/campaigns/" + current + "/claims";
      // measured once the allocator is warm (startAllocator waits for it): a fixed 3 s wait fell
      // inside its warm-up, whose JIT compiles and scratch-campaign removal then ran during the
      // rounds, the ceiling's included
      allocator = roles.startAllocator();
      servers.settle(vertx);
      List<Double> systemRatios = new ArrayList<>();
      List<Double> systemRates = new ArrayList<>();
      List<Double> decidedRates = new ArrayList<>();
      for (int run = 1; run <= Math.max(1, runs / 2); run++) {
        // the ceiling on idle cores: an allocator still deciding the round before's backlog would
        // take them from the bare endpoint and flatter the round's ratio
        long waited = System.nanoTime();
        awaitDecided(current);
        double drainedS = (System.nanoTime() - waited) / 1e9;
        Wrk.Result b = Wrk.run(barePort, systemPath, script, seconds, connections);
        long decidedBefore = counters(current).decided();
        long t0 = System.nanoTime();
        Wrk.Result c = Wrk.run(gatewayPort, systemPath, script, seconds, connections);
        double decidedRate = (counters(current).decided() - decidedBefore) / ((System.nanoTime() - t0) / 1e9);
        systemRates.add(c.requestsPerSecond());
        systemRatios.add(c.requestsPerSecond() / b.requestsPerSecond());
        decidedRates.add(decidedRate);
        System.out.printf(Locale.ROOT, "with the allocator deciding, run %d: bare %,.0f req/s (after %.1f s for the allocator to "
            + "decide the backlog), claims %,.0f/s (ratio %.2f), decided meanwhile %,.0f/s%n",
            run, b.requestsPerSecond(), drainedS, c.requestsPerSecond(), systemRatios.get(run - 1), decidedRate);
      }
      allocator.destroy();
      allocator.waitFor();
      allocator = null;

      // the first seconds of a fresh gateway, as at 10:00 after a deploy
      gateway.destroy();
      gateway.waitFor();
      current = fresh(current, CAMPAIGN + "-fresh");
      long started = System.nanoTime();
      gateway = roles.startGateway(gatewayPort, "gateway-2");
      FreshStart freshStart = freshStart(gateway, started, gatewayPort, current, script, seconds, connections);

      // latency at half the admitted rate, the generator in a process of its own. It is a launch
      // of its own: a fresh campaign, with Redis's append-only file rewritten first, as the
      // runbook does before an opening. Without the rewrite, the append-only file the runs above
      // grew made Redis fork a dataset of some 700 MB in the middle of the minute (27 ms frozen,
      // then a child writing it for seconds on these two cores), a rewrite a launch of the seed's
      // size, whose whole dataset is tens of MB, does not meet
      // -DopenRate=N offers N claims/s instead: runs that compare JVMs or settings at one load
      int half = Integer.getInteger("openRate", (int) (BenchServers.median(claimRates) / 2));
      OpenRuns openRuns = openModel(current, barePort, path, gatewayPort, half, openSeconds, connections);
      OpenModelLoad.Result open = openRuns.gateway();
      CpuMeter.RedisPersistence persistenceBefore = openRuns.persistenceBefore();
      CpuMeter.RedisPersistence persistenceAfter = openRuns.persistenceAfter();

      double bareRate = BenchServers.median(bareRates);
      double claimRate = BenchServers.median(claimRates);
      System.out.printf(Locale.ROOT, "%n## Admission (%s; every part a process of its own, the gateway with %s event loop(s); wrk 1 thread, %d connections, claims from %,d client addresses, %d s runs, median of %d)%n",
          servers.describe(), System.getProperty("gatewayLoops"), connections, ClientAddresses.count(), seconds, runs);
      System.out.println("| figure | value | target |");
      System.out.println("|---|---|---|");
      System.out.printf(Locale.ROOT, "| bare Vert.x endpoint (ceiling, same body parse) | %,.0f req/s, p99 %.2f ms | |%n", bareRate,
          BenchServers.median(bareP99));
      System.out.printf(Locale.ROOT, "| claims admitted, no allocator deciding | %,.0f claims/s, p50 %.2f ms, p99 %.2f ms | |%n", claimRate,
          BenchServers.median(claimRuns.stream().map(Wrk.Result::p50Ms).toList()),
          BenchServers.median(claimRuns.stream().map(Wrk.Result::p99Ms).toList()));
      System.out.printf(Locale.ROOT, "| ratio claims / bare, median of the rounds (each round %s) | %.2f | >= 0.60 |%n",
          format(ratios), BenchServers.median(ratios));
      System.out.printf(Locale.ROOT, "| with an allocator deciding: claims/s, ratio (rounds %s) | %,.0f, %.2f | >= 0.35 |%n",
          format(systemRatios), BenchServers.median(systemRates), BenchServers.median(systemRatios));
      System.out.printf(Locale.ROOT, "| the allocator's decisions while those claims were admitted | %,.0f/s | |%n",
          BenchServers.median(decidedRates));
      System.out.printf(Locale.ROOT, "| gateway JVM CPU per admitted claim | %.1f us | <= 25 us |%n",
          BenchServers.median(cpus.stream().map(CpuMeter.Cpu::gatewayUs).toList()));
      System.out.printf(Locale.ROOT, "| the bare endpoint's JVM CPU per request (the same HTTP, no admission) | %.1f us | |%n",
          BenchServers.median(bareUs));
      System.out.printf(Locale.ROOT, "| Redis CPU per admitted claim (INFO cpu; the admission script alone, INFO commandstats) | %.1f us (%.1f us) | <= 10 us |%n",
          BenchServers.median(cpus.stream().map(CpuMeter.Cpu::redisUs).toList()),
          BenchServers.median(cpus.stream().map(CpuMeter.Cpu::scriptUs).toList()));
      System.out.printf(Locale.ROOT, "| Redis's children (append-only file rewrites) CPU per admitted claim | %.1f us | |%n",
          BenchServers.median(cpus.stream().map(CpuMeter.Cpu::redisChildrenUs).toList()));
      System.out.printf(Locale.ROOT, "| wrk CPU per request | %.1f us | |%n", BenchServers.median(cpus.stream().map(CpuMeter.Cpu::wrkUs).toList()));
      System.out.printf(Locale.ROOT, "| claims per admission script call (batch size) | %.1f | |%n",
          BenchServers.median(cpus.stream().map(CpuMeter.Cpu::claimsPerCall).toList()));
      freshStart.print(seconds);
      System.out.printf(Locale.ROOT, "| open model at %,d claims/s for %d s (generator in its own process) | %s | p99 <= 10 ms, max <= 50 ms |%n",
          half, openSeconds, open.summary());
      System.out.printf(Locale.ROOT, "| the same open model against the bare endpoint (the generator's and the machine's own tail) | %s | |%n",
          openRuns.bare().summary());
      System.out.printf(Locale.ROOT, "| Redis during the open model: append-only file rewrites (each a fork), its last fork, "
              + "fsyncs that made writes wait, memory at the end | %d, %.1f ms, %d, %.0f MB | |%n",
          (long) (persistenceAfter.rewrites() - persistenceBefore.rewrites()), persistenceAfter.lastForkUs() / 1000,
          (long) (persistenceAfter.delayedFsyncs() - persistenceBefore.delayedFsyncs()), persistenceAfter.usedMemoryBytes() / 1e6);
      System.out.println("non-2xx answers from the gateway under wrk: " + claimRuns.stream().mapToLong(Wrk.Result::non2xx).sum());
    } finally {
      bare.destroy();
      gateway.destroy();
      if (allocator != null) {
        allocator.destroy();
      }
      redis.close();
    }
  }

  /**
   * Runs wrk against an endpoint, 5 s at a time, until its rate is steady (two runs within 5 %)
   * and its JIT compilers are done (at most 0.25 s of their CPU in the last run), for at most a
   * minute: a fixed 10 s left the bare endpoint compiling on a slow machine, its first counted
   * round 20-40 % below its later ones, and the ratio of that round flattered.
   */
  private static void warmUp(String name, Process process, int port, String path, Path script, int connections)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    double lastRate = 0;
    double compiled = Processes.compilerSeconds(process.pid());
    while (true) {
      Wrk.Result run = Wrk.run(port, path, script, 5, connections);
      double nowCompiled = Processes.compilerSeconds(process.pid());
      boolean quiet = nowCompiled - compiled <= 0.25;
      boolean steady = lastRate > 0 && Math.abs(run.requestsPerSecond() - lastRate) <= 0.05 * lastRate;
      System.out.printf(Locale.ROOT, "warming up the %s: %,.0f req/s, its compilers %.2f s%n", name,
          run.requestsPerSecond(), nowCompiled - compiled);
      if ((quiet && steady) || System.nanoTime() > deadline) {
        return;
      }
      lastRate = run.requestsPerSecond();
      compiled = nowCompiled;
    }
  }

  /**
   * A gateway's first seconds after it reported ready, against the seconds after: its readiness
   * time, the claims admitted in each, and its JIT compilers' CPU in each (a warm-up that ended
   * while the compilers were still busy shows here).
   */
  record FreshStart(double readyAfterS, Wrk.Result cold, Wrk.Result warm, double coldCompilerS, double warmCompilerS) {
    void print(int seconds) {
      System.out.printf(Locale.ROOT, "| fresh gateway: ready after | %.1f s | |%n", readyAfterS);
      System.out.printf(Locale.ROOT, "| fresh gateway: first 10 s after ready / the %d s after | %,.0f / %,.0f claims/s = %.2f | >= 0.80 |%n",
          seconds, cold.requestsPerSecond(), warm.requestsPerSecond(), cold.requestsPerSecond() / warm.requestsPerSecond());
      System.out.printf(Locale.ROOT, "| fresh gateway: its JIT compilers' CPU in those seconds | %.2f s / %.2f s | |%n",
          coldCompilerS, warmCompilerS);
    }
  }

  /** @param startedNanos when the gateway process was started */
  private FreshStart freshStart(Process gateway, long startedNanos, int port, String campaignId, Path script, int seconds,
      int connections) throws Exception {
    String freshPath = "/api/v1/campaigns/" + campaignId + "/claims";
    roles.awaitReady(port, "/health/ready", 120_000);
    double readyAfterS = (System.nanoTime() - startedNanos) / 1e9;
    double compiled = Processes.compilerSeconds(gateway.pid());
    Wrk.Result cold = Wrk.run(port, freshPath, script, 10, connections);
    double coldCompiled = Processes.compilerSeconds(gateway.pid());
    Wrk.Result warm = Wrk.run(port, freshPath, script, seconds, connections);
    double warmCompiled = Processes.compilerSeconds(gateway.pid());
    return new FreshStart(readyAfterS, cold, warm, coldCompiled - compiled, warmCompiled - coldCompiled);
  }

  /** The open model against both endpoints, and Redis's persistence just before and after the gateway's. */
  record OpenRuns(OpenModelLoad.Result bare, OpenModelLoad.Result gateway, CpuMeter.RedisPersistence persistenceBefore,
      CpuMeter.RedisPersistence persistenceAfter) {}

  /**
   * The open model at {@code rate}, first against the bare endpoint (on {@code barePath}: the
   * tail the generator and these shared cores give any server), then against the gateway on a
   * campaign of its own (campaign {@code previous} removed), Redis's append-only file rewritten
   * first; prints Redis's latency events during the gateway's.
   */
  private OpenRuns openModel(String previous, int barePort, String barePath, int gatewayPort, int rate, int openSeconds,
      int connections) throws Exception {
    OpenModelLoad.Result bare = OpenModelLoad.inOwnProcess(roles.dir(), barePort, barePath, rate, openSeconds,
        connections);
    fresh(previous, OPEN_CAMPAIGN);
    meter.rewriteAppendOnlyFile();
    meter.watchRedisLatency();
    CpuMeter.RedisPersistence before = meter.redisPersistence();
    OpenModelLoad.Result gateway = OpenModelLoad.inOwnProcess(roles.dir(), gatewayPort,
        "/api/v1/campaigns/" + OPEN_CAMPAIGN + "/claims", rate, openSeconds, connections);
    CpuMeter.RedisPersistence after = meter.redisPersistence();
    System.out.println("Redis's own latency events of 2 ms or more during the open model (LATENCY LATEST: event, "
        + "unix time, latest ms, worst ms): " + meter.redisLatency());
    return new OpenRuns(bare, gateway, before, after);
  }

  private String fresh(String previous, String next) {
    return fresh(servers, vertx, previous, next);
  }

  /** Removes campaign {@code previous} from both stores and applies a fresh one named {@code next}. */
  static String fresh(BenchServers servers, Vertx vertx, String previous, String next) {
    servers.purge(vertx, previous);
    servers.apply(vertx, campaign(next));
    return next;
  }

  static String format(List<Double> values) {
    return values.stream().map(v -> String.format(Locale.ROOT, "%.2f", v)).toList().toString();
  }

  /** The claims admitted to {@code campaignId} and the allocator decided, as Redis counts them. */
  private CampaignState counters(String campaignId) {
    return CampaignState.read(redis, campaignId).await();
  }

  /** Waits until the allocator has decided every claim admitted to {@code campaignId}. */
  private void awaitDecided(String campaignId) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 300_000;
    while (true) {
      CampaignState counts = counters(campaignId);
      if (counts.decided() >= counts.seq()) {
        return;
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("the allocator decided " + counts.decided() + " of " + counts.seq()
            + " claims in 5 minutes");
      }
      Thread.sleep(200);
    }
  }

  /** A campaign that never runs out or throttles: what is measured is admission itself. */
  static Campaign campaign() {
    return campaign(CAMPAIGN);
  }

  static Campaign campaign(String id) {
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    List<Campaign.Merchant> list = new ArrayList<>();
    for (int i = 0; i < MERCHANTS; i++) {
      list.add(new Campaign.Merchant(String.format("m%03d", i), "Shop " + i, 10_000_000));
    }
    return new Campaign(id, "Benchmark " + id, "EUR", new BigDecimal("10.00"), 30,
        new Campaign.Limits(9, 3), null,
        new Campaign.Admission(100_000_000, 100_000_000, 3, 1_000_000.0, 100_000_000, 100_000_000),
        List.of(new Campaign.Round(now.minusMinutes(1), now.plusHours(6), 1.0)), List.copyOf(list)).validate();
  }
}
