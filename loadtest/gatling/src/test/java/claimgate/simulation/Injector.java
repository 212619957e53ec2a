package claimgate.simulation;

import static io.gatling.javaapi.core.CoreDsl.global;

import io.gatling.javaapi.core.Assertion;
import java.time.Duration;

/**
 * What one injector process of a rehearsal knows: where the target is, which campaign it
 * rehearses, and its share of the load. {@code loadtest/launch-minute} sets these as system
 * properties; with {@code --injectors N} each of the N processes takes every N-th part of the
 * users and its own citizen ids, and all of them start injecting at the same instant
 * ({@code startAt}, the moment the rehearsal campaign's first round opens), wherever they run.
 */
final class Injector {

  private Injector() {}

  static final String BASE_URL = System.getProperty("baseUrl", "http://127.0.0.1:8080");
  static final String CAMPAIGN = System.getProperty("campaign", "launch-minute");
  /** From the environment: a token on a command line is readable by every user of the machine. */
  static final String OPERATOR_TOKEN = System.getenv().getOrDefault("CLAIMGATE_OPERATOR_TOKEN", "");
  static final String RUN_ID = System.getProperty("runId", "local");
  static final int COUNT = Integer.getInteger("injectors", 1);
  static final int INDEX = Integer.getInteger("injectorIndex", 0);
  /** Epoch milliseconds at which every injector starts (the first round's opening); 0: at once. */
  static final long START_AT_MS = Long.getLong("startAt", 0L);
  /** The profile's latency target: the 99th percentile of every request, in milliseconds. */
  static final int P99_MS = Integer.getInteger("p99Ms", 2_000);

  /** This injector's part of a total: the total split evenly, the remainder to the first ones. */
  static int share(int total) {
    return total / COUNT + (INDEX < total % COUNT ? 1 : 0);
  }

  /** Whether this injector plays the one-off roles (the operator who pauses): the first does. */
  static boolean isFirst() {
    return INDEX == 0;
  }

  /** A citizen id no other injector of this run, and no other run, makes. */
  static String citizenId(String prefix, String unique) {
    return prefix + "-" + RUN_ID + "-" + INDEX + "-" + unique;
  }

  /** How long from now until the common start; zero once it has passed. */
  static Duration untilStart() {
    return Duration.ofMillis(Math.max(0, START_AT_MS - System.currentTimeMillis()));
  }

  /** Blocks the set-up of a simulation (never a virtual user) until the common start. */
  static void awaitStart() {
    try {
      Thread.sleep(untilStart().toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Every profile's assertions: no failed request, and the 99th percentile within the target. */
  static Assertion[] assertions() {
    return new Assertion[] {
        global().failedRequests().count().is(0L),
        global().responseTime().percentile(99.0).lt(P99_MS)};
  }

  /**
   * The same where some requests wait by design (a pre-queue's event stream answers at the draw):
   * the 99th percentile of the {@code timed} requests only.
   */
  static Assertion[] assertions(String... timed) {
    Assertion[] all = new Assertion[1 + timed.length];
    all[0] = global().failedRequests().count().is(0L);
    for (int i = 0; i < timed.length; i++) {
      all[i + 1] = io.gatling.javaapi.core.CoreDsl.details(timed[i]).responseTime().percentile(99.0).lt(P99_MS);
    }
    return all;
  }
}
