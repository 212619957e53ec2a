package claimgate.bench;

import claimgate.store.EmbeddedServers;
import claimgate.voucher.VoucherCodes;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The processes an admission benchmark measures, each started as its launcher starts it: the
 * bare ceiling ({@link BareEndpoint}), gateways and an allocator of the product's jar with the
 * JVM options of {@code deploy/jvm.options}, all against the benchmark's servers.
 */
final class BenchRoles {

  static final String OPERATOR = "cgo_bench";
  /** The ceiling runs with as many event loops as Vert.x gives this machine by default (its best here). */
  static final int BARE_LOOPS = Integer.getInteger("bareLoops", io.vertx.core.VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE);

  private final BenchServers servers;
  private final Path dir;
  private final Path jar;
  private final String codeKey = VoucherCodes.newKeySpec(1, new SecureRandom());
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  BenchRoles(BenchServers servers, Path dir, Path jar) {
    this.servers = servers;
    this.dir = dir;
    this.jar = jar;
  }

  Path dir() {
    return dir;
  }

  /** The bare Vert.x endpoint on {@code port}: the ceiling every ratio is measured against. */
  Process startBare(int port) throws IOException {
    return Processes.start(Processes.jvm(roleOptions(), "-cp", Processes.classpath(),
        "claimgate.bench.BareEndpoint", Integer.toString(port), Integer.toString(BARE_LOOPS)), Map.of(),
        dir.resolve("bare.log"));
  }

  Process startGateway(int port, String name) throws IOException {
    return startGateway(port, name, List.of());
  }

  /** A gateway with JVM options of its own after the launcher's (a later -Xmx wins). */
  Process startGateway(int port, String name, List<String> extraJvm) throws IOException {
    List<String> options = new ArrayList<>(roleOptions());
    options.addAll(extraJvm);
    // e.g. -DgatewayJvm=-agentpath:/path/libasyncProfiler.so=start,event=itimer,file=/tmp/gateway.txt,flat=40
    if (System.getProperty("gatewayJvm") != null && name.equals("gateway-1")) {
      options.addAll(List.of(System.getProperty("gatewayJvm").split(" ")));
    }
    return Processes.start(Processes.jvm(options, "-jar", jar.toString(), "gateway"), env(port),
        dir.resolve(name + ".log"));
  }

  /**
   * An allocator, returned once it reports ready: its warm-up (JIT-compiling the decision path on
   * a scratch campaign, then removing it) is over, as it is long before a launch opens.
   */
  Process startAllocator() throws IOException, InterruptedException {
    int port = EmbeddedServers.freePort();
    Process allocator = Processes.start(Processes.jvm(roleOptions(), "-jar", jar.toString(), "allocator"), env(port),
        dir.resolve("allocator.log"));
    try {
      awaitReady(port, "/health/ready", 120_000);
    } catch (InterruptedException | RuntimeException notReady) {
      allocator.destroyForcibly();
      throw notReady;
    }
    return allocator;
  }

  /** The JVM options the launcher gives the roles ({@code deploy/jvm.options}), or {@code -DroleJvm=...}. */
  static List<String> roleOptions() {
    try {
      String options = System.getProperty("roleJvm", Files.readString(Path.of("deploy/jvm.options")).strip());
      return List.of(options.split("\\s+"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("deploy/jvm.options: the roles' JVM options", e);
    }
  }

  private Map<String, String> env(int httpPort) {
    Map<String, String> env = new HashMap<>();
    env.put("CLAIMGATE_REDIS_URL", servers.redisUrl);
    env.put("CLAIMGATE_PG_URL", servers.database.url());
    env.put("CLAIMGATE_OPERATOR_TOKEN", OPERATOR);
    env.put("CLAIMGATE_CODE_KEY", codeKey);
    env.put("CLAIMGATE_DATA_DIR", dir.toString());
    env.put("CLAIMGATE_MAX_CONNECTIONS_PER_ADDRESS", "100000");
    // every simulated page of a benchmark comes from this machine's one address
    env.put("CLAIMGATE_STATUS_PER_ADDRESS_PER_SECOND", "1000000");
    env.put("CLAIMGATE_REDIS_DURABILITY", servers.gatewayDurability());
    // the generators name each claim's client address (ClientAddresses), as a proxy would
    env.put("CLAIMGATE_TRUSTED_PROXY_HOPS", "1");
    if (httpPort > 0) {
      env.put("CLAIMGATE_HTTP_PORT", Integer.toString(httpPort));
    }
    if (System.getProperty("gatewayLoops") != null) {
      env.put("CLAIMGATE_EVENT_LOOPS", System.getProperty("gatewayLoops"));
    }
    return env;
  }

  void awaitReady(int port, String path, long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      try {
        if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() < 500) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("nothing ready on port " + port + " within " + timeoutMs + " ms (logs in " + dir + ")");
  }
}
