package claimgate.web;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Open connections per client address, for one gateway process, so that a single address cannot
 * hold every socket. Behind a load balancer every connection comes from its address: raise the
 * limit there.
 *
 * <p>A connection past the limit is not cut at once: a client that closed its last connection
 * may still be counted for a moment (its close is read after the new connection is accepted, by
 * a busy event loop), and would otherwise lose a request while it is within the limit. So the
 * new connection is judged again when its request comes, and for a moment after: within the
 * limit by then, it is served; still past it, the request is answered 429
 * {@code too_many_connections} with {@code Retry-After} and the connection closed. One that sends
 * nothing is closed after {@link #GRACE_MS}; one past twice the limit is closed at once.
 *
 * <p>Thread-safe: shared by every verticle of the process.
 */
public final class ConnectionLimit {

  /** How long a connection past the limit may stay open without sending a request. */
  public static final long GRACE_MS = 2_000;
  static final int RETRY_AFTER_SECONDS = 1;
  static final long SETTLE_MS = 100;
  static final int SETTLE_TRIES = 5;

  private final int maxPerAddress;
  private final ConcurrentHashMap<String, Integer> open = new ConcurrentHashMap<>();
  /** Connections accepted past the limit that sent no request yet: closed after the grace. */
  private final Set<HttpConnection> pastLimit = ConcurrentHashMap.newKeySet();
  /** Connections past the limit whose request waits to be judged (the grace no longer applies). */
  private final Set<HttpConnection> judging = ConcurrentHashMap.newKeySet();

  public ConnectionLimit(int maxPerAddress) {
    this.maxPerAddress = maxPerAddress;
  }

  /** Counts a new connection; one past the limit is judged again at its request, or closed if it sends none. */
  public void admit(HttpConnection connection) {
    String address = addressOf(connection);
    // compute is atomic per key: counting up and down never races with dropping a zero
    int now = open.merge(address, 1, Integer::sum);
    connection.closeHandler(closed -> {
      pastLimit.remove(connection);
      judging.remove(connection);
      open.computeIfPresent(address, (a, n) -> n == 1 ? null : n - 1);
    });
    if (now > 2 * maxPerAddress) {
      // far past the limit, no stale count explains it: closed at once
      connection.close();
    } else if (now > maxPerAddress) {
      pastLimit.add(connection);
      Vertx.currentContext().owner().setTimer(GRACE_MS, id -> {
        if (pastLimit.remove(connection)) {
          connection.close();
        }
      });
    }
  }

  /**
   * Serves a request through {@code next} unless its connection is still past the limit. A
   * connection accepted past it is judged again when its request comes, and again every
   * {@link #SETTLE_MS} for up to {@link #SETTLE_TRIES} times while the request waits (paused): the
   * closes a busy event loop has not read yet are then counted out. Still past the limit, the
   * request is answered 429 and its connection closed.
   */
  public void handle(HttpServerRequest request, Handler<HttpServerRequest> next) {
    if (pastLimit.isEmpty() || !pastLimit.remove(request.connection())) {
      next.handle(request);
      return;
    }
    judging.add(request.connection());
    request.pause();
    judge(request, next, 0);
  }

  private void judge(HttpServerRequest request, Handler<HttpServerRequest> next, int tries) {
    HttpConnection connection = request.connection();
    if (!judging.contains(connection)) {
      // the client went while its request waited: nothing to serve or answer
      return;
    }
    if (open.getOrDefault(addressOf(connection), 0) <= maxPerAddress) {
      judging.remove(connection);
      // the paused body is delivered from a later task, after next has set its handlers
      request.resume();
      next.handle(request);
    } else if (tries < SETTLE_TRIES) {
      Vertx.currentContext().owner().setTimer(SETTLE_MS, id -> judge(request, next, tries + 1));
    } else {
      judging.remove(connection);
      request.response().setStatusCode(429)
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(HttpHeaders.RETRY_AFTER, Integer.toString(RETRY_AFTER_SECONDS))
          .putHeader(HttpHeaders.CONNECTION, "close")
          .end(new JsonObject().put("error", "too_many_connections").put("message",
              "this address holds " + maxPerAddress + " open connections already; reuse one, or retry later").encode())
          .onComplete(sent -> connection.close());
    }
  }

  public int open(String address) {
    return open.getOrDefault(address, 0);
  }

  private static String addressOf(HttpConnection connection) {
    SocketAddress remote = connection.remoteAddress();
    return remote == null || remote.hostAddress() == null ? "unknown" : remote.hostAddress();
  }
}
