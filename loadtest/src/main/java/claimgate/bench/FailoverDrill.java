package claimgate.bench;

import claimgate.campaign.Campaign;
import claimgate.redis.PipelinedRedis;
import claimgate.store.Database;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Failover drills on one machine, without containers: real Redis (AOF) and PostgreSQL, two
 * gateway processes and two allocator processes of the claimgate jar, claims driven at both
 * gateways (retrying on the other with the same Idempotency-Key, as the launch page and the load
 * balancer do). During the run: the leading allocator is killed with SIGKILL, the next leader is
 * frozen with SIGSTOP and continued, a gateway is killed, Redis restarts, Redis comes back from
 * older files right after a pause, PostgreSQL restarts, and last the Redis primary is killed
 * (SIGKILL) and a Sentinel promotes its replica: every process reaches Redis through the Sentinel
 * ({@code redis-sentinel://}). Prints each recovery time, then checks that every acknowledged
 * ticket ends final and that the invariants hold; exits 1 on any breach.
 *
 * <pre>
 *   loadtest/drill                 (about 2 min)
 *   loadtest/drill -Dshort=true    (the CI variant, about 1 min)
 * </pre>
 */
public final class FailoverDrill {

  static final String CAMPAIGN = "drill";
  static final String TOKEN = "cgo_drill";
  static final long ALLOCATOR_TAKEOVER_LIMIT_MS = 2_000;
  /** The allocator's lease (3 s: a silent session ends then) and the standby's takeover after it. */
  static final long FROZEN_TAKEOVER_LIMIT_MS = 3_000 + ALLOCATOR_TAKEOVER_LIMIT_MS;

  final DrillInstallation installation;
  final ClaimDriver claims;
  /** The drill's own PostgreSQL connection, replaced after PostgreSQL restarts. */
  Pool pool;

  FailoverDrill(Path dir, Path jar) throws IOException {
    this.installation = new DrillInstallation(dir, jar, CAMPAIGN, TOKEN);
    this.claims = new ClaimDriver(CAMPAIGN, TOKEN, installation.gatewayPorts);
  }

  public static void main(String[] args) throws Exception {
    boolean quick = Boolean.getBoolean("short");
    Path jar = Path.of(System.getProperty("jar", "app/target/claimgate.jar")).toAbsolutePath();
    FailoverDrill drill = new FailoverDrill(Files.createTempDirectory("claimgate-drill"), jar);
    int code;
    try {
      // the short variant offers 75 claims/s (was 150): on a machine half as fast, 150 kept every
      // process of the installation busy, and the standby's takeover waited for the cores (2.1-3.3 s
      // from the lock to leading, against 0.5 s with the cores free); the full drill keeps 400
      code = drill.run(quick ? 75 : 400, quick ? 4 : 10, quick ? 8 : 30);
    } finally {
      drill.installation.stopAll();
    }
    System.exit(code);
  }

  int run(int claimsPerSecond, int secondsBetweenFaults, int freezeSeconds) throws Exception {
    DrillInstallation at = installation;
    List<String> pauseBreaches = new ArrayList<>();
    at.startStores();
    Database database = Database.fromUrl(at.pgUrl());
    database.migrate();
    Vertx vertx = Vertx.vertx();
    Campaign campaign = BenchServers.campaign(CAMPAIGN, 20, 100_000, 1_000_000);
    Pool setup = database.pool(vertx, 1);
    PipelinedRedis redisClient = new PipelinedRedis(vertx, at.redisUrl());
    claimgate.redis.RedisRestore.create(setup, redisClient, campaign, Optional.empty()).await();
    redisClient.close().await();
    setup.close().await();

    at.startGateway("gateway-1");
    at.startGateway("gateway-2");
    at.startAllocator("allocator-1");
    awaitCondition("allocator-1 leads", 30_000, () -> at.leads("allocator-1"));
    at.startAllocator("allocator-2");
    for (int port : at.gatewayPorts) {
      awaitCondition("gateway on " + port + " ready", 60_000, () -> at.ready(port));
    }
    Thread.sleep(2_000);

    claims.start(claimsPerSecond);
    Map<String, Long> recoveries = new LinkedHashMap<>();
    pool = database.pool(vertx, 1);
    try {
      Thread.sleep(secondsBetweenFaults * 1_000L);

      // 1. the leading allocator dies without a word
      String leader = at.leads("allocator-1") ? "allocator-1" : "allocator-2";
      String standby = leader.equals("allocator-1") ? "allocator-2" : "allocator-1";
      awaitStandby(standby, recoveries);
      long decidedBefore = decidedSeq();
      long killed = System.nanoTime();
      at.kill(leader);
      awaitCondition(standby + " takes over", 30_000, () -> at.leads(standby));
      recoveries.put("leading allocator killed (SIGKILL): standby leads", (System.nanoTime() - killed) / 1_000_000);
      // where the takeover's time went after the lock, as the new leader's log line says
      System.out.println("drill: " + standby + " after the SIGKILL: " + at.takeover(standby));
      awaitCondition("decisions continue", 30_000, () -> decidedSeq() > decidedBefore);
      recoveries.put("leading allocator killed (SIGKILL): decisions continue", (System.nanoTime() - killed) / 1_000_000);
      at.startAllocator(leader);
      Thread.sleep(secondsBetweenFaults * 1_000L);

      // 1b. the leading allocator freezes (SIGSTOP, as a stalled host would): its session goes
      //     silent, PostgreSQL ends it after the lease and the standby leads; continued, the old
      //     leader finds itself fenced off and stands by
      String frozen = at.leads("allocator-1") ? "allocator-1" : "allocator-2";
      String other = frozen.equals("allocator-1") ? "allocator-2" : "allocator-1";
      awaitStandby(other, recoveries);
      long decidedBeforeFreeze = decidedSeq();
      long stopped = System.nanoTime();
      at.signal(frozen, "STOP");
      awaitCondition(other + " takes over from the frozen leader", 30_000, () -> at.leads(other));
      recoveries.put("leading allocator frozen (SIGSTOP " + freezeSeconds + " s): standby leads",
          (System.nanoTime() - stopped) / 1_000_000);
      awaitCondition("decisions continue while the old leader is frozen", 30_000, () -> decidedSeq() > decidedBeforeFreeze);
      Thread.sleep(Math.max(0, freezeSeconds * 1_000L - (System.nanoTime() - stopped) / 1_000_000));
      at.signal(frozen, "CONT");
      awaitCondition("the continued leader stands by", 30_000, () -> !at.leads(frozen));
      Thread.sleep(secondsBetweenFaults * 1_000L);

      // 2. a gateway dies; clients go on at the other
      long before = claims.acknowledged.size();
      long gatewayKilled = System.nanoTime();
      at.kill("gateway-1");
      awaitCondition("claims acknowledged after the gateway died", 30_000,
          () -> claims.acknowledged.size() > before + 10 && claims.lastSuccessNanos.get() > gatewayKilled);
      recoveries.put("gateway killed: claims acknowledged again", (claims.lastSuccessAfter(gatewayKilled) - gatewayKilled) / 1_000_000);
      Thread.sleep(secondsBetweenFaults * 1_000L);

      // 3. Redis restarts (append-only file on): gateways and allocators reconnect by themselves
      long redisDown = System.nanoTime();
      at.redis.stop();
      Thread.sleep(1_000);
      at.startRedis();
      long redisUp = System.nanoTime();
      awaitCondition("claims admitted after Redis restarted", 60_000, () -> claims.lastSuccessNanos.get() > redisUp);
      recoveries.put("Redis restarted (down 1 s): claims admitted again after it was back",
          (claims.lastSuccessAfter(redisUp) - redisUp) / 1_000_000);
      long decidedAfterRedis = decidedSeq();
      awaitCondition("decisions after Redis restarted", 60_000, () -> decidedSeq() > decidedAfterRedis);
      recoveries.put("Redis restarted: decisions continue, from the fault", (System.nanoTime() - redisDown) / 1_000_000);
      Thread.sleep(secondsBetweenFaults * 1_000L);

      // 3b. Redis forgets: it dies and comes back from a copy of its files taken a few seconds
      //     earlier, during claims and right after the operator paused (a crash under everysec,
      //     a promoted asynchronous replica). The pause holds, claims wait for the restore, every
      //     acknowledged ticket ends final (those Redis lost: rejected, lost)
      Path aof = at.dir.resolve("redis").resolve("appendonly.aof");
      Path older = at.dir.resolve("appendonly.aof.older");
      Thread.sleep(1_200);
      Files.copy(aof, older, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Thread.sleep(secondsBetweenFaults * 500L);
      claims.admin("pause");
      long pausedAt = System.nanoTime();
      Thread.sleep(1_200);
      at.redis.stop();
      Files.copy(older, aof, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      at.startRedis();
      long olderUp = System.nanoTime();
      awaitCondition("claims answered paused after Redis came back older", 60_000, () -> claims.lastPaused.get() > olderUp);
      recoveries.put("Redis back from older files: the pause holds (claims answered paused) after",
          (claims.lastPaused.get() - olderUp) / 1_000_000);
      // a second of claims against the restored campaign while PostgreSQL says paused; the window
      // ends when the resume is sent (claims admitted while it is answered are no breach)
      Thread.sleep(1_000);
      long resumeAt = System.nanoTime();
      claims.admin("resume");
      long admittedWhilePaused = claims.admittedBetween(pausedAt, resumeAt);
      if (admittedWhilePaused > 0) {
        List<String> which = claims.acknowledgedAt.stream().filter(a -> a.firstSentNanos() > pausedAt && a.atNanos() < resumeAt)
            .map(a -> String.format(Locale.ROOT, "%s sent +%d ms, acknowledged +%d ms", a.ticket(),
                (a.firstSentNanos() - pausedAt) / 1_000_000, (a.atNanos() - pausedAt) / 1_000_000)).toList();
        pauseBreaches.add("invariant 4: " + admittedWhilePaused + " claims first sent after the pause returned were "
            + "acknowledged before the resume (Redis restarted from older files at +"
            + (olderUp - pausedAt) / 1_000_000 + " ms): " + which);
      }
      long resumed = System.nanoTime();
      awaitCondition("claims admitted after the resume", 60_000, () -> claims.lastSuccessNanos.get() > resumed);
      recoveries.put("Redis back from older files: claims admitted again after the resume",
          (claims.lastSuccessAfter(resumed) - resumed) / 1_000_000);
      long decidedAfterOlder = decidedSeq();
      awaitCondition("decisions after Redis came back older", 60_000, () -> decidedSeq() > decidedAfterOlder);
      Thread.sleep(secondsBetweenFaults * 1_000L);

      // 4. PostgreSQL restarts: the allocator stops, re-elects and continues
      pool.close().await();
      long pgDown = System.nanoTime();
      at.postgres.close();
      Thread.sleep(1_000);
      at.startPostgres();
      long pgUp = System.nanoTime();
      pool = database.pool(vertx, 1);
      long decidedAtRestart = decidedSeq();
      awaitCondition("decisions after PostgreSQL restarted", 60_000, () -> decidedSeq() > decidedAtRestart);
      recoveries.put("PostgreSQL restarted (down 1 s): decisions continue after it was back", (System.nanoTime() - pgUp) / 1_000_000);
      recoveries.put("PostgreSQL restarted: decisions continue, from the fault", (System.nanoTime() - pgDown) / 1_000_000);
      Thread.sleep(secondsBetweenFaults * 1_000L);

      // 5. the Redis primary dies (SIGKILL) and does not come back: the Sentinel promotes the
      //    replica (asynchronous: it may lack the last writes), every process follows it, the
      //    allocator restores the campaign on the new server, claims are admitted again
      long primaryKilled = at.killRedisPrimary();
      // (a claim first sent after the kill: an answer already on its way may be read later)
      awaitCondition("claims admitted after the Sentinel promoted the replica", 60_000,
          () -> claims.admittedBetween(primaryKilled, Long.MAX_VALUE) > 0);
      recoveries.put("Redis primary killed (SIGKILL, Sentinel down-after " + DrillInstallation.SENTINEL_DOWN_AFTER_MS
          + " ms): claims admitted again on the promoted replica", (claims.firstAdmittedSentAfter(primaryKilled) - primaryKilled) / 1_000_000);
      // decided: a claim admitted by the promoted replica (a batch read before the kill may still
      // commit after it, so the decided seq alone says nothing)
      awaitCondition("decisions after the failover", 60_000, () -> decidedAny(claims.ticketsFirstSentAfter(primaryKilled)));
      recoveries.put("Redis primary killed: decisions continue, from the fault", (System.nanoTime() - primaryKilled) / 1_000_000);
      Thread.sleep(secondsBetweenFaults * 1_000L);
    } finally {
      claims.stop();
    }

    System.out.printf(Locale.ROOT, "%n## Failover drill (%d claims/s offered at two gateways)%n", claimsPerSecond);
    System.out.println("| fault | recovery |");
    System.out.println("|---|---|");
    recoveries.forEach((fault, ms) -> System.out.printf(Locale.ROOT, "| %s | %,d ms |%n", fault, ms));
    System.out.printf(Locale.ROOT, "acknowledged claims: %,d; attempts that failed and were retried: %,d; claims given up after every retry: %,d%n",
        claims.acknowledged.size(), claims.failedAttempts.get(), claims.abandoned.get());

    List<String> breaches = check();
    breaches.addAll(pauseBreaches);
    if (claims.serverErrors.get() > 0) {
      breaches.add(claims.serverErrors.get() + " claims were answered 5xx other than 503 (a bug: a fault is 503 unavailable)");
    }
    claims.outsideContract.forEach(answer -> breaches.add("an answer outside the contract: " + answer));
    pool.close().await();
    vertx.close().await();
    if (recoveries.get("leading allocator killed (SIGKILL): standby leads") > ALLOCATOR_TAKEOVER_LIMIT_MS) {
      breaches.add("the standby allocator took longer than " + ALLOCATOR_TAKEOVER_LIMIT_MS + " ms to lead");
    }
    long frozenTakeover = recoveries.get("leading allocator frozen (SIGSTOP " + freezeSeconds + " s): standby leads");
    if (frozenTakeover > FROZEN_TAKEOVER_LIMIT_MS) {
      breaches.add("the standby took " + frozenTakeover + " ms to lead after its leader froze (limit "
          + FROZEN_TAKEOVER_LIMIT_MS + " ms)");
    }
    if (breaches.isEmpty()) {
      System.out.println("invariants: all hold");
      return 0;
    }
    breaches.forEach(b -> System.out.println("BREACH: " + b));
    return 1;
  }

  /** Every acknowledged ticket final (asked of the gateways), then the invariant check of the campaign. */
  List<String> check() throws Exception {
    List<String> breaches = new ArrayList<>();
    Map<String, Integer> outcomes = new java.util.TreeMap<>();
    for (String ticket : claims.acknowledged) {
      JsonObject status = claims.awaitFinalStatus(ticket);
      String outcome = status == null ? "unknown" : status.getString("status")
          + (status.getString("reason") == null ? "" : "/" + status.getString("reason"));
      outcomes.merge(outcome, 1, Integer::sum);
    }
    System.out.println("acknowledged tickets by final status: " + outcomes);
    if (outcomes.containsKey("unknown") || outcomes.containsKey("queued")) {
      breaches.add("acknowledged tickets not final: " + outcomes);
    }
    breaches.addAll(claimgate.store.InvariantCheck.run(installation.redisUrl(), Database.fromUrl(installation.pgUrl()), CAMPAIGN, true));
    // the public log through every fault: one chain, every decision by the rules its leaders stated
    claimgate.verify.LogVerifier.Result log = claimgate.verify.LogVerifier.ofCampaign(pool, CAMPAIGN).await();
    System.out.println("public decision log: " + (log.ok() ? "verifies, " + log.figures().get("records") + " records, "
        + log.figures().get("events") : "violation at record " + log.index() + ": " + log.message()));
    if (!log.ok()) {
      breaches.add("the public decision log does not verify: record " + log.index() + ": " + log.message());
    }
    Row once = pool.preparedQuery("select count(*) from claim where campaign_id = $1").execute(Tuple.of(CAMPAIGN))
        .await().iterator().next();
    System.out.printf(Locale.ROOT, "claims decided in PostgreSQL: %,d%n", once.getLong(0));
    return breaches;
  }

  /** True when PostgreSQL has decided any of {@code tickets}. */
  boolean decidedAny(List<String> tickets) {
    if (tickets.isEmpty()) {
      return false;
    }
    try {
      return pool.preparedQuery("select exists (select 1 from claim where ticket = any($1))")
          .execute(Tuple.of(tickets.toArray(String[]::new))).await().iterator().next().getBoolean(0);
    } catch (RuntimeException unreachable) {
      return false;
    }
  }

  long decidedSeq() {
    try {
      return pool.preparedQuery("select decided_seq from campaign where id = $1").execute(Tuple.of(CAMPAIGN))
          .await().iterator().next().getLong(0);
    } catch (RuntimeException unreachable) {
      return -1;
    }
  }

  /**
   * Waits until {@code name} stands by (connected, takeover rehearsed, waiting for the lock): a
   * takeover is timed from a fault that a standby can take over, not from a process still
   * starting. How long it waited is kept as a figure of its own.
   */
  void awaitStandby(String name, Map<String, Long> figures) throws InterruptedException {
    long since = System.nanoTime();
    awaitCondition(name + " stands by", 60_000, () -> installation.standsBy(name));
    long waitedMs = (System.nanoTime() - since) / 1_000_000;
    figures.merge("waited for the standby to stand by before an allocator fault (longest)", waitedMs, Math::max);
    // a standby stands by long before a launch's faults: its JIT compilers are done by then. One
    // restarted a few seconds before the fault still compiled on a core of its own on a slow
    // machine, and its first takeover ran cold (3.3 s from the lock to leading, against 0.5 s)
    long quietSince = System.nanoTime();
    long pid = installation.processes.get(name).pid();
    double compiled = Processes.compilerSeconds(pid);
    for (int second = 0; second < 20; second++) {
      Thread.sleep(1_000);
      double now = Processes.compilerSeconds(pid);
      if (now - compiled <= 0.1) {
        break;
      }
      compiled = now;
    }
    figures.merge("waited for the standby's JIT compilers to be done (longest)", (System.nanoTime() - quietSince) / 1_000_000,
        Math::max);
  }

  static void awaitCondition(String what, long timeoutMs, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("drill: not reached within " + timeoutMs + " ms: " + what);
      }
      Thread.sleep(20);
    }
  }
}
