package claimgate.web;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import io.vertx.core.net.SocketAddress;
import java.util.List;

/**
 * The client's address, as the per-address limits count it. Without trusted proxies it is the
 * socket's peer. Behind {@code trustedHops} proxies that each append the address they saw to
 * {@code X-Forwarded-For} (nginx's {@code $proxy_add_x_forwarded_for}, AWS ALB, Google's load
 * balancer), it is the entry {@code trustedHops} from the right: entries further left were
 * written by the client and are never believed. A header with fewer entries than that was not
 * written by the proxies, and an entry that is not written as an address is not one a proxy wrote:
 * the socket's peer is taken.
 */
public final class ClientAddress implements Handler<RoutingContext> {

  private static final String KEY = "claimgate.clientAddress";
  private final int trustedHops;

  public ClientAddress(int trustedHops) {
    this.trustedHops = trustedHops;
  }

  /** As a root handler: resolves the address once per request, for {@link #of(RoutingContext)}. */
  @Override
  public void handle(RoutingContext ctx) {
    ctx.put(KEY, of(ctx.request()));
    ctx.next();
  }

  /** The address the root handler resolved. */
  public static String of(RoutingContext ctx) {
    String address = ctx.get(KEY);
    return address != null ? address : "unknown";
  }

  public String of(HttpServerRequest request) {
    if (trustedHops > 0) {
      List<String> headers = request.headers().getAll("X-Forwarded-For");
      if (!headers.isEmpty()) {
        String[] entries = String.join(",", headers).split(",");
        if (entries.length >= trustedHops) {
          String entry = entries[entries.length - trustedHops].strip();
          String address = isAddress(entry) ? withoutPort(entry) : "";
          if (!address.isEmpty()) {
            return address;
          }
        }
      }
    }
    SocketAddress remote = request.remoteAddress();
    return remote == null || remote.hostAddress() == null ? "unknown" : remote.hostAddress();
  }

  /**
   * The address alone, as one key however the proxy wrote it: some proxies add the client's port
   * ({@code 203.0.113.9:51234}, {@code [2001:db8::1]:443}), a new one per connection, which would
   * give each connection a bucket of its own. IPv6 in lower case.
   */
  static String withoutPort(String entry) {
    if (entry.startsWith("[")) {
      int end = entry.indexOf(']');
      return (end > 0 ? entry.substring(1, end) : entry.substring(1)).toLowerCase(java.util.Locale.ROOT);
    }
    int colon = entry.indexOf(':');
    if (colon >= 0 && colon == entry.lastIndexOf(':')) {
      // one colon: IPv4 and a port (IPv6 has at least two)
      return entry.substring(0, colon);
    }
    return entry.toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * Whether an entry is written as an address is (IPv4 or IPv6, perhaps bracketed, perhaps with a
   * port), as a proxy writes it. Anything else, say {@code ~} or text a client slipped past a
   * miscounted hop, is not believed.
   */
  static boolean isAddress(String entry) {
    if (entry.isEmpty() || entry.length() > 64) {
      return false;
    }
    for (int i = 0; i < entry.length(); i++) {
      char c = entry.charAt(i);
      boolean hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!hex && c != '.' && c != ':' && c != '[' && c != ']') {
        return false;
      }
    }
    return true;
  }
}
