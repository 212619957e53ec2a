package claimgate.bench;

import claimgate.testkit.ApiClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The drill's citizens: claims at a steady rate at the installation's gateways, each retried
 * (on 503, 429 or no answer) at the next gateway with the same Idempotency-Key, as the launch page
 * and the balancer do, through the test kit's client (so every answer is held to the contract).
 * It keeps what the drill's checks and figures need: which claims were acknowledged and when,
 * the last pause answer, and every answer that is a bug (a 5xx other than 503, an answer outside
 * the contract).
 */
final class ClaimDriver {

  /** An acknowledged claim: when it was first sent and when it was acknowledged (nanos). */
  record Acknowledged(long firstSentNanos, long atNanos, String ticket) {}

  private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(3);
  private static final int ATTEMPTS = 60;

  private final String campaign;
  private final String operatorToken;
  private final List<Integer> gatewayPorts;
  final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
  final ConcurrentLinkedQueue<Acknowledged> acknowledgedAt = new ConcurrentLinkedQueue<>();
  final AtomicLong lastPaused = new AtomicLong();
  final AtomicLong lastSuccessNanos = new AtomicLong(System.nanoTime());
  final AtomicLong failedAttempts = new AtomicLong();
  final AtomicLong abandoned = new AtomicLong();
  /** Answers 5xx other than 503: each one is a bug, whatever fault was under way. */
  final AtomicLong serverErrors = new AtomicLong();
  /** Answers the contract does not describe. */
  final List<String> outsideContract = new CopyOnWriteArrayList<>();
  /** Claims in flight, each retried until acknowledged (up to 15 s). */
  private final ExecutorService inFlight = Executors.newFixedThreadPool(256, task -> {
    Thread t = new Thread(task, "drill-claim");
    t.setDaemon(true);
    return t;
  });
  private final AtomicBoolean driving = new AtomicBoolean();
  private Thread driver;

  ClaimDriver(String campaign, String operatorToken, List<Integer> gatewayPorts) {
    this.campaign = campaign;
    this.operatorToken = operatorToken;
    this.gatewayPorts = gatewayPorts;
  }

  private ApiClient gateway(int port) {
    return new ApiClient("http://127.0.0.1:" + port, operatorToken).withTimeout(ATTEMPT_TIMEOUT);
  }

  void start(int perSecond) {
    driving.set(true);
    driver = new Thread(() -> drive(perSecond), "drill-driver");
    driver.start();
  }

  /** Stops sending new claims and waits for those in flight. */
  void stop() throws InterruptedException {
    driving.set(false);
    driver.join();
    inFlight.shutdown();
    inFlight.awaitTermination(30, TimeUnit.SECONDS);
  }

  private void drive(int perSecond) {
    long intervalNanos = 1_000_000_000L / perSecond;
    long next = System.nanoTime();
    long n = 0;
    while (driving.get()) {
      long now = System.nanoTime();
      if (now < next) {
        LockSupport.parkNanos(next - now);
        continue;
      }
      next += intervalNanos;
      long claim = n++;
      inFlight.submit(() -> claimWithRetries(claim));
    }
  }

  private void claimWithRetries(long n) {
    JsonObject body = new JsonObject().put("citizenId", "drill-" + n)
        .put("merchantIds", new JsonArray().add(String.format("m%03d", n % 20)).add(String.format("m%03d", (n + 7) % 20)));
    String key = "drill-" + n;
    long firstSent = System.nanoTime();
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      int port = gatewayPorts.get((int) ((n + attempt) % gatewayPorts.size()));
      try {
        ApiClient.Reply r = gateway(port).send("POST", "/api/v1/campaigns/" + campaign + "/claims", null, body, key);
        if (r.status() == 202) {
          String ticket = r.json().getString("ticket");
          acknowledged.add(ticket);
          acknowledgedAt.add(new Acknowledged(firstSent, System.nanoTime(), ticket));
          lastSuccessNanos.accumulateAndGet(System.nanoTime(), Math::max);
          return;
        }
        if (r.status() >= 500 && r.status() != 503) {
          serverErrors.incrementAndGet();
        }
        if (r.status() == 503 && "paused".equals(r.error())) {
          lastPaused.accumulateAndGet(System.nanoTime(), Math::max);
        }
        if (r.status() != 503 && r.status() != 429) {
          return;
        }
      } catch (AssertionError outside) {
        outsideContract.add(outside.getMessage());
        return;
      } catch (UncheckedIOException | IllegalStateException gatewayDown) {
        // refused, reset or timed out: the next attempt goes to the other gateway
        if (Thread.currentThread().isInterrupted()) {
          return;
        }
      }
      failedAttempts.incrementAndGet();
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    abandoned.incrementAndGet();
  }

  /** The final status of a ticket, asked of whichever gateway answers; null if none is final within 30 s. */
  JsonObject awaitFinalStatus(String ticket) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      for (int port : gatewayPorts) {
        try {
          ApiClient.Reply r = gateway(port).get("/api/v1/claims/" + ticket);
          if (r.status() == 200 && !"queued".equals(r.json().getString("status"))) {
            return r.json();
          }
        } catch (UncheckedIOException gatewayDown) {
          // the killed gateway: ask the other
        }
      }
      Thread.sleep(200);
    }
    return null;
  }

  /** An operator action on the campaign (pause, resume) through the first gateway that answers. */
  void admin(String action) {
    for (int port : gatewayPorts) {
      try {
        ApiClient.Reply r = gateway(port).admin("POST", "/admin/v1/campaigns/" + campaign + "/" + action, new JsonObject());
        if (r.status() == 200) {
          return;
        }
        throw new IllegalStateException("drill: " + action + " answered " + r.status() + " " + r.raw().body());
      } catch (UncheckedIOException gatewayDown) {
        // the killed gateway: ask the other
      }
    }
    throw new IllegalStateException("drill: no gateway took " + action);
  }

  /** Tickets of the claims first sent after {@code nanos} and acknowledged. */
  List<String> ticketsFirstSentAfter(long nanos) {
    return acknowledgedAt.stream().filter(a -> a.firstSentNanos() > nanos).map(Acknowledged::ticket).toList();
  }

  /** When the first claim first sent after {@code nanos} was acknowledged. */
  long firstAdmittedSentAfter(long nanos) {
    return acknowledgedAt.stream().filter(a -> a.firstSentNanos() > nanos).mapToLong(Acknowledged::atNanos).min()
        .orElseThrow();
  }

  /** Claims first sent after {@code fromNanos} and acknowledged (202) before {@code toNanos}. */
  long admittedBetween(long fromNanos, long toNanos) {
    return acknowledgedAt.stream().filter(a -> a.firstSentNanos() > fromNanos && a.atNanos() < toNanos).count();
  }

  long lastSuccessAfter(long nanos) {
    return Math.max(nanos, lastSuccessNanos.get());
  }
}
