package claimgate.rehearsal;

import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A rehearsal's figures from its simulation log: requests, failures by status (or, without an
 * answer, by Gatling's message), and response-time percentiles, in all and per request name.
 */
record RunFigures(long total, long failed, Map<String, Long> failures, Times times, Map<String, Times> byRequest) {

  /** Response times in milliseconds (nearest-rank percentiles, as Gatling's report gives them). */
  record Times(long count, long failed, int p50, int p75, int p95, int p99, int max, double mean) {

    static Times of(int[] sortedMs, long failed) {
      if (sortedMs.length == 0) {
        return new Times(0, failed, 0, 0, 0, 0, 0, 0);
      }
      double sum = 0;
      for (int ms : sortedMs) {
        sum += ms;
      }
      return new Times(sortedMs.length, failed, rank(sortedMs, 50), rank(sortedMs, 75), rank(sortedMs, 95),
          rank(sortedMs, 99), sortedMs[sortedMs.length - 1], Math.round(sum / sortedMs.length * 10) / 10.0);
    }

    private static int rank(int[] sorted, double percentile) {
      int rank = (int) Math.ceil(percentile / 100.0 * sorted.length);
      return sorted[Math.max(0, rank - 1)];
    }

    JsonObject json() {
      return new JsonObject().put("count", count).put("failed", failed).put("p50", p50).put("p75", p75)
          .put("p95", p95).put("p99", p99).put("max", max).put("mean", mean);
    }
  }

  /** Gatling's message for a status check that failed: "... but actually found 500". */
  private static final Pattern FOUND_STATUS = Pattern.compile("found (\\d{3})\\b");

  static RunFigures of(List<SimulationLog.Request> requests) {
    Map<String, Long> failures = new TreeMap<>();
    Map<String, List<SimulationLog.Request>> byName = new TreeMap<>();
    long failed = 0;
    for (SimulationLog.Request r : requests) {
      byName.computeIfAbsent(r.name(), n -> new java.util.ArrayList<>()).add(r);
      if (!r.ok()) {
        failed++;
        failures.merge(failureKind(r.message()), 1L, Long::sum);
      }
    }
    Map<String, Times> times = new TreeMap<>();
    byName.forEach((name, rs) -> times.put(name, times(rs)));
    return new RunFigures(requests.size(), failed, failures, times(requests), times);
  }

  /** "status 500" for an unexpected answer, else what Gatling said (a refused connection, a timeout). */
  static String failureKind(String message) {
    Matcher m = FOUND_STATUS.matcher(message);
    return m.find() ? "status " + m.group(1) : "no answer: " + message;
  }

  private static Times times(List<SimulationLog.Request> requests) {
    int[] ms = new int[requests.size()];
    long failed = 0;
    for (int i = 0; i < ms.length; i++) {
      ms[i] = requests.get(i).responseMs();
      failed += requests.get(i).ok() ? 0 : 1;
    }
    Arrays.sort(ms);
    return Times.of(ms, failed);
  }

  JsonObject json() {
    JsonObject perRequest = new JsonObject();
    byRequest.forEach((name, t) -> perRequest.put(name, t.json()));
    JsonObject failuresJson = new JsonObject();
    failures.forEach(failuresJson::put);
    return new JsonObject().put("total", total).put("ok", total - failed).put("failed", failed)
        .put("failures", failuresJson).put("responseTimeMs", times.json()).put("byRequest", perRequest);
  }
}
