package claimgate.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import redis.embedded.RedisSentinel;
import redis.embedded.RedisServer;
import redis.embedded.core.RedisServerBuilder;

/**
 * Real Redis and PostgreSQL servers started from binaries that Maven dependencies ship, with
 * their data under one directory, so one command runs the system on a machine with only a JDK.
 *
 * <p>Redis keeps an append-only file fsync'd before each answer ({@code appendfsync always}),
 * so a second start continues with the same data. Ports are chosen free at start. Close stops both.
 */
public final class EmbeddedServers implements AutoCloseable {

  private final RedisServer redis;
  private final EmbeddedPostgres postgres;
  private final int redisPort;

  private EmbeddedServers(RedisServer redis, int redisPort, EmbeddedPostgres postgres) {
    this.redis = redis;
    this.redisPort = redisPort;
    this.postgres = postgres;
  }

  public static EmbeddedServers start(Path dataDir) {
    if (!carried()) {
      throw new claimgate.config.ConfigException("this jar carries no embedded servers (the production jar): run the demo with "
          + "claimgate-demo.jar (./claimgate demo does), or give CLAIMGATE_PG_URL and CLAIMGATE_REDIS_URL");
    }
    Path redisDir = dataDir.resolve("redis").toAbsolutePath();
    Path pgDir = dataDir.resolve("postgres").toAbsolutePath();
    RedisServer redis = null;
    try {
      Files.createDirectories(redisDir);
      int redisPort = freePort();
      redis = startRedis(redisDir, redisPort);
      EmbeddedPostgres postgres = EmbeddedPostgres.builder()
          .setDataDirectory(pgDir)
          .setCleanDataDirectory(false)
          .setPGStartupWait(Duration.ofSeconds(30))
          .setServerConfig("max_connections", "200")
          .setServerConfig("synchronous_commit", "on")
          .setOutputRedirector(ProcessBuilder.Redirect.DISCARD)
          .setErrorRedirector(ProcessBuilder.Redirect.DISCARD)
          .start();
      return new EmbeddedServers(redis, redisPort, postgres);
    } catch (IOException e) {
      stopQuietly(redis);
      throw new UncheckedIOException("embedded servers did not start: " + e.getMessage(), e);
    }
  }

  /** Whether this classpath carries the servers' binaries: the production jar leaves them out, and says so. */
  public static boolean carried() {
    return EmbeddedServers.class.getClassLoader().getResource("META-INF/claimgate/no-embedded-servers.txt") == null;
  }

  /** A Redis server alone, for tests that stop and start it. */
  public static RedisServer startRedis(Path dir, int port) throws IOException {
    RedisServer server = redis(dir, port).build();
    server.start();
    return server;
  }

  /**
   * A replica of the Redis on {@code primaryPort} (asynchronous, as Redis replication is), with
   * its own append-only file under {@code dir}: what a Sentinel promotes when the primary dies.
   */
  public static RedisServer startReplica(Path dir, int port, int primaryPort) throws IOException {
    RedisServer server = redis(dir, port).setting("replicaof 127.0.0.1 " + primaryPort).build();
    server.start();
    return server;
  }

  /**
   * One Sentinel (quorum 1) watching the primary on {@code primaryPort} as {@code masterName}:
   * it promotes a replica once the primary has not answered for {@code downAfterMs}. Clients
   * reach the primary through {@code redis-sentinel://127.0.0.1:<port>/<masterName>}.
   */
  public static RedisSentinel startSentinel(int port, String masterName, int primaryPort, long downAfterMs)
      throws IOException {
    RedisSentinel sentinel = RedisSentinel.newRedisSentinel()
        .bind("127.0.0.1")
        .port(port)
        .masterName(masterName)
        .masterPort(primaryPort)
        .quorumSize(1)
        .downAfterMilliseconds(downAfterMs)
        .failOverTimeout(10_000)
        .parallelSyncs(1)
        .build();
    sentinel.start();
    return sentinel;
  }

  private static RedisServerBuilder redis(Path dir, int port) {
    return RedisServer.newRedisServer()
        .bind("127.0.0.1")
        .port(port)
        .setting("appendonly yes")
        // the safe level: fsync'd before any answer (group commit), so the demo loses nothing it acknowledged
        .setting("appendfsync always")
        .setting("dir " + dir)
        .setting("save \"\"")
        // a rewrite of the append-only file forks and writes the whole dataset: not before the file
        // is 512 MB (and has doubled since the last rewrite; a launch stays below that), and
        // uncompressed, as compressing cost the two shared cores up to 4.7 us per claim
        // (deploy/README.md)
        .setting("auto-aof-rewrite-min-size 512mb")
        .setting("rdbcompression no")
        .setting("maxclients 10000")
        // a hash of more fields than this is a hash table: the merchants' and buckets' hashes are
        // read dozens of fields at a time, which a listpack answers by scanning (O(n) per field)
        .setting("hash-max-ziplist-entries 64");
  }

  public String redisUrl() {
    return "redis://127.0.0.1:" + redisPort;
  }

  public int redisPort() {
    return redisPort;
  }

  public String postgresUrl() {
    return "postgresql://postgres@127.0.0.1:" + postgres.getPort() + "/postgres";
  }

  /** Stops Redis (as a crash would) and starts it again on the same port and data. */
  public void restartRedis() throws IOException {
    redis.stop();
    redis.start();
  }

  public void stopRedis() throws IOException {
    redis.stop();
  }

  public void startRedis() throws IOException {
    redis.start();
  }

  @Override
  public void close() {
    stopQuietly(redis);
    try {
      postgres.close();
    } catch (IOException e) {
      throw new UncheckedIOException("embedded PostgreSQL did not stop cleanly", e);
    }
  }

  private static void stopQuietly(RedisServer redis) {
    if (redis == null) {
      return;
    }
    try {
      redis.stop();
    } catch (IOException e) {
      throw new UncheckedIOException("embedded Redis did not stop cleanly", e);
    }
  }

  /**
   * Stops for good a Redis server of this machine on {@code port}, whatever it is doing. Redis 6.2
   * ignores a SIGTERM that arrives while it writes its first append-only file after a sync from a
   * primary ("Writing initial AOF, can't exit") and never tries again, so a server that just became
   * a replica would never stop: its append-only file is switched off first (which ends that
   * rewrite). For the end of a test or a drill only: what the server still held is not kept.
   */
  public static void stop(redis.embedded.RedisInstance server, int port) throws IOException {
    try (java.net.Socket socket = new java.net.Socket()) {
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1_000);
      socket.setSoTimeout(2_000);
      socket.getOutputStream().write("CONFIG SET appendonly no\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      socket.getInputStream().read(new byte[64]);
    } catch (IOException notAnswering) {
      // stopped already, or not answering: stop() below sends its signal all the same
    }
    server.stop();
  }

  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
