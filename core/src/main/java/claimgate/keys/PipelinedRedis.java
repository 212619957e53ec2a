package claimgate.keys;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
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
  private Future<RedisConnection> connection;

  public PipelinedRedis(Vertx vertx, String url) {
    this(vertx, url, null);
  }

  /** With a handler for pushed messages (pub/sub). */
  public PipelinedRedis(Vertx vertx, String url, Consumer<Response> pushHandler) {
    this.client = Redis.createClient(vertx, new RedisOptions()
        .setConnectionString(url)
        .setMaxWaitingHandlers(1 << 16));
    this.pushHandler = pushHandler;
  }

  public Future<Response> send(Request request) {
    return connection().compose(conn -> conn.send(request));
  }

  /** True once a connection is up and has not dropped since. */
  public boolean isConnected() {
    return connection != null && connection.succeeded();
  }

  public Future<RedisConnection> connection() {
    if (connection == null || connection.failed()) {
      Future<RedisConnection> attempt = client.connect();
      connection = attempt;
      attempt.onSuccess(conn -> {
        conn.exceptionHandler(error -> drop(attempt));
        conn.endHandler(ended -> drop(attempt));
        if (pushHandler != null) {
          conn.handler(pushHandler::accept);
        }
      });
    }
    return connection;
  }

  private void drop(Future<RedisConnection> dropped) {
    if (connection == dropped) {
      connection = null;
    }
  }

  public Future<Void> close() {
    Future<RedisConnection> current = connection;
    connection = null;
    Future<Void> closed = current != null && current.succeeded() ? current.result().close() : Future.succeededFuture();
    return closed.eventually(client::close);
  }
}
