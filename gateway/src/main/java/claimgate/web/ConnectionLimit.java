package claimgate.web;

import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Open connections per client address, for one gateway process: a connection beyond
 * {@code maxPerAddress} is closed at once, so a single address cannot hold every socket. Behind
 * a load balancer every connection comes from its address: raise the limit there.
 *
 * <p>Thread-safe: shared by every verticle of the process.
 */
public final class ConnectionLimit {

  private final int maxPerAddress;
  private final ConcurrentHashMap<String, Integer> open = new ConcurrentHashMap<>();

  public ConnectionLimit(int maxPerAddress) {
    this.maxPerAddress = maxPerAddress;
  }

  /** Counts a new connection; closes it when its address already holds the maximum. */
  public void admit(HttpConnection connection) {
    SocketAddress remote = connection.remoteAddress();
    String address = remote == null || remote.hostAddress() == null ? "unknown" : remote.hostAddress();
    // compute is atomic per key: counting up and down never races with dropping a zero
    int now = open.merge(address, 1, Integer::sum);
    connection.closeHandler(closed -> open.computeIfPresent(address, (a, n) -> n == 1 ? null : n - 1));
    if (now > maxPerAddress) {
      connection.close();
    }
  }

  public int open(String address) {
    return open.getOrDefault(address, 0);
  }
}
