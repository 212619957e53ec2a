package claimgate.bench;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
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

  record Result(long sent, long ok, long failed, double achievedPerSecond, Histogram latencyUs) {
    double percentileMs(double p) {
      return latencyUs.getValueAtPercentile(p) / 1000.0;
    }
  }

  private OpenModelLoad() {}

  static Result run(Vertx vertx, int port, String path, int ratePerSecond, int seconds, int connections,
      LongFunction<Buffer> body) throws InterruptedException {
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port)
        .setKeepAlive(true).setTcpNoDelay(true), new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
    Recorder recorder = new Recorder(TimeUnit.SECONDS.toMicros(60), 3);
    long total = (long) ratePerSecond * seconds;
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    CountDownLatch done = new CountDownLatch(1);
    AtomicLong completed = new AtomicLong();
    long start = System.nanoTime();
    long intervalNs = 1_000_000_000L / ratePerSecond;
    long[] next = {0};
    long timer = vertx.setPeriodic(1, id -> {
      long now = System.nanoTime();
      while (next[0] < total && start + next[0] * intervalNs <= now) {
        long intendedNs = start + next[0] * intervalNs;
        long i = next[0]++;
        client.request(new RequestOptions().setMethod(HttpMethod.POST).setURI(path)
                .putHeader("Content-Type", "application/json"))
            .compose(req -> req.send(body.apply(i)))
            .compose(resp -> resp.body().map(b -> resp.statusCode()))
            .onComplete(ar -> {
              recorder.recordValue(Math.max(1, (System.nanoTime() - intendedNs) / 1000));
              if (ar.succeeded() && ar.result() < 500) {
                ok.incrementAndGet();
              } else {
                failed.incrementAndGet();
              }
              if (completed.incrementAndGet() == total) {
                done.countDown();
              }
            });
      }
    });
    boolean finished = done.await(seconds + 60L, TimeUnit.SECONDS);
    vertx.cancelTimer(timer);
    double elapsed = (System.nanoTime() - start) / 1e9;
    client.close().await();
    if (!finished) {
      failed.addAndGet(total - completed.get());
    }
    return new Result(total, ok.get(), failed.get(), completed.get() / elapsed, recorder.getIntervalHistogram());
  }
}
