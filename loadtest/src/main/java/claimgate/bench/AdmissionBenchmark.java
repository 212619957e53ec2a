package claimgate.bench;

import claimgate.campaign.Campaign;
import claimgate.gateway.GatewayConfig;
import claimgate.gateway.GatewayVerticle;
import claimgate.store.EmbeddedServers;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Admission throughput in ONE run: (a) a bare Vert.x endpoint that parses the same JSON body and
 * answers 202 without any Redis work, and (b) the claim endpoint (validation, one EVALSHA,
 * answer), both with two verticle instances on this JVM and the embedded Redis beside it.
 * Ceilings come from wrk (one thread, {@code connections} connections, a fresh body per request);
 * the latency at half of (b)'s ceiling from {@link OpenModelLoad} (HdrHistogram, corrected for
 * coordinated omission). Medians of {@code runs} runs.
 *
 * <pre>
 *   loadtest/bench admission [-Dseconds=10 -Druns=3 -Dconnections=64]
 * </pre>
 */
public final class AdmissionBenchmark {

  static final String CAMPAIGN = "bench-admission";

  /** A ceiling: routing, body parsing and a small JSON answer, nothing else. */
  static final class BareVerticle extends VerticleBase {
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

    /** The claim endpoint's twin. */
    static BareVerticle claims(int port) {
      return new BareVerticle(port, "/api/v1/campaigns/:campaignId/claims", 202,
          body -> new JsonObject().put("ticket", body.getString("citizenId")).put("status", "queued"));
    }

    @Override
    public Future<?> start() {
      Router router = Router.router(vertx);
      router.post(path).handler(BodyHandler.create(false).setBodyLimit(16 * 1024));
      router.post(path).handler(ctx -> ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
          .end(answer.apply(ctx.body().asJsonObject()).toBuffer()));
      return vertx.createHttpServer().requestHandler(router).listen(port);
    }
  }

  record WrkResult(double requestsPerSecond, double p50Ms, double p99Ms, long non2xx, long requests) {}

  public static void main(String[] args) throws Exception {
    int seconds = Integer.getInteger("seconds", 10);
    int runs = Integer.getInteger("runs", 3);
    int connections = Integer.getInteger("connections", 64);
    try (BenchServers servers = BenchServers.start()) {
      Vertx vertx = Vertx.vertx();
      Campaign campaign = BenchServers.campaign(CAMPAIGN, 100, 100 * 10_000_000, 100_000_000);
      servers.apply(vertx, campaign);
      int barePort = EmbeddedServers.freePort();
      int gatewayPort = EmbeddedServers.freePort();
      DeploymentOptions two = new DeploymentOptions().setInstances(2);
      vertx.deployVerticle(() -> BareVerticle.claims(barePort), two).await();
      GatewayConfig config = GatewayConfig.of(gatewayPort, servers.redisUrl, servers.database, "bench-operator",
          claimgate.voucher.VoucherCodes.fromSpec(claimgate.voucher.VoucherCodes.newKeySpec(1, new java.security.SecureRandom())));
      GatewayVerticle.Shared shared = GatewayVerticle.Shared.of(claimgate.metrics.Telemetry.standalone(), config);
      vertx.deployVerticle(() -> new GatewayVerticle(config, shared), two).await();
      Path script = wrkScript();
      String path = "/api/v1/campaigns/" + CAMPAIGN + "/claims";

      System.out.println("warming up both endpoints...");
      wrk(barePort, path, script, 5, connections);
      wrk(gatewayPort, path, script, 5, connections);
      List<WrkResult> bare = new ArrayList<>();
      List<WrkResult> claims = new ArrayList<>();
      for (int run = 1; run <= runs; run++) {
        bare.add(wrk(barePort, path, script, seconds, connections));
        claims.add(wrk(gatewayPort, path, script, seconds, connections));
        System.out.printf(Locale.ROOT, "run %d: bare %,.0f req/s (p99 %.2f ms), claims %,.0f req/s (p99 %.2f ms, non-2xx %d)%n",
            run, bare.get(run - 1).requestsPerSecond(), bare.get(run - 1).p99Ms(),
            claims.get(run - 1).requestsPerSecond(), claims.get(run - 1).p99Ms(), claims.get(run - 1).non2xx());
      }
      double bareRate = BenchServers.median(bare.stream().map(WrkResult::requestsPerSecond).toList());
      double claimRate = BenchServers.median(claims.stream().map(WrkResult::requestsPerSecond).toList());
      int half = (int) (claimRate / 2);
      long salt = System.nanoTime();
      OpenModelLoad.Result open = OpenModelLoad.run(vertx, gatewayPort, path, half, seconds, connections,
          i -> new JsonObject().put("citizenId", "open-" + salt + "-" + i)
              .put("merchantIds", new io.vertx.core.json.JsonArray().add("m001").add("m002")).toBuffer());

      System.out.printf(Locale.ROOT, "%n## Admission (%s; wrk 1 thread, %d connections, %d s runs, median of %d)%n",
          servers.describe(), connections, seconds, runs);
      System.out.printf(Locale.ROOT, "| bare Vert.x endpoint (ceiling, wrk) | %,.0f req/s | p50 %.2f ms | p99 %.2f ms |%n",
          bareRate, BenchServers.median(bare.stream().map(WrkResult::p50Ms).toList()),
          BenchServers.median(bare.stream().map(WrkResult::p99Ms).toList()));
      System.out.printf(Locale.ROOT, "| claim endpoint (wrk) | %,.0f claims/s | p50 %.2f ms | p99 %.2f ms |%n",
          claimRate, BenchServers.median(claims.stream().map(WrkResult::p50Ms).toList()),
          BenchServers.median(claims.stream().map(WrkResult::p99Ms).toList()));
      System.out.printf(Locale.ROOT, "| ratio claims / bare | %.2f (target >= 0.60) | | |%n", claimRate / bareRate);
      System.out.printf(Locale.ROOT,
          "| claim endpoint at half its ceiling (open model, %,d/s for %d s, HdrHistogram) | %,.0f claims/s | p50 %.2f ms | p99 %.2f ms, p99.9 %.2f ms (target p99 <= 10 ms); %d failed |%n",
          half, seconds, open.achievedPerSecond(), open.percentileMs(50), open.percentileMs(99), open.percentileMs(99.9),
          open.failed());
      long non2xx = claims.stream().mapToLong(WrkResult::non2xx).sum();
      System.out.println("non-2xx answers from the claim endpoint under wrk: " + non2xx);
      vertx.close().await();
    }
  }

  static Path wrkScript() throws IOException {
    Path script = Files.createTempFile("claim", ".lua");
    Files.writeString(script, """
        -- a fresh citizen per request, so idempotency does not fold repeats into one ticket
        local counter = 0
        local salt = tostring(math.random(1, 1000000000)) .. tostring(os.time())
        request = function()
          counter = counter + 1
          local body = '{"citizenId":"w' .. salt .. '-' .. counter .. '","merchantIds":["m001","m002"]}'
          return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
        end
        """);
    return script;
  }

  static WrkResult wrk(int port, String path, Path script, int seconds, int connections) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("wrk", "-t1", "-c" + connections, "-d" + seconds + "s", "--latency",
        "-s", script.toString(), "http://127.0.0.1:" + port + path).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IllegalStateException("wrk failed (apt-get install wrk): " + out);
    }
    return new WrkResult(number(out, "Requests/sec:\\s+([\\d.]+)"), ms(out, "50%"), ms(out, "99%"),
        (long) number(out, "Non-2xx or 3xx responses:\\s+(\\d+)"), (long) number(out, "(\\d+) requests in"));
  }

  private static double number(String out, String regex) {
    Matcher m = Pattern.compile(regex).matcher(out);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  private static double ms(String out, String percentile) {
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
}
