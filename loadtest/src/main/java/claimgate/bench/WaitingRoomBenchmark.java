package claimgate.bench;

import claimgate.campaign.Campaign;
import claimgate.redis.PipelinedRedis;
import claimgate.store.EmbeddedServers;
import claimgate.testkit.ApiClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The waiting room at scale: {@code pages} launch pages hold their ticket's event stream open on
 * ONE gateway process (heap capped at 512 MiB) while the allocator is frozen; then the allocator
 * decides them all. Prints:
 * <ul>
 *   <li>Redis commands per second with no page waiting and with every page waiting (the streams
 *       are fed by the gateway's one subscription and its shared campaign read, so the two should
 *       match);
 *   <li>the gateway's CPU while the pages wait, and its heap after a full GC with them open;
 *   <li>from each claim's decision (its {@code decided_at} in PostgreSQL) to its final event at the
 *       page: p50, p99 and max; and from the unfreeze to the last page told.
 * </ul>
 * A process on this machine may hold at most {@code ulimit -Hn} files (20,000 here), so one gateway
 * holds at most about 19,000 streams; the default is 15,000.
 *
 * <pre>
 *   loadtest/bench waiting-room [-Dpages=15000]
 * </pre>
 */
public final class WaitingRoomBenchmark {

  static final String CAMPAIGN = "bench-waiting";

  public static void main(String[] args) throws Exception {
    int pages = Integer.getInteger("pages", 15_000);
    Path jar = Path.of(System.getProperty("jar", "app/target/claimgate.jar")).toAbsolutePath();
    try (BenchServers servers = BenchServers.start()) {
      Vertx vertx = Vertx.vertx();
      try {
        new WaitingRoomBenchmark().run(servers, new BenchRoles(servers, Files.createTempDirectory("claimgate-waiting"), jar),
            vertx, pages);
      } finally {
        vertx.close().await();
      }
    }
    System.exit(0);
  }

  void run(BenchServers servers, BenchRoles roles, Vertx vertx, int pages) throws Exception {
    Campaign campaign = BenchServers.campaign(CAMPAIGN, 300, pages * 2, 1_000_000);
    servers.apply(vertx, campaign);
    int port = EmbeddedServers.freePort();
    Process gateway = roles.startGateway(port, "gateway", List.of("-Xms512m", "-Xmx512m"));
    Process allocator = roles.startAllocator();
    PipelinedRedis redis = new PipelinedRedis(vertx, servers.redisUrl);
    Pool pool = servers.database.pool(vertx, 1);
    HttpClient streams = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false),
        new PoolOptions().setHttp1MaxSize(pages + 10));
    try {
      roles.awaitReady(port, "/health/ready", 120_000);
      String base = "http://127.0.0.1:" + port;
      ApiClient operator = new ApiClient(base, BenchRoles.OPERATOR);
      operator.admin("POST", "/admin/v1/campaigns/" + CAMPAIGN + "/freeze", new JsonObject());
      List<String> tickets = claim(vertx, port, pages);
      System.out.printf(Locale.ROOT, "%,d claims queued, the allocator frozen%n", tickets.size());

      Thread.sleep(2_000);
      double idleCommands = commandsPerSecond(redis, 5);
      double idleCpu = cpuPerSecond(gateway, 5);

      Map<String, Long> finalAtMs = new ConcurrentHashMap<>();
      AtomicInteger waiting = new AtomicInteger();
      long openStart = System.nanoTime();
      for (int from = 0; from < tickets.size(); from += 500) {
        List<Future<Void>> opened = new ArrayList<>();
        for (String ticket : tickets.subList(from, Math.min(tickets.size(), from + 500))) {
          opened.add(open(streams, port, ticket, waiting, finalAtMs));
        }
        Future.all(opened).await();
      }
      double openSeconds = (System.nanoTime() - openStart) / 1e9;
      System.out.printf(Locale.ROOT, "%,d event streams open in %.1f s%n", waiting.get(), openSeconds);
      Thread.sleep(2_000);
      double waitingCommands = commandsPerSecond(redis, 5);
      double waitingCpu = cpuPerSecond(gateway, 5);
      double heapMiB = heapAfterGc(gateway);

      long unfrozenAtMs = System.currentTimeMillis();
      operator.admin("POST", "/admin/v1/campaigns/" + CAMPAIGN + "/unfreeze", new JsonObject());
      long deadline = System.currentTimeMillis() + 180_000;
      while (finalAtMs.size() < tickets.size() && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
      }
      Map<String, Long> decidedAtMs = new ConcurrentHashMap<>();
      for (Row row : pool.preparedQuery("select ticket, (extract(epoch from decided_at) * 1000)::bigint from claim where campaign_id = $1")
          .execute(Tuple.of(CAMPAIGN)).await()) {
        decidedAtMs.put(row.getString(0), row.getLong(1));
      }
      long[] lags = finalAtMs.entrySet().stream().filter(e -> decidedAtMs.containsKey(e.getKey()))
          .mapToLong(e -> e.getValue() - decidedAtMs.get(e.getKey())).sorted().toArray();
      long lastDecided = decidedAtMs.values().stream().mapToLong(Long::longValue).max().orElse(unfrozenAtMs);
      long lastTold = finalAtMs.values().stream().mapToLong(Long::longValue).max().orElse(unfrozenAtMs);

      System.out.printf(Locale.ROOT, "%n## Waiting room (%s; %,d pages on one gateway process, -Xmx512m)%n", servers.describe(), pages);
      System.out.println("| figure | value | target |");
      System.out.println("|---|---|---|");
      System.out.printf(Locale.ROOT, "| Redis commands/s, no page waiting | %,.0f | |%n", idleCommands);
      System.out.printf(Locale.ROOT, "| Redis commands/s, %,d pages waiting on their event stream | %,.0f | no more than with none |%n",
          waiting.get(), waitingCommands);
      System.out.printf(Locale.ROOT, "| gateway CPU while they wait (none / all waiting) | %.0f / %.0f ms per s | |%n",
          idleCpu * 1000, waitingCpu * 1000);
      System.out.printf(Locale.ROOT, "| gateway heap after a full GC with %,d streams open | %.0f MiB | <= 512 MiB |%n", waiting.get(), heapMiB);
      System.out.printf(Locale.ROOT, "| pages told their final status | %,d of %,d | all |%n", finalAtMs.size(), tickets.size());
      System.out.printf(Locale.ROOT, "| from a claim's decision to its page's final event: p50 / p99 / max | %s / %s / %s ms | within 2 s |%n",
          rank(lags, 50), rank(lags, 99), lags.length == 0 ? "-" : Long.toString(lags[lags.length - 1]));
      System.out.printf(Locale.ROOT, "| unfreeze to last decision / to last page told | %,d / %,d ms | |%n",
          lastDecided - unfrozenAtMs, lastTold - unfrozenAtMs);
    } finally {
      streams.close();
      gateway.destroy();
      allocator.destroy();
      redis.close();
      pool.close();
    }
  }

  /** Queues {@code n} claims of fresh citizens, 64 at a time. */
  private static List<String> claim(Vertx vertx, int port, int n) {
    WebClient client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port),
        new PoolOptions().setHttp1MaxSize(64));
    List<String> tickets = java.util.Collections.synchronizedList(new ArrayList<>());
    try {
      for (int from = 0; from < n; from += 64) {
        List<Future<?>> sent = new ArrayList<>();
        for (int i = from; i < Math.min(n, from + 64); i++) {
          JsonObject body = new JsonObject().put("citizenId", "page-" + i)
              .put("merchantIds", new io.vertx.core.json.JsonArray().add(String.format("m%03d", i % 300)));
          sent.add(client.post("/api/v1/campaigns/" + CAMPAIGN + "/claims").sendJsonObject(body).map(r -> {
            if (r.statusCode() != 202) {
              throw new IllegalStateException("claim answered " + r.statusCode() + " " + r.bodyAsString());
            }
            return tickets.add(r.bodyAsJsonObject().getString("ticket"));
          }));
        }
        Future.all(sent).await();
      }
    } finally {
      client.close();
    }
    return tickets;
  }

  /** Opens a ticket's event stream; notes when its final event arrives. */
  private static Future<Void> open(HttpClient http, int port, String ticket, AtomicInteger waiting, Map<String, Long> finalAtMs) {
    return http.request(HttpMethod.GET, port, "127.0.0.1", "/api/v1/claims/" + ticket + "/events")
        .compose(req -> req.send())
        .map(response -> {
          if (response.statusCode() != 200) {
            throw new IllegalStateException("event stream answered " + response.statusCode());
          }
          waiting.incrementAndGet();
          response.handler(chunk -> {
            String text = chunk.toString();
            if (text.contains("data: ") && !text.contains("\"queued\"")) {
              finalAtMs.putIfAbsent(ticket, System.currentTimeMillis());
            }
          });
          return null;
        });
  }

  private static double commandsPerSecond(PipelinedRedis redis, int seconds) throws InterruptedException {
    long before = commands(redis);
    Thread.sleep(seconds * 1000L);
    return (commands(redis) - before) / (double) seconds;
  }

  private static long commands(PipelinedRedis redis) {
    return (long) Wrk.number(redis.send(Request.cmd(Command.INFO).arg("stats")).await().toString(),
        "total_commands_processed:(\\d+)");
  }

  private static double cpuPerSecond(Process process, int seconds) throws InterruptedException {
    double before = Processes.cpuSeconds(process.pid());
    Thread.sleep(seconds * 1000L);
    return (Processes.cpuSeconds(process.pid()) - before) / seconds;
  }

  /** The heap in use after a full collection, as {@code jcmd GC.heap_info} reports it. */
  private static double heapAfterGc(Process process) throws Exception {
    String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    new ProcessBuilder(jcmd, Long.toString(process.pid()), "GC.run").redirectErrorStream(true).start().waitFor();
    if (Boolean.getBoolean("histogram")) {
      // what the heap holds, by class: where a stream's bytes go
      Process histogram = new ProcessBuilder(jcmd, Long.toString(process.pid()), "GC.class_histogram")
          .redirectErrorStream(true).start();
      new String(histogram.getInputStream().readAllBytes()).lines().limit(30).forEach(System.out::println);
      histogram.waitFor();
    }
    Process info = new ProcessBuilder(jcmd, Long.toString(process.pid()), "GC.heap_info").redirectErrorStream(true).start();
    String text = new String(info.getInputStream().readAllBytes());
    info.waitFor();
    // ParallelGC: "... total 123456K, used 45678K"; ZGC: "used 123M"
    double used = 0;
    for (String line : text.split("\n")) {
      java.util.regex.Matcher kib = java.util.regex.Pattern.compile("used (\\d+)K").matcher(line);
      // the heap's generations; not the class metadata
      if (!line.contains("Metaspace") && !line.contains("class space") && kib.find()) {
        used += Long.parseLong(kib.group(1)) / 1024.0;
      }
    }
    if (used == 0) {
      java.util.regex.Matcher mib = java.util.regex.Pattern.compile("used (\\d+)M").matcher(text);
      if (mib.find()) {
        used = Long.parseLong(mib.group(1));
      }
    }
    return used;
  }

  private static String rank(long[] sorted, double percentile) {
    if (sorted.length == 0) {
      return "-";
    }
    int rank = (int) Math.ceil(percentile / 100.0 * sorted.length);
    return Long.toString(sorted[Math.max(0, rank - 1)]);
  }
}
