package claimgate.bench;

import claimgate.campaign.Campaign;
import claimgate.redis.PipelinedRedis;
import claimgate.store.EmbeddedServers;
import claimgate.voucher.VoucherCodes;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
 *       corrected for coordinated omission; targets p99 10 ms, max 50 ms).
 * </ul>
 * A fresh citizen per request, two of 300 shops each. Medians of {@code runs} rounds.
 *
 * <p>With {@code -Dlevels=none,everysec,always,replicas:1}, it measures instead what each Redis
 * durability level costs (see {@code claimgate.redis.RedisDurability}): per level, the gateway
 * started with the matching {@code CLAIMGATE_REDIS_DURABILITY}, claims/s against the bare
 * ceiling, CPU per claim, and latency in an open model at a fixed rate ({@code -DopenRate}).
 *
 * <pre>
 *   loadtest/bench admission [-Dseconds=10 -Druns=5 -Dconnections=64 -DopenSeconds=60]
 *   loadtest/bench admission -Dlevels=none,everysec,always,replicas:1 [-Druns=3 -DopenRate=3000 -DopenSeconds=20]
 * </pre>
 */
public final class AdmissionBenchmark {

  static final String CAMPAIGN = "bench-admission";
  static final String OPERATOR = "cgo_bench";
  static final int MERCHANTS = 300;
  /** The ceiling runs with as many event loops as Vert.x gives this machine by default (its best here). */
  static final int BARE_LOOPS = Integer.getInteger("bareLoops", io.vertx.core.VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE);

  /** CPU of one process over a counted run, per admitted claim; and claims per admission call. */
  record Cpu(double gatewayUs, double redisUs, double scriptUs, double wrkUs, double claimsPerCall) {}

  private final BenchServers servers;
  private final Path dir;
  private final Path jar;
  private final String codeKey = VoucherCodes.newKeySpec(1, new SecureRandom());
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final Vertx vertx;
  private final PipelinedRedis redis;

  AdmissionBenchmark(BenchServers servers, Path dir, Path jar, Vertx vertx) {
    this.servers = servers;
    this.dir = dir;
    this.jar = jar;
    this.vertx = vertx;
    this.redis = new PipelinedRedis(vertx, servers.redisUrl);
  }

  public static void main(String[] args) throws Exception {
    int seconds = Integer.getInteger("seconds", 10);
    int runs = Integer.getInteger("runs", 5);
    int connections = Integer.getInteger("connections", 64);
    int openSeconds = Integer.getInteger("openSeconds", 60);
    Path jar = Path.of(System.getProperty("jar", "app/target/claimgate.jar")).toAbsolutePath();
    try (BenchServers servers = BenchServers.start()) {
      Vertx vertx = Vertx.vertx();
      AdmissionBenchmark bench = new AdmissionBenchmark(servers, Files.createTempDirectory("claimgate-bench"), jar, vertx);
      try {
        String levels = System.getProperty("levels");
        if (levels == null) {
          bench.run(seconds, runs, connections, openSeconds);
        } else {
          bench.durabilityCosts(List.of(levels.split(",")), seconds, runs, connections,
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
    Process bare = Processes.start(Processes.jvm(roleOptions(), "-cp", Processes.classpath(),
        "claimgate.bench.BareEndpoint", Integer.toString(barePort), Integer.toString(BARE_LOOPS)), Map.of(),
        dir.resolve("bare.log"));
    int gatewayPort = EmbeddedServers.freePort();
    Process gateway = startGateway(gatewayPort, "gateway-1");
    Process allocator = null;
    String path = "/api/v1/campaigns/" + CAMPAIGN + "/claims";
    Path script = wrkScript();
    try {
      awaitReady(barePort, "/", 30_000);
      awaitReady(gatewayPort, "/health/ready", 60_000);

      System.out.println("warming up both endpoints (" + seconds + " s each)...");
      Wrk.run(barePort, path, script, seconds, connections);
      Wrk.run(gatewayPort, path, script, seconds, connections);

      List<Double> bareRates = new ArrayList<>();
      List<Double> bareP99 = new ArrayList<>();
      List<Double> claimRates = new ArrayList<>();
      List<Double> ratios = new ArrayList<>();
      List<Wrk.Result> claimRuns = new ArrayList<>();
      List<Cpu> cpus = new ArrayList<>();
      for (int run = 1; run <= runs; run++) {
        Wrk.Result b = Wrk.run(barePort, path, script, seconds, connections);
        Measured m = measured(gateway, () -> Wrk.run(gatewayPort, path, script, seconds, connections));
        bareRates.add(b.requestsPerSecond());
        bareP99.add(b.p99Ms());
        claimRates.add(m.result.requestsPerSecond());
        ratios.add(m.result.requestsPerSecond() / b.requestsPerSecond());
        claimRuns.add(m.result);
        cpus.add(m.cpu);
        System.out.printf(Locale.ROOT, "run %d: bare %,.0f req/s, claims %,.0f/s (ratio %.2f, non-2xx %d); CPU per claim: "
                + "gateway %.1f us, Redis %.1f us (script %.1f us), wrk %.1f us; %.1f claims per script call%n", run,
            b.requestsPerSecond(), m.result.requestsPerSecond(), ratios.get(run - 1), m.result.non2xx(), m.cpu.gatewayUs(),
            m.cpu.redisUs(), m.cpu.scriptUs(), m.cpu.wrkUs(), m.cpu.claimsPerCall());
      }

      // the whole system: an allocator deciding what the gateway admits
      allocator = Processes.start(Processes.jvm(roleOptions(), "-jar", jar.toString(), "allocator"), env(claimgate.store.EmbeddedServers.freePort()),
          dir.resolve("allocator.log"));
      Thread.sleep(3_000);
      List<Double> systemRatios = new ArrayList<>();
      List<Double> systemRates = new ArrayList<>();
      for (int run = 1; run <= Math.max(1, runs / 2); run++) {
        Wrk.Result b = Wrk.run(barePort, path, script, seconds, connections);
        Wrk.Result c = Wrk.run(gatewayPort, path, script, seconds, connections);
        systemRates.add(c.requestsPerSecond());
        systemRatios.add(c.requestsPerSecond() / b.requestsPerSecond());
        System.out.printf(Locale.ROOT, "with the allocator deciding, run %d: bare %,.0f req/s, claims %,.0f/s (ratio %.2f)%n",
            run, b.requestsPerSecond(), c.requestsPerSecond(), systemRatios.get(run - 1));
      }
      allocator.destroy();
      allocator.waitFor();
      allocator = null;

      // the first seconds of a fresh gateway, as at 10:00 after a deploy
      gateway.destroy();
      gateway.waitFor();
      long started = System.nanoTime();
      gateway = startGateway(gatewayPort, "gateway-2");
      awaitReady(gatewayPort, "/health/ready", 120_000);
      double readyAfterS = (System.nanoTime() - started) / 1e9;
      Wrk.Result cold = Wrk.run(gatewayPort, path, script, 10, connections);
      Wrk.Result warm = Wrk.run(gatewayPort, path, script, seconds, connections);

      // latency at half the admitted rate, the generator in a process of its own
      int half = (int) (BenchServers.median(claimRates) / 2);
      RedisPersistence persistenceBefore = redisPersistence();
      OpenModelLoad.Result open = OpenModelLoad.inOwnProcess(dir, gatewayPort, path, half, openSeconds, connections);
      RedisPersistence persistenceAfter = redisPersistence();

      double bareRate = BenchServers.median(bareRates);
      double claimRate = BenchServers.median(claimRates);
      System.out.printf(Locale.ROOT, "%n## Admission (%s; every part a process of its own; wrk 1 thread, %d connections, %d s runs, median of %d)%n",
          servers.describe(), connections, seconds, runs);
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
      System.out.printf(Locale.ROOT, "| gateway JVM CPU per admitted claim | %.1f us | <= 25 us |%n",
          BenchServers.median(cpus.stream().map(Cpu::gatewayUs).toList()));
      System.out.printf(Locale.ROOT, "| Redis CPU per admitted claim (INFO cpu; the admission script alone, INFO commandstats) | %.1f us (%.1f us) | <= 10 us |%n",
          BenchServers.median(cpus.stream().map(Cpu::redisUs).toList()),
          BenchServers.median(cpus.stream().map(Cpu::scriptUs).toList()));
      System.out.printf(Locale.ROOT, "| wrk CPU per request | %.1f us | |%n", BenchServers.median(cpus.stream().map(Cpu::wrkUs).toList()));
      System.out.printf(Locale.ROOT, "| claims per admission script call (batch size) | %.1f | |%n",
          BenchServers.median(cpus.stream().map(Cpu::claimsPerCall).toList()));
      System.out.printf(Locale.ROOT, "| fresh gateway: ready after | %.1f s | |%n", readyAfterS);
      System.out.printf(Locale.ROOT, "| fresh gateway: first 10 s after ready / the %d s after | %,.0f / %,.0f claims/s = %.2f | >= 0.80 |%n",
          seconds, cold.requestsPerSecond(), warm.requestsPerSecond(), cold.requestsPerSecond() / warm.requestsPerSecond());
      System.out.printf(Locale.ROOT, "| open model at %,d claims/s for %d s (generator in its own process) | p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms; %,d sent, %,d failed | p99 <= 10 ms, max <= 50 ms |%n",
          half, openSeconds, open.p50Ms(), open.p99Ms(), open.p999Ms(), open.maxMs(), open.sent(), open.failed());
      System.out.printf(Locale.ROOT, "| Redis during the open model: append-only file rewrites (each a fork), its last fork, "
              + "fsyncs that made writes wait, memory at the end | %d, %.1f ms, %d, %.0f MB | |%n",
          (long) (persistenceAfter.rewrites - persistenceBefore.rewrites), persistenceAfter.lastForkUs / 1000,
          (long) (persistenceAfter.delayedFsyncs - persistenceBefore.delayedFsyncs), persistenceAfter.usedMemoryBytes / 1e6);
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

  /** One row per durability level: the same campaign, a gateway started for that level. */
  void durabilityCosts(List<String> levels, int seconds, int runs, int connections, int openRate, int openSeconds)
      throws Exception {
    servers.apply(vertx, campaign());
    int barePort = EmbeddedServers.freePort();
    Process bare = Processes.start(Processes.jvm(roleOptions(), "-cp", Processes.classpath(),
        "claimgate.bench.BareEndpoint", Integer.toString(barePort), Integer.toString(BARE_LOOPS)), Map.of(),
        dir.resolve("bare.log"));
    String path = "/api/v1/campaigns/" + CAMPAIGN + "/claims";
    Path script = wrkScript();
    List<String> rows = new ArrayList<>();
    try {
      awaitReady(barePort, "/", 30_000);
      Wrk.run(barePort, path, script, seconds, connections);
      for (String level : levels) {
        servers.durability(level.strip());
        int port = EmbeddedServers.freePort();
        Process gateway = startGateway(port, "gateway-" + level.strip().replace(':', '-'));
        try {
          awaitReady(port, "/health/ready", 120_000);
          Wrk.run(port, path, script, seconds, connections);
          List<Double> rates = new ArrayList<>();
          List<Double> ratios = new ArrayList<>();
          List<Wrk.Result> claimRuns = new ArrayList<>();
          List<Cpu> cpus = new ArrayList<>();
          for (int run = 1; run <= runs; run++) {
            Wrk.Result b = Wrk.run(barePort, path, script, seconds, connections);
            Measured m = measured(gateway, () -> Wrk.run(port, path, script, seconds, connections));
            rates.add(m.result.requestsPerSecond());
            ratios.add(m.result.requestsPerSecond() / b.requestsPerSecond());
            claimRuns.add(m.result);
            cpus.add(m.cpu);
            System.out.printf(Locale.ROOT, "%s run %d: bare %,.0f req/s, claims %,.0f/s (ratio %.2f, non-2xx %d)%n", level,
                run, b.requestsPerSecond(), m.result.requestsPerSecond(), ratios.get(run - 1), m.result.non2xx());
          }
          OpenModelLoad.Result open = OpenModelLoad.inOwnProcess(dir, port, path, openRate, openSeconds, connections);
          rows.add(String.format(Locale.ROOT, "| %s | %,.0f | %.2f | %.2f / %.2f ms | %.1f / %.1f us | %.1f | %.2f / %.2f / %.2f ms, %,d failed |",
              level, BenchServers.median(rates), BenchServers.median(ratios),
              BenchServers.median(claimRuns.stream().map(Wrk.Result::p50Ms).toList()),
              BenchServers.median(claimRuns.stream().map(Wrk.Result::p99Ms).toList()),
              BenchServers.median(cpus.stream().map(Cpu::gatewayUs).toList()),
              BenchServers.median(cpus.stream().map(Cpu::redisUs).toList()),
              BenchServers.median(cpus.stream().map(Cpu::claimsPerCall).toList()),
              open.p50Ms(), open.p99Ms(), open.maxMs(), open.failed()));
        } finally {
          gateway.destroy();
          gateway.waitFor();
        }
      }
    } finally {
      bare.destroy();
      redis.close();
    }
    System.out.printf(Locale.ROOT, "%n## Durability levels (%s; wrk 1 thread, %d connections, %d s runs, median of %d; open model %,d claims/s for %d s)%n",
        servers.servers(), connections, seconds, runs, openRate, openSeconds);
    System.out.println("| level | claims/s | ratio to bare | wrk p50 / p99 | CPU per claim: gateway / Redis | claims per script call | open model p50 / p99 / max |");
    System.out.println("|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  static String format(List<Double> values) {
    return values.stream().map(v -> String.format(Locale.ROOT, "%.2f", v)).toList().toString();
  }

  /** A campaign that never runs out or throttles: what is measured is admission itself. */
  static Campaign campaign() {
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    List<Campaign.Merchant> list = new ArrayList<>();
    for (int i = 0; i < MERCHANTS; i++) {
      list.add(new Campaign.Merchant(String.format("m%03d", i), "Shop " + i, 10_000_000));
    }
    return new Campaign(CAMPAIGN, "Benchmark " + CAMPAIGN, "EUR", new BigDecimal("10.00"), 30,
        new Campaign.Limits(9, 3), null,
        new Campaign.Admission(100_000_000, 100_000_000, 3, 1_000_000.0, 100_000_000, 100_000_000),
        List.of(new Campaign.Round(now.minusMinutes(1), now.plusHours(6), 1.0)), List.copyOf(list)).validate();
  }

  /** The JVM options the launcher gives the roles ({@code deploy/jvm.options}), or {@code -DroleJvm=...}. */
  static List<String> roleOptions() {
    try {
      String options = System.getProperty("roleJvm", Files.readString(Path.of("deploy/jvm.options")).strip());
      return List.of(options.split("\\s+"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("deploy/jvm.options: the roles' JVM options", e);
    }
  }

  private Map<String, String> env(int httpPort) {
    Map<String, String> env = new HashMap<>();
    env.put("CLAIMGATE_REDIS_URL", servers.redisUrl);
    env.put("CLAIMGATE_PG_URL", servers.database.url());
    env.put("CLAIMGATE_OPERATOR_TOKEN", OPERATOR);
    env.put("CLAIMGATE_CODE_KEY", codeKey);
    env.put("CLAIMGATE_DATA_DIR", dir.toString());
    env.put("CLAIMGATE_MAX_CONNECTIONS_PER_ADDRESS", "100000");
    env.put("CLAIMGATE_REDIS_DURABILITY", servers.gatewayDurability());
    if (httpPort > 0) {
      env.put("CLAIMGATE_HTTP_PORT", Integer.toString(httpPort));
    }
    if (System.getProperty("gatewayLoops") != null) {
      env.put("CLAIMGATE_EVENT_LOOPS", System.getProperty("gatewayLoops"));
    }
    return env;
  }

  private Process startGateway(int port, String name) throws IOException {
    List<String> options = new ArrayList<>(roleOptions());
    // e.g. -DgatewayJvm=-agentpath:/path/libasyncProfiler.so=start,event=itimer,file=/tmp/gateway.txt,flat=40
    if (System.getProperty("gatewayJvm") != null && name.equals("gateway-1")) {
      options.addAll(List.of(System.getProperty("gatewayJvm").split(" ")));
    }
    return Processes.start(Processes.jvm(options, "-jar", jar.toString(), "gateway"), env(port),
        dir.resolve(name + ".log"));
  }

  private record Measured(Wrk.Result result, Cpu cpu) {}

  @FunctionalInterface
  private interface Run {
    Wrk.Result run() throws Exception;
  }

  /** Runs {@code run} and reads the CPU the gateway and Redis spent on it. */
  private Measured measured(Process gateway, Run run) throws Exception {
    double gatewayBefore = Processes.cpuSeconds(gateway.pid());
    RedisCpu redisBefore = redisCpu();
    Wrk.Result result = run.run();
    double gatewayAfter = Processes.cpuSeconds(gateway.pid());
    RedisCpu redisAfter = redisCpu();
    double claims = Math.max(1, result.ok());
    return new Measured(result, new Cpu((gatewayAfter - gatewayBefore) * 1e6 / claims,
        (redisAfter.cpuSeconds - redisBefore.cpuSeconds) * 1e6 / claims,
        (redisAfter.scriptUs - redisBefore.scriptUs) / claims, result.cpuSeconds() * 1e6 / Math.max(1, result.requests()),
        claims / Math.max(1, redisAfter.scriptCalls - redisBefore.scriptCalls)));
  }

  private record RedisCpu(double cpuSeconds, double scriptUs, double scriptCalls) {}

  /** What Redis's persistence did: a rewrite forks the whole dataset; a delayed fsync makes writes wait. */
  private record RedisPersistence(double rewrites, double lastForkUs, double delayedFsyncs, double usedMemoryBytes) {}

  private RedisPersistence redisPersistence() {
    String persistence = redis.send(Request.cmd(Command.INFO).arg("persistence")).await().toString();
    String stats = redis.send(Request.cmd(Command.INFO).arg("stats")).await().toString();
    String memory = redis.send(Request.cmd(Command.INFO).arg("memory")).await().toString();
    return new RedisPersistence(Wrk.number(persistence, "aof_rewrites:(\\d+)"),
        Wrk.number(stats, "latest_fork_usec:(\\d+)"), Wrk.number(persistence, "aof_delayed_fsync:(\\d+)"),
        Wrk.number(memory, "used_memory:(\\d+)"));
  }

  private RedisCpu redisCpu() {
    String cpu = redis.send(Request.cmd(Command.INFO).arg("cpu")).await().toString();
    String stats = redis.send(Request.cmd(Command.INFO).arg("commandstats")).await().toString();
    double seconds = Wrk.number(cpu, "used_cpu_user:([\\d.]+)") + Wrk.number(cpu, "used_cpu_sys:([\\d.]+)");
    double script = Wrk.number(stats, "cmdstat_evalsha:calls=\\d+,usec=(\\d+)") + Wrk.number(stats, "cmdstat_eval:calls=\\d+,usec=(\\d+)");
    double calls = Wrk.number(stats, "cmdstat_evalsha:calls=(\\d+)") + Wrk.number(stats, "cmdstat_eval:calls=(\\d+)");
    return new RedisCpu(seconds, script, calls);
  }

  void awaitReady(int port, String path, long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      try {
        if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() < 500) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("nothing ready on port " + port + " within " + timeoutMs + " ms (logs in " + dir + ")");
  }

  static Path wrkScript() throws IOException {
    Path script = Files.createTempFile("claim", ".lua");
    Files.writeString(script, """
        -- a fresh citizen per request, two of 300 shops, so idempotency folds nothing
        local counter = 0
        local salt = tostring(math.random(1, 1000000000)) .. tostring(os.time())
        request = function()
          counter = counter + 1
          local a = counter % 300
          local b = (counter * 7 + 13) % 300
          if b == a then b = (a + 1) % 300 end
          local body = string.format('{"citizenId":"w%s-%d","merchantIds":["m%03d","m%03d"]}', salt, counter, a, b)
          return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
        end
        """);
    return script;
  }


}
