package claimgate.redis;

import claimgate.config.ConfigException;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;

/**
 * What a 202 (and an operator's 200) promises survives ({@code CLAIMGATE_REDIS_DURABILITY}):
 * <ul>
 *   <li>{@code everysec}: Redis's append-only file is fsync'd every second; a crash can lose the
 *       last second of acknowledgements (those tickets end rejected, reason lost);
 *   <li>{@code fsync}: the server runs {@code appendfsync always}, which fsyncs before it answers
 *       (one fsync per event-loop cycle, a group commit): nothing acknowledged is lost when that
 *       server restarts; a failover to a replica can still lose what it had not received;
 *   <li>{@code replicas:N}: after each write the gateway waits ({@code WAIT N}) until N replicas
 *       have it, and answers 503 (retry: the same key finds the same ticket) when they do not
 *       within {@code timeoutMs}: a Sentinel failover to one of them loses nothing acknowledged.
 * </ul>
 */
public record RedisDurability(String level, int replicas, long timeoutMs) {

  public static final RedisDurability EVERYSEC = new RedisDurability("everysec", 0, 0);
  public static final RedisDurability FSYNC = new RedisDurability("fsync", 0, 0);

  public static RedisDurability parse(String value) {
    String v = value.strip();
    if (v.equals("everysec")) {
      return EVERYSEC;
    }
    if (v.equals("fsync")) {
      return FSYNC;
    }
    if (v.startsWith("replicas:")) {
      try {
        int n = Integer.parseInt(v.substring("replicas:".length()));
        if (n > 0) {
          return new RedisDurability("replicas", n, 500);
        }
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw new ConfigException("CLAIMGATE_REDIS_DURABILITY is everysec, fsync or replicas:N, got '" + value + "'");
  }

  /**
   * Whether the writes sent so far on {@code redis}'s connection are as durable as promised: with
   * replicas, that many acknowledged them within the timeout; otherwise at once (the server's
   * own fsync policy applies).
   */
  public Future<Boolean> confirm(PipelinedRedis redis) {
    if (replicas == 0) {
      return Future.succeededFuture(true);
    }
    return redis.send(Request.cmd(Command.WAIT).arg(replicas).arg(timeoutMs)).map(r -> r.toInteger() >= replicas);
  }

  /**
   * Fails with a {@link ConfigException} when the server's own persistence cannot keep what this
   * level promises: {@code fsync} needs {@code appendonly yes} and {@code appendfsync always}.
   * A server that refuses {@code CONFIG} (many managed services) is taken at its word, with a
   * warning; {@code everysec} warns when the server keeps no append-only file at all.
   */
  public Future<Void> checkServer(PipelinedRedis redis) {
    if (replicas > 0) {
      return Future.succeededFuture();
    }
    Future<String> appendonly = configValue(redis, "appendonly");
    Future<String> appendfsync = configValue(redis, "appendfsync");
    return Future.join(appendonly, appendfsync).transform(done -> {
      if (appendonly.failed() || appendfsync.failed()) {
        LOG.warn("CLAIMGATE_REDIS_DURABILITY={}: the Redis server does not show its persistence settings ({}); "
            + "make sure it runs what that level needs", this, (appendonly.failed() ? appendonly : appendfsync).cause().getMessage());
        return Future.succeededFuture();
      }
      boolean aof = "yes".equals(appendonly.result());
      if (this.equals(FSYNC) && !(aof && "always".equals(appendfsync.result()))) {
        return Future.failedFuture(new ConfigException("CLAIMGATE_REDIS_DURABILITY=fsync needs a Redis server with "
            + "appendonly yes and appendfsync always; this one runs appendonly " + appendonly.result() + ", appendfsync "
            + appendfsync.result() + " (a crash could lose acknowledged claims): configure it, or choose everysec"));
      }
      if (!aof) {
        LOG.warn("CLAIMGATE_REDIS_DURABILITY={}: the Redis server keeps no append-only file; a crash loses every "
            + "claim admitted since its last snapshot (those tickets end rejected, reason lost)", this);
      }
      return Future.succeededFuture();
    });
  }

  private static Future<String> configValue(PipelinedRedis redis, String name) {
    return redis.send(Request.cmd(Command.CONFIG).arg("GET").arg(name)).map(r -> {
      // a map under RESP3, a [name, value] array under RESP2
      try {
        io.vertx.redis.client.Response value = r.get(name);
        if (value != null) {
          return value.toString();
        }
      } catch (RuntimeException notAMap) {
        // RESP2: read as an array below
      }
      return r.size() == 2 ? r.get(1).toString() : "";
    });
  }

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RedisDurability.class);

  @Override
  public String toString() {
    return replicas > 0 ? "replicas:" + replicas : level;
  }
}
