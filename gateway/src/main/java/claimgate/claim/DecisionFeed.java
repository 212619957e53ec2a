package claimgate.claim;

import claimgate.redis.CampaignKeys;
import claimgate.redis.DecisionMessage;
import claimgate.redis.PipelinedRedis;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The allocator's decisions as they are published, for a whole gateway process: ONE Redis
 * subscription to {@link CampaignKeys#DECISIONS_CHANNEL}, however many pages wait. Each decision
 * is kept for a minute (the status reads of polling pages are answered from it; a revocation
 * published meanwhile removes it) and handed to every event loop's {@link ClaimEvents}, which
 * tells the streams waiting on its tickets.
 *
 * <p>Pub/sub forgets what it sends while a subscriber is away: when the subscription is lost it is
 * taken again every second, and the listeners are told to catch up by reading their tickets once
 * from Redis. Until then (and until a campaign's state has been read since), the in-memory view
 * is not current and status reads go to Redis.
 *
 * <p>Thread-safe: messages arrive on the event loop that started the feed and are passed to each
 * listener on its own event loop.
 */
public final class DecisionFeed {

  private static final Logger LOG = LoggerFactory.getLogger(DecisionFeed.class);
  /** How long a published outcome is kept for status reads: longer than any page polls. */
  static final long KEEP_MS = 60_000;
  /** At most this many outcomes kept (about 300 bytes each). */
  static final int MAX_KEPT = 200_000;
  private static final long RESUBSCRIBE_MS = 1_000;

  /** A listener on one event loop. */
  public interface Listener {
    /** A committed batch of decisions. */
    void decided(DecisionMessage message);

    /** The subscription was lost and is back: what was published meanwhile was not heard. */
    void resubscribed();
  }

  private record Registration(Context context, Listener listener) {}

  private record Kept(String ticket, long atMs) {}

  private final List<Registration> listeners = new CopyOnWriteArrayList<>();
  private final Map<String, String> outcomes = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Kept> order = new ConcurrentLinkedQueue<>();
  private final java.util.concurrent.atomic.AtomicInteger kept = new java.util.concurrent.atomic.AtomicInteger();
  private final Map<String, Long> decidedSeq = new ConcurrentHashMap<>();
  private final AtomicBoolean started = new AtomicBoolean();
  private volatile PipelinedRedis subscriber;
  /** When the current subscription was taken; 0 while there is none. */
  private volatile long subscribedAtMs;
  private volatile boolean subscribing;

  /** Subscribes, once per process, from the calling verticle's event loop (where messages then arrive). */
  public void start(Vertx vertx, String redisUrl) {
    if (!started.compareAndSet(false, true)) {
      return;
    }
    subscriber = new PipelinedRedis(vertx, redisUrl, this::pushed, this::lost);
    subscribe(vertx);
    vertx.setPeriodic(RESUBSCRIBE_MS, id -> {
      if (subscribedAtMs == 0) {
        subscribe(vertx);
      }
    });
  }

  /** Registers a listener on the calling event loop. */
  public void listen(Context context, Listener listener) {
    listeners.add(new Registration(context, listener));
  }

  /** Since when the subscription has held without a break; empty while there is none. */
  public Optional<Long> subscribedSinceMs() {
    long at = subscribedAtMs;
    return at == 0 ? Optional.empty() : Optional.of(at);
  }

  /** The status JSON the allocator published for a ticket in the last minute, if any. */
  public Optional<String> outcome(String ticket) {
    return Optional.ofNullable(outcomes.get(ticket));
  }

  /** The last decided seq the feed has heard for a campaign; 0 when none. */
  public long decidedSeq(String campaignId) {
    return decidedSeq.getOrDefault(campaignId, 0L);
  }

  public void close() {
    PipelinedRedis current = subscriber;
    if (current != null) {
      current.close();
    }
  }

  private void subscribe(Vertx vertx) {
    if (subscribing) {
      return;
    }
    subscribing = true;
    subscriber.send(Request.cmd(Command.SUBSCRIBE).arg(CampaignKeys.DECISIONS_CHANNEL))
        .onComplete(done -> {
          subscribing = false;
          if (done.failed()) {
            LOG.debug("decisions not subscribed yet: {}", done.cause().getMessage());
            return;
          }
          boolean again = subscribedAtMs == 0;
          subscribedAtMs = System.currentTimeMillis();
          if (again) {
            listeners.forEach(r -> r.context().runOnContext(v -> r.listener().resubscribed()));
          }
        });
  }

  private void lost() {
    if (subscribedAtMs != 0) {
      LOG.warn("the subscription to decisions was lost; taking it again");
    }
    subscribedAtMs = 0;
  }

  private void pushed(Response push) {
    if (push.size() < 3 || !"message".equals(push.get(0).toString())) {
      return;
    }
    DecisionMessage message;
    try {
      message = DecisionMessage.parse(push.get(2).toString());
    } catch (RuntimeException malformed) {
      LOG.warn("a decision message that cannot be read: {}", malformed.getMessage());
      return;
    }
    if (message.kind() == DecisionMessage.Kind.REVOKED) {
      // their status is PostgreSQL's now (revoked); the kept order entries expire by themselves
      message.revoked().forEach(outcomes::remove);
      return;
    }
    long now = System.currentTimeMillis();
    for (DecisionMessage.Outcome o : message.outcomes()) {
      outcomes.put(o.ticket(), o.json());
      order.add(new Kept(o.ticket(), now));
      kept.incrementAndGet();
    }
    decidedSeq.merge(message.campaignId(), message.lastSeq(), Math::max);
    forgetOld(now);
    listeners.forEach(r -> r.context().runOnContext(v -> r.listener().decided(message)));
  }

  /** On the subscriber's event loop, the only one that adds to the order: the head it peeks is the one it polls. */
  private void forgetOld(long now) {
    for (Kept head = order.peek(); head != null && (head.atMs() < now - KEEP_MS || kept.get() > MAX_KEPT);
        head = order.peek()) {
      order.poll();
      kept.decrementAndGet();
      outcomes.remove(head.ticket());
    }
  }
}
