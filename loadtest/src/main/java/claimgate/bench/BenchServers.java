package claimgate.bench;

import claimgate.redis.RedisRestore;
import claimgate.campaign.Campaign;
import claimgate.redis.PipelinedRedis;
import claimgate.store.Database;
import claimgate.store.EmbeddedServers;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The servers a benchmark runs against: fresh embedded Redis and PostgreSQL in a temporary
 * directory, or the ones named by CLAIMGATE_REDIS_URL and CLAIMGATE_PG_URL.
 */
final class BenchServers implements AutoCloseable {

  final String redisUrl;
  final Database database;
  private final EmbeddedServers embedded;

  private BenchServers(String redisUrl, Database database, EmbeddedServers embedded) {
    this.redisUrl = redisUrl;
    this.database = database;
    this.embedded = embedded;
  }

  static BenchServers start() throws IOException {
    String redis = System.getenv("CLAIMGATE_REDIS_URL");
    String pg = System.getenv("CLAIMGATE_PG_URL");
    if ((redis == null) != (pg == null)) {
      // one external server beside an embedded one would be measured as neither
      throw new IllegalArgumentException("set both CLAIMGATE_REDIS_URL and CLAIMGATE_PG_URL, or neither (embedded servers)");
    }
    EmbeddedServers embedded = null;
    if (redis == null) {
      embedded = EmbeddedServers.start(Files.createTempDirectory("claimgate-bench"));
      redis = embedded.redisUrl();
      pg = embedded.postgresUrl();
    }
    Database database = Database.fromUrl(pg);
    database.migrate();
    BenchServers servers = new BenchServers(redis, database, embedded);
    servers.durability(System.getProperty("redisDurability", "everysec"));
    return servers;
  }

  /** An open campaign with {@code merchants} merchants sharing {@code vouchers} equally. */
  static Campaign campaign(String id, int merchants, int vouchers, int ratePerSecond) {
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    List<Campaign.Merchant> list = new ArrayList<>();
    for (int i = 0; i < merchants; i++) {
      list.add(new Campaign.Merchant(String.format("m%03d", i), "Shop " + i, vouchers / merchants));
    }
    return new Campaign(id, "Benchmark " + id, "EUR", new BigDecimal("10.00"), 30, new Campaign.Limits(9, 3), null,
        new Campaign.Admission(ratePerSecond, ratePerSecond, 1_000, 1_000_000.0, ratePerSecond, ratePerSecond),
        List.of(new Campaign.Round(now.minusMinutes(1), now.plusHours(6), 1.0)), List.copyOf(list)).validate();
  }

  void apply(Vertx vertx, Campaign campaign) {
    Pool pool = database.pool(vertx, 1);
    PipelinedRedis redis = new PipelinedRedis(vertx, redisUrl);
    try {
      claimgate.redis.RedisRestore.create(pool, redis, campaign, Optional.empty()).await();
    } finally {
      redis.close().await();
      pool.close().await();
    }
  }

  /**
   * Vacuums PostgreSQL and checkpoints now: what a phase just before deleted (an allocator's
   * warm-up removes its scratch campaign) is not left to autovacuum and a checkpoint in the
   * middle of the next measurement.
   */
  void settle(Vertx vertx) {
    Pool pool = database.pool(vertx, 1);
    try {
      vacuumAndCheckpoint(pool, "vacuum analyze");
    } finally {
      pool.close().await();
    }
  }

  private static void vacuumAndCheckpoint(Pool pool, String vacuum) {
    pool.query(vacuum).execute().await();
    pool.query("checkpoint").execute().await();
  }

  /** Removes a measured campaign from both stores, so the next phase starts alike. */
  void purge(Vertx vertx, String campaignId) {
    Pool pool = database.pool(vertx, 1);
    PipelinedRedis redis = new PipelinedRedis(vertx, redisUrl);
    try {
      pool.withTransaction(conn -> {
        io.vertx.sqlclient.Tuple id = io.vertx.sqlclient.Tuple.of(campaignId);
        return conn.preparedQuery("delete from voucher where campaign_id = $1").execute(id)
            .compose(r -> conn.preparedQuery("delete from claim where campaign_id = $1").execute(id))
            .compose(r -> conn.preparedQuery("delete from merchant where campaign_id = $1").execute(id))
            .compose(r -> conn.preparedQuery("delete from redis_generation where campaign_id = $1").execute(id))
            .compose(r -> conn.preparedQuery("delete from decision_log_block where campaign_id = $1").execute(id))
            .compose(r -> conn.preparedQuery("delete from decision_log_head where campaign_id = $1").execute(id))
            .compose(r -> conn.preparedQuery("delete from draw where campaign_id = $1").execute(id))
            .compose(r -> conn.preparedQuery("delete from campaign where id = $1").execute(id));
      }).await();
      // every run starts from compact tables and a clean checkpoint, whichever ran before it
      vacuumAndCheckpoint(pool, "vacuum full analyze");
      claimgate.redis.CampaignKeys keys = new claimgate.redis.CampaignKeys(campaignId);
      io.vertx.redis.client.Request unlink = io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.UNLINK);
      keys.all().forEach(unlink::arg);
      redis.send(unlink).await();
    } finally {
      redis.close().await();
      pool.close().await();
    }
  }

  /**
   * The Redis durability level under test: {@code none} (no append-only file), {@code everysec}
   * (the file, fsync'd every second: the last second of acknowledgements can be lost) or
   * {@code always} (fsync'd before any answer: group commit per event-loop cycle).
   */
  void durability(String level) {
    this.durability = level;
    Vertx vertx = Vertx.vertx();
    PipelinedRedis redis = new PipelinedRedis(vertx, redisUrl);
    try {
      io.vertx.redis.client.Request set = io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.CONFIG).arg("SET");
      switch (level) {
        case "none" -> redis.send(set.arg("appendonly").arg("no")).await();
        case "everysec", "always", "replicas:1" -> {
          redis.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.CONFIG).arg("SET")
              .arg("appendonly").arg("yes")).await();
          redis.send(set.arg("appendfsync").arg(level.equals("always") ? "always" : "everysec")).await();
          if (level.equals("replicas:1")) {
            startReplica();
          }
        }
        default -> throw new IllegalArgumentException("redisDurability is none, everysec, always or replicas:1, not " + level);
      }
    } finally {
      redis.close().await();
      vertx.close().await();
    }
  }

  private String durability = "everysec";
  private redis.embedded.RedisServer replica;
  private int replicaPort;

  /** A replica of the embedded Redis, for the replicas:1 level (the gateway waits for it). */
  private void startReplica() {
    if (replica != null) {
      return;
    }
    try {
      int primaryPort = Integer.parseInt(redisUrl.substring(redisUrl.lastIndexOf(':') + 1));
      replicaPort = EmbeddedServers.freePort();
      replica = EmbeddedServers.startReplica(Files.createTempDirectory("claimgate-bench-replica"), replicaPort, primaryPort);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The gateway's CLAIMGATE_REDIS_DURABILITY for the level under test. */
  String gatewayDurability() {
    return durability.startsWith("replicas") ? durability : durability.equals("always") ? "fsync" : "everysec";
  }

  String describe() {
    return servers() + ", Redis durability " + durability;
  }

  /** The servers, without the durability level (for a run that measures every level). */
  String servers() {
    return embedded == null ? "external servers" : "embedded Redis 6.2 and PostgreSQL 14 (same machine)";
  }

  @Override
  public void close() {
    if (replica != null) {
      try {
        EmbeddedServers.stop(replica, replicaPort);
      } catch (IOException e) {
        System.err.println("bench: the replica did not stop: " + e.getMessage());
      }
    }
    if (embedded != null) {
      embedded.close();
    }
  }

  static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
