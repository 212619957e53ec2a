package claimgate.bench;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * An open-model load generator: requests are sent at a fixed rate whatever the server does, and
 * each latency is measured from the moment the request was due, not from when it was sent, so a
 * stalled server shows in the percentiles (corrects coordinated omission, as wrk2 does).
 *
 * <pre>
 *   Result r = OpenModelLoad.run(vertx, port, path, 10_000, 10, 64, i -> body(i));
 * </pre>
 */
final class OpenModelLoad {

  /** What a run measured; latencies in milliseconds. */
  record Result(long sent, long ok, long failed, double achievedPerSecond, double p50Ms, double p99Ms, double p999Ms,
      double maxMs, double generatorUsPerRequest, double machineBusy) {

    static Result of(long sent, long ok, long failed, double achievedPerSecond, Histogram latencyUs,
        double generatorUsPerRequest, double machineBusy) {
      return new Result(sent, ok, failed, achievedPerSecond, latencyUs.getValueAtPercentile(50) / 1000.0,
          latencyUs.getValueAtPercentile(99) / 1000.0, latencyUs.getValueAtPercentile(99.9) / 1000.0,
          latencyUs.getMaxValue() / 1000.0, generatorUsPerRequest, machineBusy);
    }

    String summary() {
      return String.format(java.util.Locale.ROOT, "p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms (%,d sent, %,d failed; "
          + "the generator's CPU %.1f us a request, the machine's cores %.0f %% busy)", p50Ms, p99Ms, p999Ms, maxMs, sent, failed,
          generatorUsPerRequest, machineBusy * 100);
    }

    String line() {
      return String.format(java.util.Locale.ROOT, "OPEN %d %d %d %.1f %.3f %.3f %.3f %.3f %.2f %.4f", sent, ok, failed,
          achievedPerSecond, p50Ms, p99Ms, p999Ms, maxMs, generatorUsPerRequest, machineBusy);
    }

    static Result parse(String line) {
      String[] f = line.split(" ");
      return new Result(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), Double.parseDouble(f[4]),
          Double.parseDouble(f[5]), Double.parseDouble(f[6]), Double.parseDouble(f[7]), Double.parseDouble(f[8]),
          Double.parseDouble(f[9]), Double.parseDouble(f[10]));
    }
  }

  /**
   * The generator as a process of its own (a JVM of this classpath), so it shares no JVM with
   * what it measures; claims with a fresh citizen each, two of 300 shops.
   */
  static Result inOwnProcess(java.nio.file.Path dir, int port, String path, int ratePerSecond, int seconds,
      int connections) throws java.io.IOException, InterruptedException {
    // a log of each run's own: the bare endpoint's run and the gateway's meet in one directory
    String name = "open-model-" + port;
    java.nio.file.Path log = dir.resolve(name + ".log");
    // its collector's pauses, on the wall clock, beside the run's worst seconds (OPEN-WORST)
    // a heap fixed and touched at start and a concurrent collector: the generator's own pauses
    // would count as the server's latency
    Process p = Processes.start(Processes.jvm(List.of("-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch", "-XX:+UseZGC",
            "-Xlog:gc,gc+phases:file=" + dir.resolve(name + "-gc.log") + ":time",
            "-Daddresses=" + ClientAddresses.count()), "-cp", Processes.classpath(),
        "claimgate.bench.OpenModelLoad", Integer.toString(port), path, Integer.toString(ratePerSecond),
        Integer.toString(seconds), Integer.toString(connections)), java.util.Map.of(), log);
    if (!p.waitFor(WARM_UP_SECONDS + seconds + 120L, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException("the open-model generator failed; see " + log);
    }
    java.nio.file.Files.readAllLines(log).stream().filter(l -> l.startsWith("OPEN-WORST ")).forEach(System.out::println);
    return java.nio.file.Files.readAllLines(log).stream().filter(l -> l.startsWith("OPEN ")).findFirst()
        .map(Result::parse).orElseThrow(() -> new IllegalStateException("no result in " + log));
  }

  /** {@code OpenModelLoad PORT PATH RATE SECONDS CONNECTIONS}: prints one {@code OPEN ...} line. */
  public static void main(String[] args) throws InterruptedException {
    int port = Integer.parseInt(args[0]);
    int rate = Integer.parseInt(args[2]);
    int seconds = Integer.parseInt(args[3]);
    int connections = Integer.parseInt(args[4]);
    Vertx vertx = Vertx.vertx();
    long salt = System.nanoTime();
    List<Lane> lanes = lanes(vertx, port, connections);
    // the first seconds at the same rate on the same connections are not counted: the generator's
    // own JIT and connection set-up must not count against the server. On two cores 5 s were not
    // enough (the first counted seconds were the run's slowest), so 15 s. The counted seconds
    // follow them without a pause: after a pause of a second (as two runs had) the first counted
    // second was again among the slowest, its first requests meeting processes gone idle
    Result result = run(vertx, lanes, args[1], rate, WARM_UP_SECONDS, seconds, i -> claim(salt, i));
    System.out.println(result.line());
    vertx.close().await();
    System.exit(0);
  }

  /** The two of 300 shops the i-th claim names, first choice first: as the wrk script picks them. */
  static int[] shops(long i) {
    int a = (int) (i % 300);
    int b = (int) ((i * 7 + 13) % 300);
    return new int[] {a, b == a ? (a + 1) % 300 : b};
  }

  static Buffer claim(long salt, long i) {
    int[] shops = shops(i);
    int a = shops[0];
    int b = shops[1];
    return Buffer.buffer(new StringBuilder(64).append("{\"citizenId\":\"o").append(salt).append('-').append(i)
        .append("\",\"merchantIds\":[\"m").append(shop(a)).append("\",\"m").append(shop(b)).append("\"]}").toString());
  }

  private static String shop(int n) {
    return n < 10 ? "00" + n : n < 100 ? "0" + n : Integer.toString(n);
  }

  private OpenModelLoad() {}

  static final int WARM_UP_SECONDS = 15;

  private static final long SLOW_US = 10_000;

  /** Lanes of the generator: each an event loop with its own connections, sending every LANES-th request. */
  static final int LANES = 2;

  /** One lane: an event loop's context and the client whose connections live on it. */
  record Lane(io.vertx.core.Context context, HttpClient client) {}

  /** The lanes, their connections opened by the warm-up run and kept for the counted one. */
  static List<Lane> lanes(Vertx vertx, int port, int connections) {
    List<Lane> lanes = new java.util.ArrayList<>();
    for (int lane = 0; lane < LANES; lane++) {
      io.vertx.core.Context context = vertx.getOrCreateContext();
      HttpClient client = context.<HttpClient>executeBlocking(() -> vertx.createHttpClient(new HttpClientOptions()
              .setDefaultHost("127.0.0.1").setDefaultPort(port).setKeepAlive(true).setTcpNoDelay(true),
          new PoolOptions().setHttp1MaxSize(Math.max(1, connections / LANES)).setMaxWaitQueueSize(-1))).await();
      lanes.add(new Lane(context, client));
    }
    return lanes;
  }

  static Result run(Vertx vertx, int port, String path, int ratePerSecond, int seconds, int connections,
      LongFunction<Buffer> body) throws InterruptedException {
    List<Lane> lanes = lanes(vertx, port, connections);
    try {
      return run(vertx, lanes, path, ratePerSecond, 0, seconds, body);
    } finally {
      for (Lane lane : lanes) {
        lane.client().close().await();
      }
    }
  }

  /**
   * Sends {@code ratePerSecond} requests a second for {@code uncounted + seconds} seconds; the
   * result counts the requests due in the last {@code seconds}.
   */
  static Result run(Vertx vertx, List<Lane> lanes, String path, int ratePerSecond, int uncounted, int seconds,
      LongFunction<Buffer> body) throws InterruptedException {
    Recorder recorder = new Recorder(TimeUnit.SECONDS.toMicros(60), 3);
    // the slowest answer to the requests due in each second of the run: where a stall was
    java.util.concurrent.atomic.AtomicLongArray worstUs = new java.util.concurrent.atomic.AtomicLongArray(seconds + 2);
    // and how many of them took longer than the p99 target, 10 ms: whether the tail is a few stalls or spread out
    java.util.concurrent.atomic.AtomicLongArray slow = new java.util.concurrent.atomic.AtomicLongArray(seconds + 2);
    long startWallMs = System.currentTimeMillis() + 10 + uncounted * 1000L;
    long skipped = (long) ratePerSecond * uncounted;
    long counted = (long) ratePerSecond * seconds;
    long total = skipped + counted;
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    CountDownLatch done = new CountDownLatch(1);
    AtomicLong completed = new AtomicLong();
    long start = System.nanoTime() + 10_000_000;
    long intervalNs = 1_000_000_000L / ratePerSecond;
    List<Long> timers = new java.util.concurrent.CopyOnWriteArrayList<>();
    // the generator's own CPU and the machine's over the counted seconds: how much of the two cores
    // the load left the server
    java.util.concurrent.atomic.AtomicReference<double[]> atCounted = new java.util.concurrent.atomic.AtomicReference<>();
    timers.add(vertx.setTimer(10 + uncounted * 1000L, id -> atCounted.set(cpuNow())));
    int addresses = ClientAddresses.count();
    for (int lane = 0; lane < LANES; lane++) {
      int first = lane;
      HttpClient client = lanes.get(lane).client();
      lanes.get(lane).context().runOnContext(v -> {
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setURI(path)
            .putHeader("Content-Type", "application/json");
        long[] next = {first};
        timers.add(vertx.setPeriodic(1, id -> {
          long now = System.nanoTime();
          while (next[0] < total && start + next[0] * intervalNs <= now) {
            long intendedNs = start + next[0] * intervalNs;
            long i = next[0];
            next[0] += LANES;
            client.request(request)
                .compose(req -> req.putHeader(ClientAddresses.HEADER, ClientAddresses.of(i, addresses)).send(body.apply(i)))
                .compose(resp -> resp.body().map(b -> resp.statusCode()))
                .onComplete(ar -> {
                  if (i >= skipped) {
                    long latencyUs = Math.max(1, (System.nanoTime() - intendedNs) / 1000);
                    recorder.recordValue(latencyUs);
                    int second = (int) Math.min(seconds + 1, (i - skipped) / ratePerSecond);
                    worstUs.accumulateAndGet(second, latencyUs, Math::max);
                    if (latencyUs > SLOW_US) {
                      slow.incrementAndGet(second);
                    }
                    if (ar.succeeded() && ar.result() < 500) {
                      ok.incrementAndGet();
                    } else {
                      failed.incrementAndGet();
                    }
                  }
                  if (completed.incrementAndGet() == total) {
                    done.countDown();
                  }
                });
          }
        }));
      });
    }
    boolean finished = done.await(uncounted + seconds + 60L, TimeUnit.SECONDS);
    timers.forEach(vertx::cancelTimer);
    double elapsed = (System.nanoTime() - start) / 1e9 - uncounted;
    double[] from = atCounted.get() != null ? atCounted.get() : cpuNow();
    double[] to = cpuNow();
    double generatorUs = (to[0] - from[0]) * 1e6 / Math.max(1, counted);
    double machineBusy = to[2] == from[2] ? 0 : (double) (to[1] - from[1]) / (to[2] - from[2]);
    if (!finished) {
      failed.addAndGet(counted - ok.get() - failed.get());
    }
    System.out.println("OPEN-WORST " + worstSeconds(worstUs, startWallMs));
    System.out.println("OPEN-SECONDS (from " + java.time.Instant.ofEpochMilli(startWallMs) + ": slowest ms/answers over 10 ms) "
        + java.util.stream.IntStream.range(0, seconds).mapToObj(i -> (worstUs.get(i) / 1000) + "/" + slow.get(i))
            .collect(java.util.stream.Collectors.joining(" ")));
    return Result.of(counted, ok.get(), failed.get(), (ok.get() + failed.get()) / elapsed, recorder.getIntervalHistogram(),
        generatorUs, machineBusy);
  }

  /** This process's CPU seconds, and the machine's busy and total clock ticks. */
  private static double[] cpuNow() {
    long[] machine = Processes.machineTicks();
    return new double[] {Processes.cpuSeconds(ProcessHandle.current().pid()), machine[0], machine[1]};
  }

  /** The three seconds with the slowest answers: their wall-clock time and that answer. */
  private static String worstSeconds(java.util.concurrent.atomic.AtomicLongArray worstUs, long startWallMs) {
    return java.util.stream.IntStream.range(0, worstUs.length()).boxed()
        .sorted((a, b) -> Long.compare(worstUs.get(b), worstUs.get(a))).limit(3)
        .map(second -> String.format(java.util.Locale.ROOT, "%s %.1f ms",
            java.time.LocalTime.ofInstant(java.time.Instant.ofEpochMilli(startWallMs + second * 1000L), java.time.ZoneOffset.UTC)
                .truncatedTo(java.time.temporal.ChronoUnit.SECONDS), worstUs.get(second) / 1000.0))
        .collect(java.util.stream.Collectors.joining(", ", "slowest seconds (UTC): ", ""));
  }
}
