package claimgate.gateway;

import claimgate.admission.Admission;
import claimgate.admission.AdmissionScript;
import claimgate.admission.CitizenIdentity;
import claimgate.campaign.CampaignStore;
import claimgate.catalog.CampaignCatalog;
import claimgate.claim.ClaimEvents;
import claimgate.claim.ClaimLookup;
import claimgate.keys.PipelinedRedis;
import claimgate.operator.OperatorApi;
import claimgate.redemption.MerchantKeys;
import claimgate.redemption.RedemptionApi;
import claimgate.redemption.Vouchers;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CSPHandler;
import io.vertx.ext.web.handler.TimeoutHandler;
import io.vertx.ext.web.handler.XFrameHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway: citizens' claim API and launch page, merchants' redemption API, operators' admin
 * API and console, metrics and health. Deploy one instance per event loop; each owns one
 * pipelined Redis connection, a small PostgreSQL pool and its own view of the campaigns, and
 * never blocks.
 *
 * <pre>
 *   vertx.deployVerticle(() -> new GatewayVerticle(config),
 *       new DeploymentOptions().setInstances(VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE));
 * </pre>
 */
public final class GatewayVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);
  private static final long PAUSED_RETRY_MS = 5_000;
  private static final int DOCUMENT_RELOAD_TICKS = 5;
  /** An offline backlog of 1,000 codes with their times. */
  static final int BATCH_BODY_LIMIT_BYTES = 256 * 1024;
  /** Marks an event-stream route: no body, no deadline. */
  static final int STREAMING = -1;
  /** A campaign document with its eligibility list, or a revocation list. */
  static final int DOCUMENT_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

  private final GatewayConfig config;
  private final SecureRandom random = new SecureRandom();
  private PipelinedRedis redis;
  private Pool pool;
  private CampaignCatalog catalog;
  private AdmissionScript admission;
  private ClaimLookup lookup;
  private ClaimEvents events;
  private CitizenIdentity identity;
  private Access access;
  private OperatorApi operators;
  private RateBuckets statusReads;
  private RedemptionApi redemptions;
  private HttpServer server;
  private int ticks;

  public GatewayVerticle(GatewayConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    redis = new PipelinedRedis(vertx, config.redisUrl());
    pool = config.database().pool(vertx, 4);
    catalog = new CampaignCatalog(new CampaignStore(pool), redis);
    admission = new AdmissionScript(redis);
    lookup = new ClaimLookup(redis, pool, catalog);
    events = new ClaimEvents(vertx, lookup, 250, config.maxStreamsPerTicket(), TimeUnit.MINUTES.toMillis(10));
    identity = config.identity(vertx);
    MerchantKeys merchantKeys = new MerchantKeys(pool, 10_000);
    RateBuckets attempts = new RateBuckets(redis, "attempts", config.failedAttemptsPerSecond(), config.failedAttemptsBurst());
    Vouchers vouchers = new Vouchers(config.codes());
    access = new Access(config.operatorToken(), merchantKeys, attempts);
    statusReads = new RateBuckets(redis, "status", config.statusPerAddressPerSecond(), config.statusPerAddressBurst());
    operators = new OperatorApi(vertx, pool, redis, catalog, config.telemetry(), merchantKeys, vouchers);
    redemptions = new RedemptionApi(pool, vouchers, attempts);
    return catalog.reloadDocuments()
        .recover(failure -> {
          LOG.warn("campaigns not loaded yet ({}); retrying every second", failure.getMessage());
          return Future.succeededFuture();
        })
        .compose(loaded -> OpenAPIContract.from(vertx, "openapi/claimgate.yaml"))
        .compose(contract -> vertx.createHttpServer(serverOptions())
            .connectionHandler(config.connections()::admit)
            .invalidRequestHandler(Failures::invalidRequest)
            .requestHandler(router(contract))
            .listen(config.httpPort()))
        .onSuccess(listening -> {
          server = listening;
          vertx.setPeriodic(1_000, id -> refreshCatalog());
        });
  }

  private Router router(OpenAPIContract contract) {
    RouterBuilder builder = RouterBuilder.create(vertx, contract, RequestExtractor.withBodyHandler());
    builder.rootHandler(new ReadablePath());
    builder.rootHandler(CSPHandler.create()
        .setDirective("default-src", "'self'")
        .addDirective("img-src", "data:")
        .setDirective("object-src", "'none'")
        .setDirective("base-uri", "'none'")
        .setDirective("form-action", "'self'")
        .setDirective("frame-ancestors", "'none'"));
    builder.rootHandler(XFrameHandler.create(XFrameHandler.DENY));
    builder.rootHandler(new SecurityHeaders());
    Handler<RoutingContext> anyone = RoutingContext::next;
    Handler<RoutingContext> merchant = access.merchant();
    Handler<RoutingContext> operator = access.operator();
    route(builder, contract, "listCampaigns", anyone, this::listCampaigns);
    route(builder, contract, "getCampaign", anyone, this::getCampaign);
    route(builder, contract, "admitClaim", anyone, this::admitClaim);
    route(builder, contract, "getClaim", anyone, this::getClaim);
    route(builder, contract, "claimEvents", anyone, STREAMING, this::claimEvents);
    route(builder, contract, "redeem", merchant, redemptions::redeem);
    route(builder, contract, "redeemBatch", merchant, BATCH_BODY_LIMIT_BYTES, redemptions::redeemBatch);
    route(builder, contract, "getVoucher", merchant, redemptions::getVoucher);
    route(builder, contract, "applyCampaign", operator, DOCUMENT_BODY_LIMIT_BYTES, operators::applyCampaign);
    route(builder, contract, "pauseCampaign", operator, operators::pause);
    route(builder, contract, "resumeCampaign", operator, operators::resume);
    route(builder, contract, "freezeCampaign", operator, operators::freeze);
    route(builder, contract, "unfreezeCampaign", operator, operators::unfreeze);
    route(builder, contract, "setAdmission", operator, operators::setAdmission);
    route(builder, contract, "campaignStats", operator, operators::stats);
    route(builder, contract, "campaignLive", operator, STREAMING, operators::live);
    route(builder, contract, "createMerchantKey", operator, operators::createMerchantKey);
    route(builder, contract, "revokeVouchers", operator, DOCUMENT_BODY_LIMIT_BYTES, operators::revoke);
    route(builder, contract, "listAudit", operator, operators::audit);
    Router router = builder.createRouter();
    if (config.trustForwarded()) {
      router.allowForward(io.vertx.ext.web.AllowForwardHeaders.X_FORWARD);
    }
    router.get("/health/live").handler(this::live);
    router.get("/health/ready").handler(this::ready);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(config.telemetry().registry()));
    router.get("/admin").handler(ctx -> ctx.reroute("/admin.html"));
    router.get("/*").handler(StaticHandler.create("webroot").setMaxAgeSeconds(60).setIncludeHidden(false));
    router.route().failureHandler(Failures::render);
    router.errorHandler(404, Failures::render);
    router.errorHandler(405, Failures::render);
    return router;
  }

  private void route(RouterBuilder builder, OpenAPIContract contract, String operationId,
      Handler<RoutingContext> access, Handler<RoutingContext> handler) {
    route(builder, contract, operationId, access, config.bodyLimitBytes(), handler);
  }

  /**
   * A deadline for the whole exchange (408 for a client too slow to send its request; event
   * streams have none), the body up to the route's limit, credentials, validation from the
   * contract with validators built once, then the handler.
   */
  private void route(RouterBuilder builder, OpenAPIContract contract, String operationId,
      Handler<RoutingContext> access, int bodyLimitBytes, Handler<RoutingContext> handler) {
    var route = builder.getRoute(operationId).setDoValidation(false);
    if (bodyLimitBytes != STREAMING) {
      route.addHandler(TimeoutHandler.create(2 * config.requestTimeoutMs(), 408));
    }
    if (route.getOperation().getRequestBody() == null) {
      route.addHandler(new NoFormOnBodylessRoute());
    }
    route.addHandler(BodyHandler.create(false).setBodyLimit(bodyLimitBytes == STREAMING ? 0 : bodyLimitBytes))
        .addHandler(access)
        .addHandler(ContractValidation.of(contract, operationId))
        .addHandler(handler);
  }

  private HttpServerOptions serverOptions() {
    return new HttpServerOptions()
        // HTTP/1.1 only: without h2c detection a connection exists (and is counted) from accept
        .setHttp2ClearTextEnabled(false)
        .setIdleTimeout(config.idleTimeoutSeconds())
        .setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setMaxHeaderSize(8 * 1024)
        .setMaxInitialLineLength(4 * 1024)
        .setTcpNoDelay(true);
  }

  private void refreshCatalog() {
    Future<Void> refresh = ++ticks % DOCUMENT_RELOAD_TICKS == 0 ? catalog.reloadDocuments() : catalog.refreshLive();
    refresh.onFailure(failure -> LOG.debug("campaign state not refreshed: {}", failure.getMessage()));
  }

  private void listCampaigns(RoutingContext ctx) {
    JsonArray list = new JsonArray();
    catalog.all().forEach(live -> list.add(live.summary()));
    ctx.response().putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "public, max-age=1")
        .end(list.toBuffer());
  }

  private void getCampaign(RoutingContext ctx) {
    campaign(ctx.pathParam("campaignId"))
        .onSuccess(live -> ctx.response().putHeader("Content-Type", "application/json")
            .putHeader("Cache-Control", "public, max-age=1")
            .end(live.detail()))
        .onFailure(ctx::fail);
  }

  private void admitClaim(RoutingContext ctx) {
    long startNanos = System.nanoTime();
    String campaignId = ctx.pathParam("campaignId");
    campaign(campaignId)
        .compose(live -> identity.identify(ctx, ContractValidation.validatedBody(ctx))
            .compose(citizen -> admit(ctx, live, citizen)))
        .onComplete(done -> config.telemetry().claimAnswered(campaignId,
            done.succeeded() ? "queued" : done.cause() instanceof ApiError api ? api.error() : "failed",
            System.nanoTime() - startNanos))
        .onFailure(ctx::fail);
  }

  private Future<Void> admit(RoutingContext ctx, CampaignCatalog.Live live, CitizenIdentity.Citizen citizen) {
    JsonObject body = ContractValidation.validatedBody(ctx);
    String citizenId = citizen.id();
    List<String> merchantIds = body.getJsonArray("merchantIds").stream().map(String.class::cast).toList();
    for (String merchantId : merchantIds) {
      if (live.campaign().merchant(merchantId).isEmpty()) {
        throw new ApiError(404, "unknown_merchant", "merchant " + merchantId + " takes no part in this campaign");
      }
    }
    String ticket = live.campaign().id() + "." + randomToken();
    return admission.admit(live.campaign().id(), ticket, citizenId, merchantIds, ctx.request().getHeader("Idempotency-Key"),
            citizen.tier(), Access.address(ctx))
        .timeout(config.requestTimeoutMs(), TimeUnit.MILLISECONDS)
        .compose(outcome -> outcome instanceof Admission.Queued queued
            ? answer(ctx, live, queued)
            : Future.failedFuture(refusal(outcome)));
  }

  private Future<Void> answer(RoutingContext ctx, CampaignCatalog.Live live, Admission.Queued queued) {
    long position = queued.position();
    Future<JsonObject> status = queued.repeat() && position == 0
        // a repeat of a claim already decided answers with its decision
        ? lookup.status(queued.ticket())
        : Future.succeededFuture(new JsonObject().put("ticket", queued.ticket()).put("status", "queued")
            .put("position", position).put("etaMs", live.etaMs(position)));
    return status.map(body -> {
      ctx.response().setStatusCode(202)
          .putHeader("Content-Type", "application/json")
          .putHeader("Cache-Control", "no-store")
          .putHeader("Location", "/api/v1/claims/" + queued.ticket())
          .end(body.toBuffer());
      return null;
    });
  }

  static ApiError refusal(Admission outcome) {
    if (outcome instanceof Admission.Paused) {
      return new ApiError(503, "paused", "admission is paused by the operator; the queue keeps its order",
          new JsonObject().put("retryAfterMs", PAUSED_RETRY_MS), PAUSED_RETRY_MS);
    } else if (outcome instanceof Admission.NotOpen notOpen) {
      long waitMs = Math.max(1_000, notOpen.opensAtMs() - System.currentTimeMillis());
      return new ApiError(425, "not_open", "the round has not opened yet",
          new JsonObject().put("opensAt", Instant.ofEpochMilli(notOpen.opensAtMs()).toString()), waitMs);
    } else if (outcome instanceof Admission.Closed) {
      return new ApiError(410, "closed", "the campaign's last round has closed");
    } else if (outcome instanceof Admission.NotEligible) {
      return new ApiError(403, "not_eligible", "this citizen is not on the campaign's eligibility list");
    } else if (outcome instanceof Admission.LimitReached) {
      return new ApiError(409, "limit_reached", "this citizen already holds the maximum number of vouchers");
    } else if (outcome instanceof Admission.SoldOut) {
      return new ApiError(410, "sold_out", "every chosen merchant is sold out");
    } else if (outcome instanceof Admission.Throttled throttled) {
      return new ApiError(429, "throttled", "too many claims right now; wait and retry",
          new JsonObject().put("retryAfterMs", throttled.retryAfterMs()), throttled.retryAfterMs());
    } else if (outcome instanceof Admission.Unknown) {
      return new ApiError(404, "unknown_campaign", "no such campaign");
    }
    throw new IllegalStateException("unhandled admission outcome " + outcome);
  }

  private void getClaim(RoutingContext ctx) {
    statusReads.take(Access.address(ctx))
        .compose(v -> lookup.status(ctx.pathParam("ticket")))
        .timeout(config.requestTimeoutMs(), TimeUnit.MILLISECONDS)
        .onSuccess(status -> Replies.json(ctx, 200, status))
        .onFailure(ctx::fail);
  }

  private void claimEvents(RoutingContext ctx) {
    String ticket = ctx.pathParam("ticket");
    if (!events.canOpen(ticket)) {
      throw new ApiError(429, "throttled", "too many open event streams for this ticket",
          new JsonObject().put("retryAfterMs", 5_000), 5_000L);
    }
    statusReads.take(Access.address(ctx))
        .compose(v -> lookup.status(ticket))
        .timeout(config.requestTimeoutMs(), TimeUnit.MILLISECONDS)
        .onSuccess(status -> events.open(ticket, ctx.response(), status))
        .onFailure(ctx::fail);
  }

  private void live(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "application/json").end("{\"status\":\"up\"}");
  }

  private void ready(RoutingContext ctx) {
    Future<String> redisUp = redis.send(Request.cmd(Command.PING))
        .timeout(1, TimeUnit.SECONDS)
        .map("ok")
        .otherwise(failure -> "redis: " + failure.getMessage());
    Future<String> pgUp = pool.query("select 1").execute()
        .timeout(1, TimeUnit.SECONDS)
        .map("ok")
        .otherwise(failure -> "postgresql: " + failure.getMessage());
    Future.all(redisUp, pgUp).onComplete(both -> {
      List<String> problems = java.util.stream.Stream.of(redisUp.result(), pgUp.result())
          .filter(s -> !"ok".equals(s)).toList();
      if (problems.isEmpty()) {
        ctx.response().putHeader("Content-Type", "application/json").end("{\"status\":\"ready\"}");
      } else {
        Failures.send(ctx.response(), new ApiError(503, "unavailable", String.join("; ", problems),
            new JsonObject(), 1_000L));
      }
    });
  }

  private Future<CampaignCatalog.Live> campaign(String campaignId) {
    return catalog.find(campaignId).compose(found -> found
        .map(Future::succeededFuture)
        .orElseGet(() -> Future.failedFuture(new ApiError(404, "unknown_campaign", "no campaign " + campaignId))));
  }

  private String randomToken() {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  @Override
  public Future<?> stop() {
    Future<Void> closed = server == null ? Future.succeededFuture() : server.close();
    return closed.eventually(() -> redis.close()).eventually(() -> pool.close());
  }
}
