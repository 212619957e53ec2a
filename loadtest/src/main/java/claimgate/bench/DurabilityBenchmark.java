package claimgate.bench;

import claimgate.redis.PipelinedRedis;
import claimgate.store.EmbeddedServers;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What each Redis durability level costs (see {@code claimgate.redis.RedisDurability}): per
 * level, a gateway started with the matching {@code CLAIMGATE_REDIS_DURABILITY}, claims/s against
 * the bare ceiling measured in the same run, CPU per claim, and latency in an open model at a
 * fixed rate ({@code -DopenRate}).
 *
 * <pre>
 *   loadtest/bench admission -Dlevels=none,everysec,always,replicas:1 [-Druns=3 -DopenRate=3000 -DopenSeconds=20]
 * </pre>
 */
final class DurabilityBenchmark {

  private final BenchServers servers;
  private final BenchRoles roles;
  private final Vertx vertx;
  private final PipelinedRedis redis;
  private final CpuMeter meter;

  DurabilityBenchmark(BenchServers servers, BenchRoles roles, Vertx vertx) {
    this.servers = servers;
    this.roles = roles;
    this.vertx = vertx;
    this.redis = new PipelinedRedis(vertx, servers.redisUrl);
    this.meter = new CpuMeter(redis);
  }

  /** One row per durability level: the same campaign, a gateway started for that level. */
  void run(List<String> levels, int seconds, int runs, int connections, int openRate, int openSeconds)
      throws Exception {
    servers.apply(vertx, AdmissionBenchmark.campaign());
    int barePort = EmbeddedServers.freePort();
    Process bare = roles.startBare(barePort);
    String path = "/api/v1/campaigns/" + AdmissionBenchmark.CAMPAIGN + "/claims";
    Path script = Wrk.claimScript();
    List<String> rows = new ArrayList<>();
    try {
      roles.awaitReady(barePort, "/", 30_000);
      Wrk.run(barePort, path, script, seconds, connections);
      for (String level : levels) {
        servers.durability(level.strip());
        int port = EmbeddedServers.freePort();
        Process gateway = roles.startGateway(port, "gateway-" + level.strip().replace(':', '-'));
        try {
          roles.awaitReady(port, "/health/ready", 120_000);
          Wrk.run(port, path, script, seconds, connections);
          List<Double> rates = new ArrayList<>();
          List<Double> ratios = new ArrayList<>();
          List<Wrk.Result> claimRuns = new ArrayList<>();
          List<CpuMeter.Cpu> cpus = new ArrayList<>();
          for (int run = 1; run <= runs; run++) {
            Wrk.Result b = Wrk.run(barePort, path, script, seconds, connections);
            CpuMeter.Measured m = meter.measured(gateway, () -> Wrk.run(port, path, script, seconds, connections));
            rates.add(m.result().requestsPerSecond());
            ratios.add(m.result().requestsPerSecond() / b.requestsPerSecond());
            claimRuns.add(m.result());
            cpus.add(m.cpu());
            System.out.printf(Locale.ROOT, "%s run %d: bare %,.0f req/s, claims %,.0f/s (ratio %.2f, non-2xx %d)%n", level,
                run, b.requestsPerSecond(), m.result().requestsPerSecond(), ratios.get(run - 1), m.result().non2xx());
          }
          OpenModelLoad.Result open = OpenModelLoad.inOwnProcess(roles.dir(), port, path, openRate, openSeconds, connections);
          rows.add(String.format(Locale.ROOT, "| %s | %,.0f | %.2f | %.2f / %.2f ms | %.1f / %.1f us | %.1f | %.2f / %.2f / %.2f ms, %,d failed |",
              level, BenchServers.median(rates), BenchServers.median(ratios),
              BenchServers.median(claimRuns.stream().map(Wrk.Result::p50Ms).toList()),
              BenchServers.median(claimRuns.stream().map(Wrk.Result::p99Ms).toList()),
              BenchServers.median(cpus.stream().map(CpuMeter.Cpu::gatewayUs).toList()),
              BenchServers.median(cpus.stream().map(CpuMeter.Cpu::redisUs).toList()),
              BenchServers.median(cpus.stream().map(CpuMeter.Cpu::claimsPerCall).toList()),
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
}
