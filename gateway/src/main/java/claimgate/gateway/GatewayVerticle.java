package claimgate.gateway;

import claimgate.web.Failures;
import claimgate.web.SecurityHeaders;
import claimgate.web.ContractValidation;
import claimgate.web.ReadablePath;
import claimgate.web.NoFormOnBodylessRoute;
import claimgate.access.Access;
import claimgate.access.RateBuckets;

import claimgate.admission.Admission;
import claimgate.admission.AdmissionScript;
import claimgate.admission.ClaimRoute;
import claimgate.ticket.Tickets;
import claimgate.metrics.Telemetry;
import claimgate.web.ClientAddress;
import claimgate.web.ConnectionLimit;
import claimgate.admission.CitizenIdentity;
import claimgate.campaign.CampaignStore;
import claimgate.catalog.CampaignCatalog;
import claimgate.catalog.CampaignReads;
import claimgate.claim.ClaimEvents;
import claimgate.claim.ClaimLookup;
import claimgate.claim.TicketReads;
import claimgate.health.Health;
import claimgate.redis.PipelinedRedis;
import claimgate.operator.AnswerTally;
import claimgate.operator.AuditLog;
import claimgate.operator.CampaignAdmin;
import claimgate.operator.CampaignStats;
import claimgate.operator.CampaignCheck;
import claimgate.operator.KillSwitch;
import claimgate.operator.MerchantAdmin;
import claimgate.access.MerchantKeys;
import claimgate.catalog.DecisionLogReads;
import claimgate.redemption.RedeemBody;
import claimgate.redemption.RedemptionApi;
import claimgate.redemption.Vouchers;
import claimgate.revocation.Revocations;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.TimeoutHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.sqlclient.Pool;
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
 *   GatewayVerticle.Shared shared = GatewayVerticle.Shared.of(telemetry, config);
 *   vertx.deployVerticle(() -> new GatewayVerticle(config, shared),
 *       new DeploymentOptions().setInstances(VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE));
 * </pre>
 */
public final class GatewayVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);
  private static final int DOCUMENT_RELOAD_TICKS = 5;
  /** Marks an event-stream route: no body, no deadline. */
  static final int STREAMING = -1;

  /**
   * What the verticles of one process share: their meters, the connection count per address,
   * and whether the process is warm (until then {@code /health/ready} answers 503).
   */
  public record Shared(Telemetry telemetry, ConnectionLimit connections, claimgate.claim.StreamSlots streamSlots,
      claimgate.claim.StreamSlots consoleStreams, java.util.concurrent.atomic.AtomicBoolean warm,
      claimgate.catalog.Languages languages, claimgate.claim.DecisionFeed decisions,
      claimgate.access.LocalRateBuckets statusReads) {
    /** Reads the page's language files: call it before the event loops run. */
    public static Shared of(Telemetry telemetry, GatewayConfig config) {
      return new Shared(telemetry, new ConnectionLimit(config.http().maxConnectionsPerAddress()),
          new claimgate.claim.StreamSlots(config.limits().maxStreamsPerTicket()),
          new claimgate.claim.StreamSlots(CampaignStats.MAX_LIVE_STREAMS), new java.util.concurrent.atomic.AtomicBoolean(true),
          claimgate.catalog.Languages.load(), new claimgate.claim.DecisionFeed(),
          new claimgate.access.LocalRateBuckets(config.limits().statusReads().perSecond(), config.limits().statusReads().burst()));
    }
  }

  private static final String CONTRACT = "openapi/claimgate.yaml";
  /** How often waiting pages are told their place in the queue (from memory, not from Redis). */
  static final long STREAM_PUSH_MS = 1_000;
  /**
   * A campaign's admission batches in flight per event loop. They travel on the verticle's one
   * pipelined Redis connection, so Redis runs them in the order they were sent and arrival order
   * holds; with two, the next batch waits in Redis while the answer to the one before travels
   * back (on two cores shared with Redis and the generator, 6 % more claims admitted; more than
   * two gained nothing more: BENCHMARKS.md).
   */
  static final int ADMISSION_BATCHES_IN_FLIGHT = 2;

  private final GatewayConfig config;
  private final Shared shared;
  /** The contract's text, served at {@code /openapi.yaml}. */
  private io.vertx.core.buffer.Buffer contractText;
  private PipelinedRedis redis;
  private Pool pool;
  /**
   * For the public reads by ticket or log index (a ticket's status, its receipt, the log's pages):
   * planned without sequential scans (Database#keyLookupPool).
   */
  private Pool lookups;
  private CampaignCatalog catalog;
  private ClaimRoute claims;
  private ClientAddress addresses;
  private CampaignReads campaignReads;
  private TicketReads ticketReads;
  private Health health;
  private CitizenIdentity identity;
  private Access access;
  private CampaignAdmin campaignAdmin;
  private KillSwitch killSwitch;
  private CampaignCheck campaignCheck;
  private CampaignStats campaignStats;
  private MerchantAdmin merchantAdmin;
  private RedemptionApi redemptions;
  private DecisionLogReads logReads;
  private HttpServer server;
  private HttpServer management;
  private int ticks;
  private AnswerTally answers;

  public GatewayVerticle(GatewayConfig config, Shared shared) {
    this.config = config;
    this.shared = shared;
  }

  @Override
  public Future<?> start() {
    redis = new PipelinedRedis(vertx, config.stores().redisUrl());
    pool = config.stores().database().pool(vertx, 4);
    lookups = config.stores().database().keyLookupPool(vertx, 4);
    catalog = new CampaignCatalog(new CampaignStore(pool), redis);
    Tickets tickets = new Tickets(config.credentials().codes());
    // one subscription to the allocator's decisions for the whole process, taken by the first verticle
    shared.decisions().start(vertx, config.stores().redisUrl());
    ClaimLookup lookup = new ClaimLookup(redis, lookups, catalog, tickets, shared.decisions(),
        new claimgate.claim.QueueView(redis));
    ClaimEvents events = new ClaimEvents(vertx, lookup, shared.decisions(), STREAM_PUSH_MS, shared.streamSlots(),
        TimeUnit.MINUTES.toMillis(10));
    identity = config.credentials().identity(vertx);
    addresses = new ClientAddress(config.http().trustedProxyHops());
    GroupCommit<AdmissionScript.Claim, Admission> batcher = new GroupCommit<>(context,
        new AdmissionScript(redis, config.stores().durability())::admit, config.limits().batchClaims(),
        ADMISSION_BATCHES_IN_FLIGHT, config.limits().batchWindowMs(), config.http().requestTimeoutMs());
    claims = new ClaimRoute(vertx, catalog, identity, batcher, tickets, lookup, shared.telemetry(), addresses,
        new ClaimRoute.Limits(config.http().bodyLimitBytes(), 2 * config.http().requestTimeoutMs()));
    MerchantKeys merchantKeys = new MerchantKeys(pool, 10_000);
    GatewayConfig.Rate failed = config.limits().failedAttempts();
    RateBuckets attempts = new RateBuckets(redis, "attempts", failed.perSecond(), failed.burst());
    Vouchers vouchers = new Vouchers(config.credentials().codes());
    access = new Access(config.credentials().operatorToken(), merchantKeys, attempts);
    campaignReads = new CampaignReads(catalog, shared.languages());
    logReads = new DecisionLogReads(lookups, catalog, tickets);
    ticketReads = new TicketReads(lookup, events, shared.statusReads(), config.http().requestTimeoutMs());
    health = new Health(redis, pool, shared.warm());
    answers = new AnswerTally(redis, catalog, shared.telemetry());
    campaignAdmin = new CampaignAdmin(pool, redis, catalog);
    killSwitch = new KillSwitch(pool, redis, config.stores().durability(), catalog);
    campaignCheck = new CampaignCheck(pool, redis);
    campaignStats = new CampaignStats(vertx, pool, redis, catalog, shared.telemetry(), shared.consoleStreams());
    merchantAdmin = new MerchantAdmin(pool, redis, merchantKeys, new Revocations(config.credentials().codes()));
    redemptions = new RedemptionApi(pool, vouchers, new GroupCommit<>(context,
        (lane, batch) -> vouchers.redeemNow(pool, batch), config.limits().batchClaims(),
        1, config.limits().batchWindowMs(), config.http().requestTimeoutMs()), attempts);
    return catalog.reloadDocuments()
        .recover(failure -> {
          LOG.warn("campaigns not loaded yet ({}); retrying every second", failure.getMessage());
          return Future.succeededFuture();
        })
        .compose(loaded -> vertx.fileSystem().readFile(CONTRACT))
        .compose(text -> {
          contractText = text;
          return OpenAPIContract.from(vertx, CONTRACT);
        })
        .compose(contract -> {
          Router router = router(contract);
          return vertx.createHttpServer(config.http().serverOptions())
              .connectionHandler(shared.connections()::admit)
              .invalidRequestHandler(Failures::invalidRequest)
              .requestHandler(request -> shared.connections().handle(request, admitted -> {
                if (!claims.handle(admitted)) {
                  router.handle(admitted);
                }
              }))
              .listen(config.http().port());
        })
        .compose(listening -> {
          server = listening;
          return managementServer();
        })
        .onSuccess(listening -> {
          management = listening;
          vertx.setPeriodic(1_000, id -> refreshCatalog());
        });
  }

  private Router router(OpenAPIContract contract) {
    RouterBuilder builder = RouterBuilder.create(vertx, contract, RequestExtractor.withBodyHandler());
    builder.rootHandler(new ReadablePath());
    claimgate.web.AllowedMethods methods = new claimgate.web.AllowedMethods(contract);
    builder.rootHandler(methods);
    builder.rootHandler(new SecurityHeaders());
    builder.rootHandler(addresses);
    Handler<RoutingContext> anyone = RoutingContext::next;
    Handler<RoutingContext> merchant = access.merchant();
    Handler<RoutingContext> operator = access.operator();
    route(builder, contract, "listCampaigns", anyone, campaignReads::list);
    route(builder, contract, "getCampaign", anyone, campaignReads::get);
    // claims normally take the core route in front of the router (ClaimRoute); ids the router
    // decodes first (percent-escapes) come this way
    route(builder, contract, "admitClaim", anyone,
        ctx -> claims.admit(ctx.request(), ctx.pathParam("campaignId"), ctx.body().buffer(), System.nanoTime()));
    route(builder, contract, "getClaim", anyone, ticketReads::status);
    route(builder, contract, "claimReceipt", anyone, logReads::receipt);
    route(builder, contract, "campaignLog", anyone, logReads::page);
    route(builder, contract, "campaignLogHead", anyone, logReads::head);
    route(builder, contract, "campaignFairness", anyone, logReads::fairness);
    route(builder, contract, "claimEvents", anyone, STREAMING, ticketReads::stream);
    route(builder, contract, "voucherImage", anyone, ticketReads::voucherImage);
    route(builder, contract, "redeem", merchant, config.http().bodyLimitBytes(),
        ContractValidation.of(contract, "redeem", RedeemBody::parse), redemptions::redeem);
    route(builder, contract, "redeemBatch", merchant, GatewayConfig.Http.BATCH_BODY_LIMIT_BYTES, redemptions::redeemBatch);
    route(builder, contract, "getVoucher", merchant, redemptions::getVoucher);
    route(builder, contract, "applyCampaign", operator, GatewayConfig.Http.DOCUMENT_BODY_LIMIT_BYTES, campaignAdmin::applyCampaign);
    route(builder, contract, "pauseCampaign", operator, killSwitch::pause);
    route(builder, contract, "resumeCampaign", operator, killSwitch::resume);
    route(builder, contract, "freezeCampaign", operator, killSwitch::freeze);
    route(builder, contract, "unfreezeCampaign", operator, killSwitch::unfreeze);
    route(builder, contract, "archiveCampaign", operator, killSwitch::archive);
    route(builder, contract, "checkCampaign", operator, campaignCheck::check);
    route(builder, contract, "setAdmission", operator, campaignAdmin::setAdmission);
    route(builder, contract, "enterBeacon", operator, campaignAdmin::enterBeacon);
    route(builder, contract, "campaignStats", operator, campaignStats::stats);
    route(builder, contract, "campaignLive", operator, STREAMING, campaignStats::live);
    route(builder, contract, "createMerchantKey", operator, merchantAdmin::createMerchantKey);
    route(builder, contract, "revokeVouchers", operator, GatewayConfig.Http.DOCUMENT_BODY_LIMIT_BYTES, merchantAdmin::revoke);
    route(builder, contract, "listAudit", operator, AuditLog.route(pool));
    route(builder, contract, "healthLive", anyone, health::live);
    route(builder, contract, "healthReady", anyone, health::ready);
    // not for the public: the operator's token, as Prometheus sends it (authorization: credentials)
    route(builder, contract, "metrics", operator, PrometheusScrapingHandler.create(shared.telemetry().registry()));
    // the contract every request is checked against, as clients and their tools read it
    route(builder, contract, "contract", anyone, ctx -> ctx.response().putHeader("Content-Type", "application/yaml")
        .putHeader("Cache-Control", "public, max-age=300").end(contractText));
    Router router = builder.createRouter();
    router.get("/admin").handler(ctx -> ctx.reroute("/admin.html"));
    router.get("/*").handler(StaticHandler.create("webroot").setMaxAgeSeconds(60).setIncludeHidden(false));
    router.route().failureHandler(Failures::render);
    router.errorHandler(404, Failures::render);
    router.errorHandler(405, methods::refuse);
    return router;
  }

  private void route(RouterBuilder builder, OpenAPIContract contract, String operationId,
      Handler<RoutingContext> access, Handler<RoutingContext> handler) {
    route(builder, contract, operationId, access, config.http().bodyLimitBytes(), handler);
  }

  /**
   * A deadline for the whole exchange (408 for a client too slow to send its request; event
   * streams have none), the body up to the route's limit, credentials, validation from the
   * contract with validators built once, then the handler.
   */
  private void route(RouterBuilder builder, OpenAPIContract contract, String operationId,
      Handler<RoutingContext> access, int bodyLimitBytes, Handler<RoutingContext> handler) {
    route(builder, contract, operationId, access, bodyLimitBytes, ContractValidation.of(contract, operationId), handler);
  }

  private void route(RouterBuilder builder, OpenAPIContract contract, String operationId,
      Handler<RoutingContext> access, int bodyLimitBytes, ContractValidation validation, Handler<RoutingContext> handler) {
    var route = builder.getRoute(operationId).setDoValidation(false);
    if (bodyLimitBytes != STREAMING) {
      route.addHandler(TimeoutHandler.create(2 * config.http().requestTimeoutMs(), 408));
    }
    if (route.getOperation().getRequestBody() == null) {
      route.addHandler(new NoFormOnBodylessRoute());
    }
    route.addHandler(BodyHandler.create(false).setBodyLimit(bodyLimitBytes == STREAMING ? 0 : bodyLimitBytes))
        .addHandler(access)
        .addHandler(validation)
        .addHandler(handler);
  }

  private void refreshCatalog() {
    Future<Void> refresh = ++ticks % DOCUMENT_RELOAD_TICKS == 0 ? catalog.reloadDocuments() : catalog.refreshLive();
    refresh.onFailure(failure -> LOG.debug("campaign state not refreshed: {}", failure.getMessage()));
    answers.report();
  }

  /**
   * With a management port set: metrics and probes there without a token, for a port only the
   * monitoring network reaches. Every verticle listens on it; Vert.x shares the port.
   */
  private Future<HttpServer> managementServer() {
    if (config.http().managementPort().isEmpty()) {
      return Future.succeededFuture();
    }
    Router router = Router.router(vertx);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(shared.telemetry().registry()));
    router.get("/health/live").handler(health::live);
    router.get("/health/ready").handler(health::ready);
    router.route().failureHandler(Failures::render);
    router.errorHandler(404, Failures::render);
    return vertx.createHttpServer(new HttpServerOptions().setIdleTimeout(config.http().idleTimeoutSeconds()))
        .requestHandler(router)
        .listen(config.http().managementPort().getAsInt());
  }

  @Override
  public Future<?> stop() {
    Future<Void> closed = server == null ? Future.succeededFuture() : server.close();
    if (management != null) {
      closed = closed.eventually(() -> management.close());
    }
    return closed.eventually(() -> redis.close()).eventually(() -> pool.close()).eventually(() -> lookups.close());
  }
}
