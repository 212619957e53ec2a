package claimgate.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What one gateway process measures: Prometheus meters, and admission latency per campaign in
 * HdrHistogram {@link Recorder}s (written lock-free by every event loop) whose interval
 * histograms are kept for the last {@value #WINDOW_SECONDS} seconds and exported as percentiles.
 *
 * <p>Thread-safe: one instance per process, shared by every gateway verticle.
 *
 * <pre>
 *   telemetry.claims("palma-2027").answered("queued", System.nanoTime() - startNanos);
 *   Telemetry.Latency recent = telemetry.latency("palma-2027");
 * </pre>
 */
public final class Telemetry {

  static final int WINDOW_SECONDS = 10;
  private static final long HIGHEST_TRACKABLE_MICROS = TimeUnit.MINUTES.toMicros(1);

  /** Percentiles over the recent window, in milliseconds; zero when nothing was recorded. */
  public record Latency(double p50, double p99, double p999, long count) {}

  private final PrometheusMeterRegistry registry;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();
  private final Map<String, Claims> claims = new ConcurrentHashMap<>();
  private final Counter unknownCampaign;

  /**
   * The claim answers of one campaign, a counter per outcome made on first use: only campaigns
   * that exist get series, so anonymous traffic cannot grow {@code /metrics}.
   *
   * <p>Thread-safe: shared by every verticle.
   */
  public final class Claims {
    private final String campaignId;
    private final Map<String, Counter> byOutcome = new ConcurrentHashMap<>();
    /** Answers since the last {@link #takeAnswered}, for the installation-wide count in Redis. */
    private final Map<String, java.util.concurrent.atomic.LongAdder> unflushed = new ConcurrentHashMap<>();
    private final Window window;

    private Claims(String campaignId) {
      this.campaignId = campaignId;
      this.window = window(campaignId);
    }

    public void answered(String outcome, long elapsedNanos) {
      Counter counter = byOutcome.get(outcome);
      if (counter == null) {
        counter = byOutcome.computeIfAbsent(outcome, o -> Counter.builder("claimgate_claims")
            .description("Claim requests answered, by campaign and outcome")
            .tag("campaign", campaignId).tag("outcome", o)
            .register(registry));
      }
      counter.increment();
      unflushed.computeIfAbsent(outcome, o -> new java.util.concurrent.atomic.LongAdder()).increment();
      window.recorder.recordValue(Math.min(HIGHEST_TRACKABLE_MICROS, Math.max(0, elapsedNanos / 1_000)));
    }
  }

  /**
   * The answers given since the last call, by campaign and outcome, and forgets them: each is
   * taken once, by whichever caller takes it (every gateway verticle adds them to Redis).
   */
  public Map<String, Map<String, Long>> takeAnswered() {
    Map<String, Map<String, Long>> taken = new java.util.HashMap<>();
    claims.forEach((campaignId, c) -> c.unflushed.forEach((outcome, adder) -> {
      long n = adder.sumThenReset();
      if (n > 0) {
        taken.computeIfAbsent(campaignId, id -> new java.util.HashMap<>()).put(outcome, n);
      }
    }));
    return taken;
  }

  /** Puts back answers that could not be added to Redis, so the next call takes them again. */
  public void giveBack(Map<String, Map<String, Long>> answered) {
    answered.forEach((campaignId, byOutcome) -> {
      Claims c = claims.get(campaignId);
      if (c != null) {
        byOutcome.forEach((outcome, n) -> c.unflushed.computeIfAbsent(outcome,
            o -> new java.util.concurrent.atomic.LongAdder()).add(n));
      }
    });
  }

  public Telemetry(PrometheusMeterRegistry registry) {
    this.registry = registry;
    this.unknownCampaign = Counter.builder("claimgate_claims_unknown_campaign")
        .description("Claim requests for campaigns that do not exist").register(registry);
  }

  public static Telemetry standalone() {
    return new Telemetry(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The meters of a campaign that exists; keep it, it is made once. */
  public Claims claims(String campaignId) {
    return claims.computeIfAbsent(campaignId, Claims::new);
  }

  /** Removes every meter of a campaign (a scratch campaign after the warm-up). */
  public void forget(String campaignId) {
    claims.remove(campaignId);
    windows.remove(campaignId);
    registry.getMeters().stream()
        .filter(m -> campaignId.equals(m.getId().getTag("campaign")))
        .toList()
        .forEach(registry::remove);
  }

  /** A claim for a campaign that does not exist: counted without its id. */
  public void unknownCampaign() {
    unknownCampaign.increment();
  }

  public Latency latency(String campaignId) {
    return window(campaignId).snapshot(System.currentTimeMillis());
  }

  private Window window(String campaignId) {
    return windows.computeIfAbsent(campaignId, id -> {
      Window w = new Window();
      for (double q : new double[] {0.5, 0.99, 0.999}) {
        Gauge.builder("claimgate_claim_latency_ms", w, window -> window.percentile(q))
            .description("Claim admission latency over the last " + WINDOW_SECONDS + " s (HdrHistogram)")
            .tag("campaign", id).tag("quantile", Double.toString(q))
            .register(registry);
      }
      return w;
    });
  }

  /**
   * A recorder and one histogram per second of the window. Every read moves what was recorded
   * since the last read into the current second, so a read sees everything up to now.
   */
  private static final class Window {
    record Slot(long second, Histogram histogram) {}

    final Recorder recorder = new Recorder(HIGHEST_TRACKABLE_MICROS, 3);
    final Deque<Slot> slots = new ArrayDeque<>();
    Histogram interval;
    Latency last;
    long lastAtMs;

    /** The window's percentiles; reads within {@value #REUSE_MS} ms (one scrape's three gauges) share one sum. */
    synchronized Latency snapshot(long nowMs) {
      if (last != null && nowMs - lastAtMs < REUSE_MS) {
        return last;
      }
      long second = nowMs / 1_000;
      if (slots.isEmpty() || slots.getLast().second() != second) {
        slots.addLast(new Slot(second, new Histogram(HIGHEST_TRACKABLE_MICROS, 3)));
      }
      while (slots.getFirst().second() <= second - WINDOW_SECONDS) {
        slots.removeFirst();
      }
      interval = recorder.getIntervalHistogram(interval);
      slots.getLast().histogram().add(interval);
      Histogram sum = new Histogram(HIGHEST_TRACKABLE_MICROS, 3);
      slots.forEach(slot -> sum.add(slot.histogram()));
      last = new Latency(ms(sum, 50), ms(sum, 99), ms(sum, 99.9), sum.getTotalCount());
      lastAtMs = nowMs;
      return last;
    }

    static final long REUSE_MS = 100;

    double percentile(double quantile) {
      Latency l = snapshot(System.currentTimeMillis());
      return quantile == 0.5 ? l.p50() : quantile == 0.99 ? l.p99() : l.p999();
    }

    private static double ms(Histogram h, double percentile) {
      return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
    }
  }
}
