package claimgate.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** wrk, one thread, as every benchmark runs it: throughput, latency, non-2xx answers and its own CPU. */
final class Wrk {

  /** @param cpuSeconds what wrk itself spent (user + system) */
  record Result(double requestsPerSecond, double p50Ms, double p99Ms, long non2xx, long requests, double cpuSeconds) {
    long ok() {
      return requests - non2xx;
    }
  }

  private Wrk() {}

  static Result run(int port, String path, Path script, int seconds, int connections) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("wrk", "-t1", "-c" + connections, "-d" + seconds + "s", "--latency",
        "-s", script.toString(), "http://127.0.0.1:" + port + path).redirectErrorStream(true).start();
    long pid = p.pid();
    // wrk's CPU, read every 50 ms while it runs: once it has printed its result it may already be
    // gone from /proc (reading only then gave 0 in two runs of three), so the last reading counts,
    // short of wrk's whole CPU by at most 50 ms of a 10 s run
    java.util.concurrent.atomic.AtomicLong cpuMicros = new java.util.concurrent.atomic.AtomicLong();
    Thread sampler = new Thread(() -> {
      while (p.isAlive()) {
        double now = Processes.cpuSeconds(pid);
        if (!Double.isNaN(now)) {
          cpuMicros.set((long) (now * 1e6));
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "wrk-cpu");
    sampler.setDaemon(true);
    sampler.start();
    StringBuilder out = new StringBuilder();
    try (var in = p.getInputStream()) {
      byte[] buffer = new byte[8192];
      for (int n; (n = in.read(buffer)) >= 0; ) {
        out.append(new String(buffer, 0, n));
      }
    }
    sampler.join();
    double cpuSeconds = cpuMicros.get() / 1e6;
    if (p.waitFor() != 0) {
      throw new IllegalStateException("wrk failed (apt-get install wrk): " + out);
    }
    String text = out.toString();
    return new Result(number(text, "Requests/sec:\\s+([\\d.]+)"), ms(text, "50%"), ms(text, "99%"),
        (long) number(text, "Non-2xx or 3xx responses:\\s+(\\d+)"), (long) number(text, "(\\d+) requests in"), cpuSeconds);
  }

  static double number(String out, String regex) {
    Matcher m = Pattern.compile(regex).matcher(out);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  static double ms(String out, String percentile) {
    Matcher m = Pattern.compile("\\s" + Pattern.quote(percentile) + "\\s+([\\d.]+)(us|ms|s)").matcher(out);
    if (!m.find()) {
      return Double.NaN;
    }
    double v = Double.parseDouble(m.group(1));
    return switch (m.group(2)) {
      case "us" -> v / 1000;
      case "s" -> v * 1000;
      default -> v;
    };
  }

  /**
   * A wrk script of claims: a fresh citizen per request, two of 300 shops, each request from one of
   * {@link ClientAddresses#count()} client addresses in turn (named in {@code X-Forwarded-For}, which
   * the benchmark's gateways trust one hop of).
   */
  static Path claimScript() throws IOException {
    Path script = Files.createTempFile("claim", ".lua");
    Files.writeString(script, """
        -- a fresh citizen per request, two of 300 shops, so idempotency folds nothing
        local counter = 0
        local addresses = %d
        local salt = tostring(math.random(1, 1000000000)) .. tostring(os.time())
        request = function()
          counter = counter + 1
          local a = counter %% 300
          local b = (counter * 7 + 13) %% 300
          if b == a then b = (a + 1) %% 300 end
          local body = string.format('{"citizenId":"w%%s-%%d","merchantIds":["m%%03d","m%%03d"]}', salt, counter, a, b)
          local k = counter %% addresses
          local address = string.format('10.%%d.%%d.%%d', math.floor(k / 65536) %% 256, math.floor(k / 256) %% 256, k %% 256)
          return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["X-Forwarded-For"] = address}, body)
        end
        """.formatted(ClientAddresses.count()));
    return script;
  }
}
