package claimgate.bench;

import claimgate.redis.RedisRestore;
import claimgate.campaign.Campaign;
import claimgate.redis.PipelinedRedis;
import claimgate.store.Database;
import claimgate.store.EmbeddedServers;
import claimgate.voucher.VoucherCodes;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import redis.embedded.RedisServer;

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

  final Path dir;
  final Path jar;
  final String codeKey = VoucherCodes.newKeySpec(1, new SecureRandom());
  final int redisPort;
  final int replicaPort;
  final int sentinelPort;
  final int pgPort;
  final Map<String, Process> processes = new LinkedHashMap<>();
  final Map<String, Path> logs = new LinkedHashMap<>();
  final List<Integer> gatewayPorts = new ArrayList<>();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
  /** Each acknowledged claim: when it was first sent and when it was acknowledged (nanos). */
  record Acknowledged(long firstSentNanos, long atNanos, String ticket) {}
  final java.util.concurrent.ConcurrentLinkedQueue<Acknowledged> acknowledgedAt = new java.util.concurrent.ConcurrentLinkedQueue<>();
  final AtomicLong lastPaused = new AtomicLong();
  final List<String> pauseBreaches = new java.util.concurrent.CopyOnWriteArrayList<>();
  final AtomicLong lastSuccessNanos = new AtomicLong(System.nanoTime());
  final AtomicLong failedAttempts = new AtomicLong();
  final AtomicLong abandoned = new AtomicLong();
  /** Answers 5xx other than 503: each one is a bug, whatever fault was under way. */
  final AtomicLong serverErrors = new AtomicLong();
  /** Claims in flight, each retried until acknowledged (up to 15 s). */
  final java.util.concurrent.ExecutorService inFlight = java.util.concurrent.Executors.newFixedThreadPool(256, task -> {
    Thread t = new Thread(task, "drill-claim");
    t.setDaemon(true);
    return t;
  });
  RedisServer redis;
  RedisServer replica;
  redis.embedded.RedisSentinel sentinel;
  /** How long the Sentinel waits on a silent primary before it promotes the replica. */
  static final long SENTINEL_DOWN_AFTER_MS = 3_000;
  EmbeddedPostgres postgres;
  /** The drill's own PostgreSQL connection, replaced after PostgreSQL restarts. */
  Pool pool;

  FailoverDrill(Path dir, Path jar) throws IOException {
    this.dir = dir;
    this.jar = jar;
    this.redisPort = EmbeddedServers.freePort();
    this.replicaPort = EmbeddedServers.freePort();
    this.sentinelPort = EmbeddedServers.freePort();
    this.pgPort = EmbeddedServers.freePort();
  }

  public static void main(String[] args) throws Exception {
    boolean quick = Boolean.getBoolean("short");
    Path jar = Path.of(System.getProperty("jar", "app/target/claimgate.jar")).toAbsolutePath();
    FailoverDrill drill = new FailoverDrill(Files.createTempDirectory("claimgate-drill"), jar);
    int code;
    try {
      code = drill.run(quick ? 150 : 400, quick ? 4 : 10, quick ? 8 : 30);
    } finally {
      drill.stopAll();
    }
    System.exit(code);
  }

  int run(int claimsPerSecond, int secondsBetweenFaults, int freezeSeconds) throws Exception {
    startRedis();
    replica = EmbeddedServers.startReplica(Files.createDirectories(dir.resolve("replica")), replicaPort, redisPort);
    // longer than the restarts below take, so only the last fault makes it promote the replica
    sentinel = EmbeddedServers.startSentinel(sentinelPort, SENTINEL_MASTER, redisPort, SENTINEL_DOWN_AFTER_MS);
    startPostgres();
    Database database = Database.fromUrl(pgUrl());
    database.migrate();
    Vertx vertx = Vertx.vertx();
    Campaign campaign = BenchServers.campaign(CAMPAIGN, 20, 100_000, 1_000_000);
    Pool setup = database.pool(vertx, 1);
    PipelinedRedis redisClient = new PipelinedRedis(vertx, redisUrl());
    claimgate.redis.RedisRestore.create(setup, redisClient, campaign, Optional.empty()).await();
    redisClient.close().await();
    setup.close().await();

    for (int i = 1; i <= 2; i++) {
      int port = EmbeddedServers.freePort();
      gatewayPorts.add(port);
      spawn("gateway-" + i, "gateway", port);
    }
    spawn("allocator-1", "allocator", EmbeddedServers.freePort());
    awaitCondition("allocator-1 leads", 30_000, () -> leads("allocator-1"));
    spawn("allocator-2", "allocator", EmbeddedServers.freePort());
    for (int port : gatewayPorts) {
      awaitCondition("gateway on " + port + " ready", 60_000, () -> ready(port));
    }
    Thread.sleep(2_000);

    AtomicBoolean driving = new AtomicBoolean(true);
    Thread driver = new Thread(() -> drive(claimsPerSecond, driving), "drill-driver");
    driver.start();
    Map<String, Long> recoveries = new LinkedHashMap<>();
    pool = database.pool(vertx, 1);
    try {
      Thread.sleep(secondsBetweenFaults * 1_000L);

      // 1. the leading allocator dies without a word
      String leader = leads("allocator-1") ? "allocator-1" : "allocator-2";
      String standby = leader.equals("allocator-1") ? "allocator-2" : "allocator-1";
      awaitStandby(standby, recoveries);
      long decidedBefore = decidedSeq();
      long killed = System.nanoTime();
      processes.get(leader).destroyForcibly();
      awaitCondition(standby + " takes over", 30_000, () -> leads(standby));
      recoveries.put("leading allocator killed (SIGKILL): standby leads", (System.nanoTime() - killed) / 1_000_000);
      awaitCondition("decisions continue", 30_000, () -> decidedSeq() > decidedBefore);
      recoveries.put("leading allocator killed (SIGKILL): decisions continue", (System.nanoTime() - killed) / 1_000_000);
      spawn(leader, "allocator", EmbeddedServers.freePort());
      Thread.sleep(secondsBetweenFaults * 1_000L);

      // 1b. the leading allocator freezes (SIGSTOP, as a stalled host would): its session goes
      //     silent, PostgreSQL ends it after the lease and the standby leads; continued, the old
      //     leader finds itself fenced off and stands by
      String frozen = leads("allocator-1") ? "allocator-1" : "allocator-2";
      String other = frozen.equals("allocator-1") ? "allocator-2" : "allocator-1";
      awaitStandby(other, recoveries);
      long decidedBeforeFreeze = decidedSeq();
      long stopped = System.nanoTime();
      signal(frozen, "STOP");
      awaitCondition(other + " takes over from the frozen leader", 30_000, () -> leads(other));
      recoveries.put("leading allocator frozen (SIGSTOP " + freezeSeconds + " s): standby leads",
          (System.nanoTime() - stopped) / 1_000_000);
      awaitCondition("decisions continue while the old leader is frozen", 30_000, () -> decidedSeq() > decidedBeforeFreeze);
      Thread.sleep(Math.max(0, freezeSeconds * 1_000L - (System.nanoTime() - stopped) / 1_000_000));
      signal(frozen, "CONT");
      awaitCondition("the continued leader stands by", 30_000, () -> !leads(frozen));
      Thread.sleep(secondsBetweenFaults * 1_000L);

      // 2. a gateway dies; clients go on at the other
      long before = acknowledged.size();
      long gatewayKilled = System.nanoTime();
      processes.get("gateway-1").destroyForcibly();
      awaitCondition("claims acknowledged after the gateway died", 30_000,
          () -> acknowledged.size() > before + 10 && lastSuccessNanos.get() > gatewayKilled);
      recoveries.put("gateway killed: claims acknowledged again", (lastSuccessAfter(gatewayKilled) - gatewayKilled) / 1_000_000);
      Thread.sleep(secondsBetweenFaults * 1_000L);

      // 3. Redis restarts (append-only file on): gateways and allocators reconnect by themselves
      long redisDown = System.nanoTime();
      redis.stop();
      Thread.sleep(1_000);
      startRedis();
      long redisUp = System.nanoTime();
      awaitCondition("claims admitted after Redis restarted", 60_000, () -> lastSuccessNanos.get() > redisUp);
      recoveries.put("Redis restarted (down 1 s): claims admitted again after it was back",
          (lastSuccessAfter(redisUp) - redisUp) / 1_000_000);
      long decidedAfterRedis = decidedSeq();
      awaitCondition("decisions after Redis restarted", 60_000, () -> decidedSeq() > decidedAfterRedis);
      recoveries.put("Redis restarted: decisions continue, from the fault", (System.nanoTime() - redisDown) / 1_000_000);
      Thread.sleep(secondsBetweenFaults * 1_000L);

      // 3b. Redis forgets: it dies and comes back from a copy of its files taken a few seconds
      //     earlier, during claims and right after the operator paused (a crash under everysec,
      //     a promoted asynchronous replica). The pause holds, claims wait for the restore, every
      //     acknowledged ticket ends final (those Redis lost: rejected, lost)
      Path aof = dir.resolve("redis").resolve("appendonly.aof");
      Path older = dir.resolve("appendonly.aof.older");
      Thread.sleep(1_200);
      Files.copy(aof, older, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Thread.sleep(secondsBetweenFaults * 500L);
      admin("pause");
      long pausedAt = System.nanoTime();
      Thread.sleep(1_200);
      redis.stop();
      Files.copy(older, aof, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      startRedis();
      long olderUp = System.nanoTime();
      awaitCondition("claims answered paused after Redis came back older", 60_000, () -> lastPaused.get() > olderUp);
      recoveries.put("Redis back from older files: the pause holds (claims answered paused) after",
          (lastPaused.get() - olderUp) / 1_000_000);
      // a second of claims against the restored campaign while PostgreSQL says paused; the window
      // ends when the resume is sent (claims admitted while it is answered are no breach)
      Thread.sleep(1_000);
      long resumeAt = System.nanoTime();
      admin("resume");
      long admittedWhilePaused = admittedBetween(pausedAt, resumeAt);
      if (admittedWhilePaused > 0) {
        List<String> which = acknowledgedAt.stream().filter(a -> a.firstSentNanos() > pausedAt && a.atNanos() < resumeAt)
            .map(a -> String.format(Locale.ROOT, "%s sent +%d ms, acknowledged +%d ms", a.ticket(),
                (a.firstSentNanos() - pausedAt) / 1_000_000, (a.atNanos() - pausedAt) / 1_000_000)).toList();
        pauseBreaches.add("invariant 4: " + admittedWhilePaused + " claims first sent after the pause returned were "
            + "acknowledged before the resume (Redis restarted from older files at +"
            + (olderUp - pausedAt) / 1_000_000 + " ms): " + which);
      }
      long resumed = System.nanoTime();
      awaitCondition("claims admitted after the resume", 60_000, () -> lastSuccessNanos.get() > resumed);
      recoveries.put("Redis back from older files: claims admitted again after the resume",
          (lastSuccessAfter(resumed) - resumed) / 1_000_000);
      long decidedAfterOlder = decidedSeq();
      awaitCondition("decisions after Redis came back older", 60_000, () -> decidedSeq() > decidedAfterOlder);
      Thread.sleep(secondsBetweenFaults * 1_000L);

      // 4. PostgreSQL restarts: the allocator stops, re-elects and continues
      pool.close().await();
      long pgDown = System.nanoTime();
      postgres.close();
      Thread.sleep(1_000);
      startPostgres();
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
      long primaryKilled = killRedisPrimary();
      // (a claim first sent after the kill: an answer already on its way may be read later)
      awaitCondition("claims admitted after the Sentinel promoted the replica", 60_000,
          () -> admittedBetween(primaryKilled, Long.MAX_VALUE) > 0);
      recoveries.put("Redis primary killed (SIGKILL, Sentinel down-after " + SENTINEL_DOWN_AFTER_MS
          + " ms): claims admitted again on the promoted replica", (firstAdmittedSentAfter(primaryKilled) - primaryKilled) / 1_000_000);
      // decided: a claim admitted by the promoted replica (a batch read before the kill may still
      // commit after it, so the decided seq alone says nothing)
      awaitCondition("decisions after the failover", 60_000, () -> decidedAny(ticketsFirstSentAfter(primaryKilled)));
      recoveries.put("Redis primary killed: decisions continue, from the fault", (System.nanoTime() - primaryKilled) / 1_000_000);
      Thread.sleep(secondsBetweenFaults * 1_000L);
    } finally {
      driving.set(false);
      driver.join();
      inFlight.shutdown();
      inFlight.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
    }

    System.out.printf(Locale.ROOT, "%n## Failover drill (%d claims/s offered at two gateways)%n", claimsPerSecond);
    System.out.println("| fault | recovery |");
    System.out.println("|---|---|");
    recoveries.forEach((fault, ms) -> System.out.printf(Locale.ROOT, "| %s | %,d ms |%n", fault, ms));
    System.out.printf(Locale.ROOT, "acknowledged claims: %,d; attempts that failed and were retried: %,d; claims given up after every retry: %,d%n",
        acknowledged.size(), failedAttempts.get(), abandoned.get());

    List<String> breaches = check();
    breaches.addAll(pauseBreaches);
    if (serverErrors.get() > 0) {
      breaches.add(serverErrors.get() + " claims were answered 5xx other than 503 (a bug: a fault is 503 unavailable)");
    }
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
    for (String ticket : acknowledged) {
      JsonObject status = awaitFinalStatus(ticket);
      String outcome = status == null ? "unknown" : status.getString("status")
          + (status.getString("reason") == null ? "" : "/" + status.getString("reason"));
      outcomes.merge(outcome, 1, Integer::sum);
    }
    System.out.println("acknowledged tickets by final status: " + outcomes);
    if (outcomes.containsKey("unknown") || outcomes.containsKey("queued")) {
      breaches.add("acknowledged tickets not final: " + outcomes);
    }
    breaches.addAll(claimgate.store.InvariantCheck.run(redisUrl(), Database.fromUrl(pgUrl()), CAMPAIGN, true));
    Row once = pool.query("select count(*) from claim where campaign_id = '" + CAMPAIGN + "'").execute().await().iterator().next();
    System.out.printf(Locale.ROOT, "claims decided in PostgreSQL: %,d%n", once.getLong(0));
    return breaches;
  }

  JsonObject awaitFinalStatus(String ticket) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      for (int port : gatewayPorts) {
        try {
          claimgate.testkit.ApiClient.Reply r = new claimgate.testkit.ApiClient("http://127.0.0.1:" + port, TOKEN)
              .get("/api/v1/claims/" + ticket);
          if (r.status() == 200 && !"queued".equals(r.json().getString("status"))) {
            return r.json();
          }
        } catch (java.io.UncheckedIOException gatewayDown) {
          // the killed gateway: ask the other
        }
      }
      Thread.sleep(200);
    }
    return null;
  }

  void drive(int perSecond, AtomicBoolean driving) {
    long intervalNanos = 1_000_000_000L / perSecond;
    long next = System.nanoTime();
    long n = 0;
    while (driving.get()) {
      long now = System.nanoTime();
      if (now < next) {
        java.util.concurrent.locks.LockSupport.parkNanos(next - now);
        continue;
      }
      next += intervalNanos;
      long claim = n++;
      inFlight.submit(() -> claimWithRetries(claim));
    }
  }

  void claimWithRetries(long n) {
    String body = new JsonObject().put("citizenId", "drill-" + n)
        .put("merchantIds", new JsonArray().add(String.format("m%03d", n % 20)).add(String.format("m%03d", (n + 7) % 20)))
        .encode();
    String key = "drill-" + n;
    long firstSent = System.nanoTime();
    for (int attempt = 0; attempt < 60; attempt++) {
      int port = gatewayPorts.get((int) ((n + attempt) % gatewayPorts.size()));
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/campaigns/" + CAMPAIGN + "/claims"))
                .timeout(Duration.ofSeconds(3)).header("Content-Type", "application/json").header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 202) {
          String ticket = new JsonObject(r.body()).getString("ticket");
          acknowledged.add(ticket);
          acknowledgedAt.add(new Acknowledged(firstSent, System.nanoTime(), ticket));
          lastSuccessNanos.accumulateAndGet(System.nanoTime(), Math::max);
          return;
        }
        if (r.statusCode() >= 500 && r.statusCode() != 503) {
          serverErrors.incrementAndGet();
        }
        if (r.statusCode() == 503 && "paused".equals(new JsonObject(r.body()).getString("error"))) {
          lastPaused.accumulateAndGet(System.nanoTime(), Math::max);
        }
        if (r.statusCode() != 503 && r.statusCode() != 429) {
          return;
        }
      } catch (IOException | RuntimeException gatewayDown) {
        // refused or reset: the next attempt goes to the other gateway
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      failedAttempts.incrementAndGet();
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    abandoned.incrementAndGet();
  }

  /** Claims first sent after {@code fromNanos} and acknowledged (202) before {@code toNanos}. */
  /** When the first claim first sent after {@code nanos} was acknowledged. */
  List<String> ticketsFirstSentAfter(long nanos) {
    return acknowledgedAt.stream().filter(a -> a.firstSentNanos() > nanos).map(Acknowledged::ticket).toList();
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

  long firstAdmittedSentAfter(long nanos) {
    return acknowledgedAt.stream().filter(a -> a.firstSentNanos() > nanos).mapToLong(Acknowledged::atNanos).min()
        .orElseThrow();
  }

  long admittedBetween(long fromNanos, long toNanos) {
    return acknowledgedAt.stream().filter(a -> a.firstSentNanos() > fromNanos && a.atNanos() < toNanos).count();
  }

  /** An operator action on the drill's campaign through the first live gateway (the test kit's client): pause, resume. */
  void admin(String action) {
    for (int port : gatewayPorts) {
      try {
        claimgate.testkit.ApiClient.Reply r = new claimgate.testkit.ApiClient("http://127.0.0.1:" + port, TOKEN)
            .admin("POST", "/admin/v1/campaigns/" + CAMPAIGN + "/" + action, new JsonObject());
        if (r.status() == 200) {
          return;
        }
        throw new IllegalStateException("drill: " + action + " answered " + r.status() + " " + r.raw().body());
      } catch (java.io.UncheckedIOException gatewayDown) {
        // the killed gateway: ask the other
      }
    }
    throw new IllegalStateException("drill: no gateway took " + action);
  }

  long lastSuccessAfter(long nanos) {
    return Math.max(nanos, lastSuccessNanos.get());
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
    awaitCondition(name + " stands by", 60_000, () -> standsBy(name));
    long waitedMs = (System.nanoTime() - since) / 1_000_000;
    figures.merge("waited for the standby to stand by before an allocator fault (longest)", waitedMs, Math::max);
  }

  boolean standsBy(String name) {
    return role(name) == Role.STANDS_BY;
  }

  boolean leads(String name) {
    return role(name) == Role.LEADS;
  }

  /** What an allocator process is to the drill's campaign, by the last line of its log that says. */
  enum Role { LEADS, STANDS_BY, NEITHER }

  Role role(String name) {
    try {
      List<String> lines = Files.readAllLines(logs.get(name));
      for (int i = lines.size() - 1; i >= 0; i--) {
        String line = lines.get(i);
        if (line.contains("leads campaign " + CAMPAIGN + " ")) {
          return Role.LEADS;
        }
        if (line.contains("stands by for campaign " + CAMPAIGN + ":")) {
          return Role.STANDS_BY;
        }
        if ((line.contains("stops and rejoins the election") || line.contains("fenced off")) && line.contains(CAMPAIGN)) {
          return Role.NEITHER;
        }
      }
      return Role.NEITHER;
    } catch (IOException e) {
      return Role.NEITHER;
    }
  }

  /** Sends a signal (STOP, CONT) to one of the drill's processes. */
  void signal(String name, String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(processes.get(name).pid())).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new IllegalStateException("drill: kill -" + signal + " " + name + " failed");
    }
  }

  boolean ready(int port) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready")).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  void spawn(String name, String role, int httpPort) throws IOException {
    Path log = dir.resolve(name + "." + System.nanoTime() + ".log");
    ProcessBuilder builder = new ProcessBuilder(javaBinary(), "-Xmx512m", "-jar", jar.toString(), role)
        .redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    env.put("CLAIMGATE_REDIS_URL", redisUrl());
    env.put("CLAIMGATE_PG_URL", pgUrl());
    env.put("CLAIMGATE_OPERATOR_TOKEN", TOKEN);
    env.put("CLAIMGATE_CODE_KEY", codeKey);
    env.put("CLAIMGATE_DATA_DIR", dir.resolve(name).toString());
    env.put("CLAIMGATE_STATUS_PER_ADDRESS_PER_SECOND", "1000000");
    // the drill restarts processes between faults: a standby must stand by at once (the standby's
    // own takeover rehearsal keeps its takeover warm; the admission benchmark measures warm-ups)
    env.put("CLAIMGATE_WARMUP_SECONDS", "0");
    if (httpPort > 0) {
      env.put("CLAIMGATE_HTTP_PORT", Integer.toString(httpPort));
    }
    processes.put(name, builder.start());
    logs.put(name, log);
  }

  static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static void stopRedis(RedisServer server, int port) {
    if (server == null) {
      return;
    }
    try {
      EmbeddedServers.stop(server, port);
    } catch (IOException e) {
      System.err.println("drill: the Redis server on " + port + " did not stop: " + e.getMessage());
    }
  }

  /** Kills the Redis primary as a crash would (its process id from INFO), not as a shutdown. */
  /** @return when it was killed (nanos) */
  long killRedisPrimary() throws IOException, InterruptedException {
    Vertx vertx = Vertx.vertx();
    // the server the Sentinel names now, asked through it as every process asks
    PipelinedRedis primary = new PipelinedRedis(vertx, redisUrl());
    long pid;
    String port;
    try {
      String server = primary.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.INFO).arg("server"))
          .await().toString();
      pid = Long.parseLong(infoField(server, "process_id"));
      port = infoField(server, "tcp_port");
    } finally {
      primary.close().await();
      vertx.close().await();
    }
    System.out.printf(Locale.ROOT, "drill: killing the Redis primary on port %s (pid %d; its replica is on %d)%n", port, pid,
        port.equals(Integer.toString(redisPort)) ? replicaPort : redisPort);
    if (new ProcessBuilder("kill", "-KILL", Long.toString(pid)).inheritIO().start().waitFor() != 0) {
      throw new IllegalStateException("drill: kill -KILL of the Redis primary (" + pid + ") failed");
    }
    // timed from when the kill is done: starting the kill command takes milliseconds, in which
    // the primary still admits claims (first seen as 1 ms "recoveries")
    long killed = System.nanoTime();
    return killed;
  }

  static String infoField(String info, String field) {
    return info.lines().filter(l -> l.startsWith(field + ":")).map(l -> l.substring(field.length() + 1).strip())
        .findFirst().orElseThrow(() -> new IllegalStateException("Redis INFO has no " + field));
  }

  void startRedis() throws IOException {
    Path redisDir = dir.resolve("redis");
    Files.createDirectories(redisDir);
    redis = EmbeddedServers.startRedis(redisDir, redisPort);
  }

  void startPostgres() throws IOException {
    postgres = EmbeddedPostgres.builder()
        .setDataDirectory(dir.resolve("postgres"))
        .setCleanDataDirectory(false)
        .setPort(pgPort)
        .setPGStartupWait(Duration.ofSeconds(30))
        .setServerConfig("max_connections", "200")
        .setOutputRedirector(ProcessBuilder.Redirect.DISCARD)
        .setErrorRedirector(ProcessBuilder.Redirect.DISCARD)
        .start();
  }

  static final String SENTINEL_MASTER = "claimgate";

  /** Where every process finds the primary: through the Sentinel. */
  String redisUrl() {
    return "redis-sentinel://127.0.0.1:" + sentinelPort + "/" + SENTINEL_MASTER;
  }

  String pgUrl() {
    return "postgresql://postgres@127.0.0.1:" + pgPort + "/postgres";
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

  void stopAll() {
    processes.values().forEach(Process::destroyForcibly);
    try {
      if (sentinel != null) {
        sentinel.stop();
      }
    } catch (IOException e) {
      System.err.println("drill: the Sentinel did not stop: " + e.getMessage());
    }
    // either may be a replica now, writing its first append-only file
    stopRedis(replica, replicaPort);
    stopRedis(redis, redisPort);
    try {
      if (postgres != null) {
        postgres.close();
      }
    } catch (IOException e) {
      System.err.println("drill: postgres did not stop: " + e.getMessage());
    }
    System.out.println("drill: logs of the processes in " + dir);
  }
}
