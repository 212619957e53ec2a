package claimgate.redis;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import claimgate.config.ConfigException;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisRole;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.function.Consumer;

/**
 * One long-lived, pipelined Redis connection: requests are written without waiting for earlier
 * answers. When the connection drops, requests fail fast and the next one reconnects, so a
 * restarted Redis is picked up by itself.
 *
 * <p>Not thread-safe: use it from the context that created it (one per verticle).
 */
public final class PipelinedRedis {

  private final Redis client;
  private final Consumer<Response> pushHandler;
  private final Runnable onDropped;
  private Future<RedisConnection> connection;
  private String serverId;

  public PipelinedRedis(Vertx vertx, String url) {
    this(vertx, url, null, null);
  }

  /**
   * A subscriber's connection: {@code pushHandler} receives what Redis pushes (pub/sub messages),
   * {@code onDropped} runs when the connection is lost, after which its subscriptions are gone.
   */
  public PipelinedRedis(Vertx vertx, String url, Consumer<Response> pushHandler, Runnable onDropped) {
    this.client = Redis.createClient(vertx, options(url));
    this.pushHandler = pushHandler;
    this.onDropped = onDropped;
  }

  private static final String SENTINEL_SCHEME = "redis-sentinel://";

  /**
   * {@code redis://[:password@]host:port[/db]}, or {@code redis-sentinel://host:port[,host:port...]/master}:
   * the primary that the Sentinels name, followed after a failover.
   */
  public static RedisOptions options(String url) {
    RedisOptions options = new RedisOptions().setMaxWaitingHandlers(1 << 16);
    if (!url.startsWith(SENTINEL_SCHEME)) {
      return options.setConnectionString(url);
    }
    String rest = url.substring(SENTINEL_SCHEME.length());
    int slash = rest.indexOf('/');
    if (slash <= 0 || slash == rest.length() - 1) {
      throw new ConfigException("CLAIMGATE_REDIS_URL: redis-sentinel://host:port[,host:port...]/masterName, got " + url);
    }
    for (String sentinel : rest.substring(0, slash).split(",")) {
      options.addConnectionString("redis://" + sentinel.strip());
    }
    return options.setType(RedisClientType.SENTINEL).setMasterName(rest.substring(slash + 1)).setRole(RedisRole.MASTER);
  }

  public Future<Response> send(Request request) {
    Future<RedisConnection> current = connection();
    return current.compose(conn -> conn.send(request)).onFailure(failure -> {
      if (RedisFailures.isDemoted(failure)) {
        // a failover made this server a replica: ask the Sentinels again on the next request
        drop(current);
        current.onSuccess(RedisConnection::close);
      }
    });
  }

  /**
   * The {@code run_id} of the Redis server the current connection reached: it changes whenever
   * the server restarts or another server (a promoted replica) takes over, which is when Redis
   * may have lost recent writes. Null while not connected.
   */
  public String serverId() {
    return connection != null && connection.succeeded() ? serverId : null;
  }

  public Future<RedisConnection> connection() {
    if (connection == null || connection.failed()) {
      Future<RedisConnection> attempt = client.connect().compose(conn -> {
        if (pushHandler != null) {
          conn.handler(pushHandler::accept);
        }
        return conn.send(Request.cmd(Command.INFO).arg("server")).map(info -> {
          serverId = runId(info.toString());
          return conn;
        }).onFailure(failure -> conn.close());
      });
      connection = attempt;
      attempt.onSuccess(conn -> {
        conn.exceptionHandler(error -> drop(attempt));
        conn.endHandler(ended -> drop(attempt));
      });
    }
    return connection;
  }

  static String runId(String info) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith("run_id:")) {
        return line.substring("run_id:".length()).strip();
      }
    }
    throw new IllegalStateException("Redis INFO server has no run_id");
  }

  private void drop(Future<RedisConnection> dropped) {
    if (connection == dropped) {
      connection = null;
      if (onDropped != null) {
        onDropped.run();
      }
    }
  }

  public Future<Void> close() {
    Future<RedisConnection> current = connection;
    connection = null;
    Future<Void> closed = current != null && current.succeeded() ? current.result().close() : Future.succeededFuture();
    return closed.eventually(client::close);
  }
}
