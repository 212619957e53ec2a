package claimgate.bench;

import claimgate.web.Bearer;

import claimgate.gateway.GatewayConfig;
import claimgate.gateway.GatewayVerticle;
import claimgate.metrics.Telemetry;
import claimgate.store.EmbeddedServers;
import claimgate.voucher.VoucherCodes;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Redemption throughput in ONE run: (a) a bare Vert.x endpoint that parses the same body and
 * answers 200, (b) merchants redeeming valid codes (key check, failed-attempt bucket in Redis,
 * the redemptions that arrive together in one conditional UPDATE), (c) forged codes (refused by
 * their HMAC tag before any database read). 300,000 vouchers ({@code -Dvouchers}; more than a
 * run redeems) are issued first by the real allocator; every merchant gets a key from the
 * admin API; wrk (one thread) sends each request with its merchant's key. Between runs the
 * vouchers are made redeemable again. Medians of {@code runs} runs.
 *
 * <pre>
 *   loadtest/bench redemption [-Dseconds=10 -Druns=3 -Dconnections=64 -Dvouchers=300000]
 * </pre>
 */
public final class RedemptionBenchmark {

  /** A ceiling: routing, body parsing and a small JSON answer, nothing else. */
  static final class BareVerticle extends io.vertx.core.VerticleBase {
    private final int port;
    private final String path;
    private final int status;
    private final java.util.function.UnaryOperator<JsonObject> answer;

    BareVerticle(int port, String path, int status, java.util.function.UnaryOperator<JsonObject> answer) {
      this.port = port;
      this.path = path;
      this.status = status;
      this.answer = answer;
    }

    @Override
    public io.vertx.core.Future<?> start() {
      io.vertx.ext.web.Router router = io.vertx.ext.web.Router.router(vertx);
      router.post(path).handler(io.vertx.ext.web.handler.BodyHandler.create(false).setBodyLimit(16 * 1024));
      router.post(path).handler(ctx -> ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
          .end(answer.apply(ctx.body().asJsonObject()).toBuffer()));
      return vertx.createHttpServer().requestHandler(router).listen(port);
    }
  }

  static final String CAMPAIGN = "bench-redeem";
  static final String OPERATOR = "bench-operator";

  public static void main(String[] args) throws Exception {
    int seconds = Integer.getInteger("seconds", 10);
    int runs = Integer.getInteger("runs", 3);
    int connections = Integer.getInteger("connections", 64);
    // every request of a run names another voucher: a run that came round to the first again
    // would count the repeats as refusals
    int vouchers = Integer.getInteger("vouchers", 300_000);
    int merchants = 100;
    VoucherCodes codes = VoucherCodes.fromSpec(VoucherCodes.newKeySpec(1, new SecureRandom()));
    VoucherCodes forger = VoucherCodes.fromSpec(VoucherCodes.newKeySpec(1, new SecureRandom()));
    try (BenchServers servers = BenchServers.start()) {
      Vertx vertx = Vertx.vertx();
      System.out.println("issuing " + vouchers + " vouchers with the allocator...");
      AllocatorBenchmark.allocate(vertx, servers, CAMPAIGN, vouchers, vouchers, merchants, codes);

      int barePort = EmbeddedServers.freePort();
      int gatewayPort = EmbeddedServers.freePort();
      DeploymentOptions two = new DeploymentOptions().setInstances(2);
      vertx.deployVerticle(() -> new BareVerticle(barePort, "/api/v1/redemptions", 200,
          body -> new JsonObject().put("status", "redeemed").put("code", body.getString("code"))), two).await();
      GatewayConfig config = GatewayConfig.of(gatewayPort, servers.redisUrl, servers.database, OPERATOR, codes)
          .withFailedAttempts(new GatewayConfig.Rate(1e9, 1_000_000_000));
      GatewayVerticle.Shared shared = GatewayVerticle.Shared.of(Telemetry.standalone(), config);
      vertx.deployVerticle(() -> new GatewayVerticle(config, shared), two).await();

      Map<String, String> keys = merchantKeys(vertx, gatewayPort, merchants);
      Pool pool = servers.database.pool(vertx, 1);
      List<String> valid = new ArrayList<>();
      List<String> forged = new ArrayList<>();
      for (Row row : pool.preparedQuery("select code, merchant_id, serial from voucher where campaign_id = $1 order by random()")
          .execute(Tuple.of(CAMPAIGN)).await()) {
        String key = keys.get(row.getString(1));
        valid.add(key + " " + row.getString(0));
        forged.add(key + " " + forger.issue(CAMPAIGN, "BENCH", row.getLong(2)));
      }
      Path validScript = script(valid);
      Path forgedScript = script(forged);
      String path = "/api/v1/redemptions";

      System.out.println("warming up...");
      Wrk.run(barePort, path, validScript, 5, connections);
      Wrk.run(gatewayPort, path, forgedScript, 5, connections);
      Wrk.run(gatewayPort, path, validScript, 5, connections);
      List<Wrk.Result> bare = new ArrayList<>();
      List<Wrk.Result> redeemed = new ArrayList<>();
      List<Wrk.Result> refused = new ArrayList<>();
      long redeemedNon2xx = 0;
      long forgedAccepted = 0;
      for (int run = 1; run <= runs; run++) {
        reset(pool);
        bare.add(Wrk.run(barePort, path, validScript, seconds, connections));
        redeemed.add(Wrk.run(gatewayPort, path, validScript, seconds, connections));
        refused.add(Wrk.run(gatewayPort, path, forgedScript, seconds, connections));
        redeemedNon2xx += redeemed.get(run - 1).non2xx();
        if (redeemed.get(run - 1).requests() > vouchers) {
          throw new IllegalStateException("a run sent " + redeemed.get(run - 1).requests() + " redemptions for "
              + vouchers + " vouchers: give more with -Dvouchers");
        }
        forgedAccepted += refused.get(run - 1).requests() - refused.get(run - 1).non2xx();
        System.out.printf(Locale.ROOT, "run %d: bare %,.0f req/s, valid %,.0f redemptions/s (non-2xx %d), forged %,.0f rejections/s%n",
            run, bare.get(run - 1).requestsPerSecond(), redeemed.get(run - 1).requestsPerSecond(),
            redeemed.get(run - 1).non2xx(), refused.get(run - 1).requestsPerSecond());
      }
      double b = median(bare);
      double v = median(redeemed);
      double f = median(refused);
      System.out.printf(Locale.ROOT, "%n## Redemption (%s; %,d vouchers, %d merchant keys; wrk 1 thread, %d connections, %d s runs, median of %d)%n",
          servers.describe(), vouchers, merchants, connections, seconds, runs);
      System.out.printf(Locale.ROOT, "| bare Vert.x endpoint (ceiling) | %,.0f req/s | p99 %.2f ms |%n", b, p99(bare));
      System.out.printf(Locale.ROOT, "| valid codes redeemed | %,.0f redemptions/s | p99 %.2f ms | ratio %.2f (each run against its own ceiling: %s) |%n",
          v, p99(redeemed), v / b, ratios(redeemed, bare));
      System.out.printf(Locale.ROOT, "| forged codes refused (no database read) | %,.0f rejections/s | p99 %.2f ms | ratio %.2f |%n", f, p99(refused), f / b);
      System.out.printf(Locale.ROOT, "valid redemptions answered non-2xx: %d; forged codes accepted: %d%n", redeemedNon2xx, forgedAccepted);
      Row updates = pool.query("select n_tup_upd, n_tup_hot_upd from pg_stat_user_tables where relname = 'voucher'")
          .execute().await().iterator().next();
      System.out.printf(Locale.ROOT, "voucher updates without index writes (HOT): %,d of %,d%n", updates.getLong(1), updates.getLong(0));
      pool.close().await();
      vertx.close().await();
      if (forgedAccepted > 0) {
        throw new AssertionError(forgedAccepted + " forged codes were accepted");
      }
    }
    // a Redis client's reconnection to the stopped servers must not keep the JVM alive
    System.exit(0);
  }

  static String ratios(List<Wrk.Result> results, List<Wrk.Result> ceilings) {
    List<String> each = new ArrayList<>();
    for (int i = 0; i < results.size(); i++) {
      each.add(String.format(Locale.ROOT, "%.2f", results.get(i).requestsPerSecond() / ceilings.get(i).requestsPerSecond()));
    }
    return each.toString();
  }

  static double median(List<Wrk.Result> results) {
    return BenchServers.median(results.stream().map(Wrk.Result::requestsPerSecond).toList());
  }

  static double p99(List<Wrk.Result> results) {
    return BenchServers.median(results.stream().map(Wrk.Result::p99Ms).toList());
  }

  static Map<String, String> merchantKeys(Vertx vertx, int port, int merchants) {
    claimgate.testkit.ApiClient api = new claimgate.testkit.ApiClient("http://127.0.0.1:" + port, OPERATOR);
    Map<String, String> keys = new HashMap<>();
    for (int i = 0; i < merchants; i++) {
      String merchant = String.format("m%03d", i);
      keys.put(merchant, api.merchantKey(CAMPAIGN, merchant));
    }
    return keys;
  }

  /** After the previous run's requests still in flight have landed, every voucher is redeemable again. */
  static void reset(Pool pool) throws InterruptedException {
    Thread.sleep(2_000);
    pool.preparedQuery("update voucher set redeemed_at = null, redeemed_request = null where campaign_id = $1 and redeemed_at is not null")
        .execute(Tuple.of(CAMPAIGN)).await();
    pool.query("vacuum analyze voucher").execute().await();
  }

  /** A wrk script sending the lines' codes in turn, each with its merchant's key. */
  static Path script(List<String> keyAndCode) throws IOException {
    Path lines = Files.createTempFile("codes", ".txt");
    Files.write(lines, keyAndCode);
    Path script = Files.createTempFile("redeem", ".lua");
    Files.writeString(script, """
        local items = {}
        for line in io.lines("%s") do
          local key, code = line:match("^(%%S+) (%%S+)$")
          items[#items + 1] = {key, code}
        end
        local i = 0
        request = function()
          i = i %% #items + 1
          local item = items[i]
          return wrk.format("POST", nil, {["Content-Type"] = "application/json",
            ["Authorization"] = "Bearer " .. item[1]}, '{"code":"' .. item[2] .. '"}')
        end
        """.formatted(lines));
    return script;
  }
}
