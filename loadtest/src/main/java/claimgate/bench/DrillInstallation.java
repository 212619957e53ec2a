package claimgate.bench;

import claimgate.redis.PipelinedRedis;
import claimgate.store.EmbeddedServers;
import claimgate.voucher.VoucherCodes;
import io.vertx.core.Vertx;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import redis.embedded.RedisServer;

/**
 * The installation a failover drill runs and breaks, all of it real processes on this machine:
 * a Redis primary (append-only file on) with its replica and a Sentinel, PostgreSQL, and gateway
 * and allocator processes of the claimgate jar, which reach Redis through the Sentinel. It starts,
 * kills, freezes and restarts them, and tells what an allocator is to the drill's campaign from
 * its log.
 */
final class DrillInstallation {

  static final String SENTINEL_MASTER = "claimgate";
  /** How long the Sentinel waits on a silent primary before it promotes the replica. */
  static final long SENTINEL_DOWN_AFTER_MS = 3_000;

  final Path dir;
  final Path jar;
  final String campaign;
  final String operatorToken;
  final String codeKey = VoucherCodes.newKeySpec(1, new SecureRandom());
  final int redisPort = EmbeddedServers.freePort();
  final int replicaPort = EmbeddedServers.freePort();
  final int sentinelPort = EmbeddedServers.freePort();
  final int pgPort = EmbeddedServers.freePort();
  final Map<String, Process> processes = new LinkedHashMap<>();
  final Map<String, Path> logs = new LinkedHashMap<>();
  final List<Integer> gatewayPorts = new ArrayList<>();
  RedisServer redis;
  RedisServer replica;
  redis.embedded.RedisSentinel sentinel;
  EmbeddedPostgres postgres;

  DrillInstallation(Path dir, Path jar, String campaign, String operatorToken) throws IOException {
    this.dir = dir;
    this.jar = jar;
    this.campaign = campaign;
    this.operatorToken = operatorToken;
  }

  /** The stores: Redis with its replica and Sentinel, and PostgreSQL. */
  void startStores() throws IOException {
    startRedis();
    replica = EmbeddedServers.startReplica(Files.createDirectories(dir.resolve("replica")), replicaPort, redisPort);
    // longer than the restarts of the drill take, so only its last fault makes it promote the replica
    sentinel = EmbeddedServers.startSentinel(sentinelPort, SENTINEL_MASTER, redisPort, SENTINEL_DOWN_AFTER_MS);
    startPostgres();
  }

  /** A gateway on a port of its own, which the drill's clients use. */
  void startGateway(String name) throws IOException {
    int port = EmbeddedServers.freePort();
    gatewayPorts.add(port);
    spawn(name, "gateway", port);
  }

  void startAllocator(String name) throws IOException {
    spawn(name, "allocator", EmbeddedServers.freePort());
  }

  void kill(String name) {
    processes.get(name).destroyForcibly();
  }

  boolean standsBy(String name) {
    return role(name) == Role.STANDS_BY;
  }

  boolean leads(String name) {
    return role(name) == Role.LEADS;
  }

  /**
   * The last takeover of the drill's campaign as {@code name}'s log tells it: its time from the
   * lock to leading and each step's share ("ready 94 ms after the lock (ledger 22 ms, ...)").
   */
  String takeover(String name) {
    try {
      List<String> lines = Files.readAllLines(logs.get(name));
      for (int i = lines.size() - 1; i >= 0; i--) {
        String line = lines.get(i);
        int ready = line.indexOf("ready ");
        if (line.contains("leads campaign " + campaign + " ") && ready >= 0) {
          return line.substring(ready);
        }
      }
      return "no takeover in its log";
    } catch (IOException e) {
      return "its log is unreadable: " + e.getMessage();
    }
  }

  /** What an allocator process is to the drill's campaign, by the last line of its log that says. */
  enum Role { LEADS, STANDS_BY, NEITHER }

  Role role(String name) {
    try {
      List<String> lines = Files.readAllLines(logs.get(name));
      for (int i = lines.size() - 1; i >= 0; i--) {
        String line = lines.get(i);
        if (line.contains("leads campaign " + campaign + " ")) {
          return Role.LEADS;
        }
        if (line.contains("stands by for campaign " + campaign + ":")) {
          return Role.STANDS_BY;
        }
        if ((line.contains("stops and rejoins the election") || line.contains("fenced off")) && line.contains(campaign)) {
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

  /** Ready to serve: {@code /health/ready} answers 200. */
  boolean ready(int port) {
    try {
      return new claimgate.testkit.ApiClient("http://127.0.0.1:" + port, null).get("/health/ready").status() == 200;
    } catch (RuntimeException down) {
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
    env.put("CLAIMGATE_OPERATOR_TOKEN", operatorToken);
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

  /** Where every process finds the primary: through the Sentinel. */
  String redisUrl() {
    return "redis-sentinel://127.0.0.1:" + sentinelPort + "/" + SENTINEL_MASTER;
  }

  String pgUrl() {
    return "postgresql://postgres@127.0.0.1:" + pgPort + "/postgres";
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
