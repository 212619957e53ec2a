package claimgate.gateway;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignStore;
import claimgate.redis.RedisRestore;
import claimgate.redis.PipelinedRedis;
import claimgate.store.EmbeddedServers;
import claimgate.testkit.TestServers;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;

/** A gateway on a free port against the test servers, with a client and direct store access. */
final class GatewayFixture {

  static final String OPERATOR_TOKEN = "test-operator-token-" + java.util.UUID.randomUUID();
  static final claimgate.voucher.VoucherCodes CODES = claimgate.voucher.VoucherCodes.fromSpec(
      claimgate.voucher.VoucherCodes.newKeySpec(1, new java.security.SecureRandom()));

  final Vertx vertx;
  final int port;
  final WebClient client;
  final PipelinedRedis redis;
  final Pool pool;
  final CampaignStore store;

  private GatewayFixture(Vertx vertx, int port, String redisUrl) {
    this.vertx = vertx;
    this.port = port;
    this.client = checkedClient(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port));
    this.redis = new PipelinedRedis(vertx, TestServers.redisUrl());
    this.pool = TestServers.database().pool(vertx, 2);
    this.store = new CampaignStore(pool);
  }

  static GatewayFixture start(Vertx vertx) {
    return start(vertx, TestServers.redisUrl());
  }

  static GatewayFixture start(Vertx vertx, String gatewayRedisUrl) {
    return start(vertx, gatewayRedisUrl, java.util.function.UnaryOperator.identity());
  }

  static GatewayFixture start(Vertx vertx, java.util.function.UnaryOperator<GatewayConfig> tweak) {
    return start(vertx, TestServers.redisUrl(), tweak);
  }

  static GatewayFixture start(Vertx vertx, String gatewayRedisUrl, java.util.function.UnaryOperator<GatewayConfig> tweak) {
    return start(vertx, gatewayRedisUrl, tweak, 1);
  }

  /** With {@code instances} gateway verticles, one per event loop, sharing what a process shares (as {@code Stack} deploys them). */
  static GatewayFixture start(Vertx vertx, String gatewayRedisUrl, java.util.function.UnaryOperator<GatewayConfig> tweak,
      int instances) {
    TestServers.get();
    claimgate.testkit.ContractCheck.of().orElseThrow(() -> new IllegalStateException("the contract is not on the classpath"));
    int port;
    try {
      port = EmbeddedServers.freePort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    GatewayFixture fixture = new GatewayFixture(vertx, port, gatewayRedisUrl);
    GatewayConfig config = tweak.apply(GatewayConfig.of(port, gatewayRedisUrl, TestServers.database(), OPERATOR_TOKEN, CODES));
    GatewayVerticle.Shared shared = GatewayVerticle.Shared.of(claimgate.metrics.Telemetry.standalone(), config);
    vertx.deployVerticle(() -> new GatewayVerticle(config, shared),
        new io.vertx.core.DeploymentOptions().setInstances(instances)).await();
    return fixture;
  }

  /** Another client of the gateway (its own connections, address or options): its answers are checked against the contract too. */
  WebClient client(WebClientOptions options) {
    return checkedClient(vertx, options.setDefaultHost("127.0.0.1").setDefaultPort(port));
  }

  private static WebClient checkedClient(Vertx vertx, WebClientOptions options) {
    // as browsers do: it asks for gzip'd answers and reads them decompressed
    WebClient client = WebClient.create(vertx, options.setDecompressionSupported(true),
        new io.vertx.core.http.PoolOptions().setHttp1MaxSize(64));
    // every answer this client receives is checked against the contract
    ((io.vertx.ext.web.client.impl.WebClientInternal) client).addInterceptor(GatewayFixture::checkAgainstContract);
    return client;
  }

  /** On the client's event loop: the contract was loaded by {@link #start}, the check does not block. */
  private static void checkAgainstContract(io.vertx.ext.web.client.impl.HttpContext<?> ctx) {
    if (ctx.phase() != io.vertx.ext.web.client.impl.ClientPhase.DISPATCH_RESPONSE) {
      ctx.next();
      return;
    }
    HttpResponse<?> response = ctx.response();
    Object body = response.body();
    io.vertx.core.Context here = Vertx.currentContext();
    claimgate.testkit.ContractCheck.of().orElseThrow().verdict(ctx.request().method().name(), ctx.request().uri(),
            response.statusCode(), response.getHeader("Content-Type"),
            body instanceof Buffer buffer ? buffer.toString() : body == null ? null : String.valueOf(body))
        .onComplete(verdict -> here.runOnContext(v -> {
          if (verdict.succeeded()) {
            ctx.next();
          } else {
            ctx.fail(verdict.cause());
          }
        }));
  }

  /** Stores a new campaign, opens its gate in Redis as an allocator would, and waits until the gateway's catalog has it. */
  Campaign apply(Campaign campaign) {
    return apply(campaign, Optional.empty());
  }

  Campaign apply(Campaign campaign, Optional<Map<String, Integer>> eligible) {
    RedisRestore.create(pool, redis, campaign, eligible).await();
    for (int i = 0; i < 100; i++) {
      if (get("/api/v1/campaigns/" + campaign.id()).statusCode() == 200) {
        return campaign;
      }
      vertx.timer(100).await();
    }
    throw new AssertionError("gateway never saw campaign " + campaign.id());
  }

  HttpResponse<Buffer> get(String path) {
    return client.get(path).send().await();
  }

  HttpResponse<Buffer> claim(String campaignId, JsonObject body) {
    return claimAsync(campaignId, body, null).await();
  }

  Future<HttpResponse<Buffer>> claimAsync(String campaignId, JsonObject body, String idempotencyKey) {
    var request = client.post("/api/v1/campaigns/" + campaignId + "/claims");
    if (idempotencyKey != null) {
      request.putHeader("Idempotency-Key", idempotencyKey);
    }
    return request.sendJsonObject(body);
  }

  static JsonObject claimBody(String citizen, String... merchants) {
    return new JsonObject().put("citizenId", citizen).put("merchantIds", new io.vertx.core.json.JsonArray(java.util.List.of(merchants)));
  }

  /** The test kit's blocking client of this gateway, with the operator's token. */
  claimgate.testkit.ApiClient api() {
    return new claimgate.testkit.ApiClient("http://127.0.0.1:" + port, OPERATOR_TOKEN);
  }

  /** A new merchant key from the admin API. */
  String merchantKey(String campaignId, String merchantId) {
    return api().merchantKey(campaignId, merchantId);
  }

  Response redis(Request request) {
    return redis.send(request).await();
  }

  /** The number {@code pattern}'s one group finds in Redis's {@code INFO section}; empty when the field is absent. */
  java.util.OptionalLong redisInfo(String section, String pattern) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile(pattern)
        .matcher(redis(Request.cmd(io.vertx.redis.client.Command.INFO).arg(section)).toString());
    return m.find() ? java.util.OptionalLong.of(Long.parseLong(m.group(1))) : java.util.OptionalLong.empty();
  }
}
