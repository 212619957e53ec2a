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

  @Override
  public String toString() {
    return replicas > 0 ? "replicas:" + replicas : level;
  }
}
