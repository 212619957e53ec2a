package claimgate.allocation;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * The allocator role's health over HTTP, for an orchestrator's probes. {@code /health/live} is
 * 503 while a campaign this process leads has a decision loop that began no step for
 * {@code stallMs}, or a takeover (recovery) that has run that long since it took the lock: a stuck decision thread still holds the campaign's lock and its session but
 * decides nothing, and restarting the process hands the campaign to the standby. A process that
 * stands by, or leads and decides, is live. {@code /health/ready} is 200 once the allocator runs.
 *
 * <p>Served by the JDK's own HTTP server on a thread of its own, never by a Vert.x event loop:
 * a blocked decision thread cannot block its own health answer.
 */
public final class AllocatorHealth implements AutoCloseable {

  /** A leading loop steps at least once per stream read's block time; this much silence is a stall. */
  public static final long STALL_MS = 30_000;

  private final HttpServer server;

  private AllocatorHealth(HttpServer server) {
    this.server = server;
  }

  /** Serves the health of {@code allocator} on {@code port} (0: any free port). */
  public static AllocatorHealth serve(AllocatorVerticle allocator, int port, long stallMs) {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(port), 16);
      server.createContext("/health/live", exchange -> {
        Map<String, Long> stalled = allocator.stalledLeadersMs(stallMs);
        if (stalled.isEmpty()) {
          answer(exchange, 200, "{\"status\":\"live\",\"leads\":" + jsonList(allocator.leading()) + "}");
        } else {
          StringBuilder which = new StringBuilder();
          stalled.forEach((campaign, ms) -> which.append(which.isEmpty() ? "" : ", ").append(campaign)
              .append(" for ").append(ms).append(" ms"));
          answer(exchange, 503, "{\"error\":\"stalled\",\"message\":\"the decision loop of a campaign this process leads "
              + "has not stepped: " + which + "\"}");
        }
      });
      server.createContext("/health/ready", exchange -> answer(exchange, 200, "{\"status\":\"ready\"}"));
      server.setExecutor(Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "allocator-health");
        t.setDaemon(true);
        return t;
      }));
      server.start();
      return new AllocatorHealth(server);
    } catch (java.net.BindException e) {
      throw new claimgate.config.ConfigException("port " + port + " is in use (set CLAIMGATE_HTTP_PORT: the allocator "
          + "serves its health there)");
    } catch (IOException e) {
      throw new UncheckedIOException("the allocator's health port " + port + " could not be opened", e);
    }
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }

  private static void answer(HttpExchange exchange, int status, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private static String jsonList(java.util.List<String> ids) {
    StringBuilder json = new StringBuilder("[");
    for (String id : ids) {
      json.append(json.length() > 1 ? "," : "").append('"').append(id).append('"');
    }
    return json.append(']').toString();
  }
}
