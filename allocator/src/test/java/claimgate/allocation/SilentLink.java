package claimgate.allocation;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;

/**
 * A TCP relay between a client and a server that can go silent: from {@link #cut()} on, it
 * forwards nothing either way and closes nothing, as when a host vanishes without a FIN.
 */
final class SilentLink implements AutoCloseable {

  private final NetServer server;
  private final java.util.List<NetSocket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile boolean silent;

  private SilentLink(Vertx vertx, String host, int port) {
    this.server = vertx.createNetServer().connectHandler(client -> {
      client.pause();
      vertx.createNetClient().connect(port, host).onSuccess(upstream -> {
        sockets.add(client);
        sockets.add(upstream);
        relay(client, upstream);
        relay(upstream, client);
        client.resume();
      }).onFailure(failure -> client.close());
    });
  }

  static SilentLink to(Vertx vertx, String host, int port) {
    SilentLink link = new SilentLink(vertx, host, port);
    link.server.listen(0, "127.0.0.1").await();
    return link;
  }

  private void relay(NetSocket from, NetSocket to) {
    from.handler(data -> {
      if (!silent) {
        to.write(data);
      }
    });
    from.closeHandler(closed -> {
      if (!silent) {
        to.close();
      }
    });
  }

  int port() {
    return server.actualPort();
  }

  /** From now on nothing passes and nothing closes. */
  void cut() {
    silent = true;
  }

  @Override
  public void close() {
    sockets.forEach(NetSocket::close);
    server.close().await();
  }
}
