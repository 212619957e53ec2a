package claimgate.claim;

import claimgate.redis.DecisionMessage;
import claimgate.ticket.Tickets;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server-Sent Events for tickets: the status JSON is sent at once and again on every change,
 * and the stream closes after a final status or after {@code maxStreamMs}.
 *
 * <p>A waiting page costs Redis nothing: its decision comes from the process's one subscription
 * ({@link DecisionFeed}), and its place in the queue (or the size of the pre-queue it waits in)
 * is pushed every {@code pushMs} from the campaign state the catalog reads once a second for
 * everyone. Redis is asked for a ticket only when memory cannot tell: once when the subscription
 * comes back after a break (what was published meanwhile was not heard), and once for a ticket
 * whose turn passed without a decision heard (one lost with Redis's state). The streams per ticket are bounded for the whole process
 * ({@link StreamSlots}).
 *
 * <p>Not thread-safe: owned by one verticle and used on its event loop only.
 */
public final class ClaimEvents implements DecisionFeed.Listener {

  private static final Logger LOG = LoggerFactory.getLogger(ClaimEvents.class);
  /** How often a ticket whose turn passed with no decision heard is asked of Redis. */
  private static final long ASK_AGAIN_MS = 5_000;

  private final ClaimLookup lookup;
  private final StreamSlots slots;
  private final long maxStreamMs;
  private final Map<String, List<Stream>> streams = new HashMap<>();

  private static final class Stream {
    final HttpServerResponse response;
    final long openedAtMs;
    final Tickets.Ticket ticket;
    String last;
    /** When Redis was last asked after the ticket's turn passed with no decision heard; 0: never. */
    long askedAtMs;

    Stream(HttpServerResponse response, long openedAtMs, Tickets.Ticket ticket) {
      this.response = response;
      this.openedAtMs = openedAtMs;
      this.ticket = ticket;
    }
  }

  public ClaimEvents(Vertx vertx, ClaimLookup lookup, DecisionFeed feed, long pushMs, StreamSlots slots, long maxStreamMs) {
    this.lookup = lookup;
    this.slots = slots;
    this.maxStreamMs = maxStreamMs;
    feed.listen(vertx.getOrCreateContext(), this);
    vertx.setPeriodic(pushMs, id -> push());
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
    Optional<Tickets.Ticket> read = lookup.ticket(ticket);
    if (response.closed() || read.isEmpty()) {
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
    Stream stream = new Stream(response, System.currentTimeMillis(), read.get());
    send(stream, first);
    if (isFinal(first)) {
      slots.release(ticket);
      response.end();
      return;
    }
    streams.computeIfAbsent(ticket, t -> new ArrayList<>()).add(stream);
    response.closeHandler(closed -> remove(ticket, stream));
    // a decision heard while the first status was read (on another connection) is not lost
    lookup.fromMemory(ticket, read.get()).filter(ClaimEvents::isFinal).ifPresent(status -> deliver(ticket, status));
  }

  @Override
  public void decided(DecisionMessage message) {
    for (DecisionMessage.Outcome outcome : message.outcomes()) {
      if (streams.containsKey(outcome.ticket())) {
        deliver(outcome.ticket(), ClaimLookup.published(outcome.ticket(), outcome.json()));
      }
    }
  }

  @Override
  public void resubscribed() {
    // what was published while the subscription was away was not heard: every stream's ticket once
    List<String> watched = List.copyOf(streams.keySet());
    if (!watched.isEmpty()) {
      LOG.info("decisions subscribed again: reading the status of {} watched tickets once", watched.size());
    }
    watched.forEach(this::ask);
  }

  /** The place in the queue of every waiting stream, from memory; and streams past their time closed. */
  private void push() {
    long now = System.currentTimeMillis();
    for (String ticket : List.copyOf(streams.keySet())) {
      List<Stream> watching = List.copyOf(streams.getOrDefault(ticket, List.of()));
      if (watching.isEmpty()) {
        continue;
      }
      Tickets.Ticket read = watching.get(0).ticket;
      Optional<JsonObject> status = lookup.fromMemory(ticket, read).or(() -> lookup.prequeuedFromMemory(ticket, read));
      if (status.isPresent()) {
        deliver(ticket, status.get());
      } else if (lookup.passed(read) && now - watching.get(0).askedAtMs > ASK_AGAIN_MS) {
        // its turn passed and no decision was heard: Redis (or PostgreSQL) knows
        watching.forEach(s -> s.askedAtMs = now);
        ask(ticket);
      }
      for (Stream stream : watching) {
        if (now - stream.openedAtMs > maxStreamMs) {
          remove(ticket, stream);
          stream.response.end();
        }
      }
    }
  }

  /** The ticket's status from Redis (or PostgreSQL), to its streams. */
  private void ask(String ticket) {
    Future<JsonObject> read = lookup.status(ticket);
    read.onSuccess(status -> deliver(ticket, status))
        .onFailure(failure -> LOG.debug("status of {} not read this time: {}", ticket, failure.getMessage()));
  }

  /** A status to every stream of the ticket; a final one ends them. */
  private void deliver(String ticket, JsonObject status) {
    boolean done = isFinal(status);
    for (Stream stream : List.copyOf(streams.getOrDefault(ticket, List.of()))) {
      if (stream.response.closed()) {
        remove(ticket, stream);
        continue;
      }
      send(stream, status);
      if (done) {
        remove(ticket, stream);
        stream.response.end();
      }
    }
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
    String now = status.getString("status");
    return !"queued".equals(now) && !"prequeued".equals(now);
  }
}
