package claimgate.claim;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server-Sent Events for tickets: the status JSON is sent at once and again on every change,
 * and the stream closes after a final status or after {@code maxStreamMs}. One timer per
 * verticle re-reads the status of the watched tickets, so an open stream costs no timer of its
 * own, and the streams per ticket are bounded for the whole process ({@link StreamSlots}).
 *
 * <p>Not thread-safe: owned by one verticle and used on its event loop only.
 */
public final class ClaimEvents {

  private static final Logger LOG = LoggerFactory.getLogger(ClaimEvents.class);

  private final ClaimLookup lookup;
  private final StreamSlots slots;
  private final long maxStreamMs;
  private final Map<String, List<Stream>> streams = new HashMap<>();
  private boolean polling;

  private static final class Stream {
    final HttpServerResponse response;
    final long openedAtMs;
    String last;

    Stream(HttpServerResponse response, long openedAtMs) {
      this.response = response;
      this.openedAtMs = openedAtMs;
    }
  }

  public ClaimEvents(Vertx vertx, ClaimLookup lookup, long pollMs, StreamSlots slots, long maxStreamMs) {
    this.lookup = lookup;
    this.slots = slots;
    this.maxStreamMs = maxStreamMs;
    vertx.setPeriodic(pollMs, id -> poll());
  }

  /**
   * Takes one of the ticket's stream slots (in the whole process) before its status is read;
   * false when it has the maximum open. The slot is given back by {@link #open}, or by
   * {@link #release} when the stream is not opened after all.
   */
  public boolean reserve(String ticket) {
    return slots.take(ticket);
  }

  public void release(String ticket) {
    slots.release(ticket);
  }

  /** Starts a stream whose first event is {@code first}, on a slot {@link #reserve} took. */
  public void open(String ticket, HttpServerResponse response, JsonObject first) {
    if (response.closed()) {
      // the client went while its status was read: its close has passed, so no close handler
      // would ever free a slot registered now
      slots.release(ticket);
      return;
    }
    response.setChunked(true)
        .putHeader("Content-Type", "text/event-stream")
        // events are sent as they happen: never held back by a compressor
        .putHeader("Content-Encoding", "identity")
        .putHeader("Cache-Control", "no-store")
        .putHeader("X-Accel-Buffering", "no");
    Stream stream = new Stream(response, System.currentTimeMillis());
    send(stream, first);
    if (isFinal(first)) {
      slots.release(ticket);
      response.end();
      return;
    }
    streams.computeIfAbsent(ticket, t -> new ArrayList<>()).add(stream);
    response.closeHandler(closed -> remove(ticket, stream));
  }

  private void poll() {
    if (polling || streams.isEmpty()) {
      return;
    }
    polling = true;
    List<io.vertx.core.Future<JsonObject>> reads = new ArrayList<>();
    long now = System.currentTimeMillis();
    for (String ticket : List.copyOf(streams.keySet())) {
      reads.add(lookup.status(ticket).onComplete(ar -> {
        for (Stream stream : List.copyOf(streams.getOrDefault(ticket, List.of()))) {
          if (stream.response.closed()) {
            remove(ticket, stream);
            continue;
          }
          if (ar.failed()) {
            LOG.debug("status of {} not read this time: {}", ticket, ar.cause().getMessage());
          } else {
            send(stream, ar.result());
          }
          if ((ar.succeeded() && isFinal(ar.result())) || now - stream.openedAtMs > maxStreamMs) {
            remove(ticket, stream);
            stream.response.end();
          }
        }
      }));
    }
    io.vertx.core.Future.join(reads).onComplete(done -> polling = false);
  }

  private static void send(Stream stream, JsonObject status) {
    String json = status.encode();
    if (!json.equals(stream.last) && !stream.response.closed()) {
      stream.last = json;
      stream.response.write("data: " + json + "\n\n");
    }
  }

  /** Forgets a stream and gives its slot back, once however often it is called. */
  private void remove(String ticket, Stream stream) {
    List<Stream> list = streams.get(ticket);
    if (list != null && list.remove(stream)) {
      slots.release(ticket);
      if (list.isEmpty()) {
        streams.remove(ticket);
      }
    }
  }

  private static boolean isFinal(JsonObject status) {
    return !"queued".equals(status.getString("status"));
  }
}
