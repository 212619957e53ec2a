package claimgate.cli;

import claimgate.allocation.AllocatorConfig;
import claimgate.allocation.AllocatorVerticle;
import claimgate.allocation.AllocatorWarmup;
import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignFiles;
import claimgate.campaign.CampaignStore;
import claimgate.config.ConfigException;
import claimgate.settings.Settings;
import claimgate.gateway.GatewayConfig;
import claimgate.gateway.GatewayVerticle;
import claimgate.gateway.GatewayWarmup;
import claimgate.redis.RedisRestore;
import claimgate.redis.PipelinedRedis;
import claimgate.metrics.Telemetry;
import claimgate.store.Database;
import claimgate.store.EmbeddedServers;
import claimgate.voucher.VoucherCodes;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.sqlclient.Pool;
import java.net.BindException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running claimgate: servers (embedded unless URLs are given), schema, and the roles asked
 * for, in this process. {@code demo} runs all of it; {@code gateway} and {@code allocator} one
 * role each against external servers. Close stops everything it started.
 */
public final class Stack implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Stack.class);

  public enum Role { GATEWAY, ALLOCATOR }

  private final EmbeddedServers embedded;
  private final Vertx vertx;
  private final String redisUrl;
  private final Database database;
  private final int httpPort;
  private final Telemetry telemetry;
  private final String operatorToken;
  /** The allocator role's health server, when the process runs the allocator without a gateway. */
  private claimgate.allocation.AllocatorHealth allocatorHealth;
  /**
   * Where the allocator runs: beside gateways (the demo), an event loop of its own, so that its
   * decision thread never waits behind HTTP work in a launch spike (measured: on a shared loop the
   * decisions lagged admission by up to 7 s at 50,000 citizens); alone, the process's.
   */
  private Vertx allocatorVertx;
  /** The gateway's readiness, set when every role of the process is warm. */
  private java.util.concurrent.atomic.AtomicBoolean gatewayWarm;

  private Stack(EmbeddedServers embedded, Vertx vertx, String redisUrl, Database database, int httpPort,
      Telemetry telemetry, String operatorToken) {
    this.embedded = embedded;
    this.vertx = vertx;
    this.redisUrl = redisUrl;
    this.database = database;
    this.httpPort = httpPort;
    this.telemetry = telemetry;
    this.operatorToken = operatorToken;
  }

  /**
   * Starts the servers (when not configured), the schema and the roles; with a campaign file,
   * loads it unless the campaign already exists (so a restart continues with its data).
   */
  public static Stack start(Settings settings, Optional<Path> campaignFile, boolean openFirstRoundNow, Role... roles) {
    Optional<CampaignFiles.Loaded> loaded = campaignFile.map(CampaignFiles::load);
    List<Role> roleList = List.of(roles);
    String operatorToken = roleList.contains(Role.GATEWAY) ? DataDir.operatorToken(settings, settings.stores().embedded()) : null;
    EmbeddedServers embedded = null;
    Vertx vertx = null;
    try {
      if (settings.stores().embedded()) {
        embedded = EmbeddedServers.start(settings.stores().dataDir());
        DataDir.writeDemoServers(settings, embedded);
      }
      String redisUrl = settings.stores().redisUrl().orElse(embedded == null ? null : embedded.redisUrl());
      Database database = Database.fromUrl(settings.stores().pgUrl().orElse(embedded == null ? null : embedded.postgresUrl()));
      database.migrate();
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      vertx = Vertx.builder()
          .with(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(settings.startup().eventLoops())
              .setMetricsOptions(new MicrometerMetricsOptions()
              .setEnabled(true)
              .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))))
          .withMetrics(new MicrometerMetricsFactory(registry))
          .build();
      if (vertx.isNativeTransportEnabled()) {
        LOG.info("sockets on Netty's native epoll transport");
      } else if (System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
        LOG.warn("sockets on Java NIO: the native epoll transport is unavailable here ({})",
            vertx.unavailableNativeTransportCause());
      } else {
        LOG.info("sockets on Java NIO (the native epoll transport is Linux's)");
      }
      Stack stack = new Stack(embedded, vertx, redisUrl, database, settings.http().port(), new Telemetry(registry),
          operatorToken);
      if (loaded.isPresent()) {
        stack.loadCampaign(loaded.get(), openFirstRoundNow);
      }
      for (Role role : roles) {
        stack.deploy(role, settings, roleList.contains(Role.GATEWAY));
      }
      // ready once every role is warm: a demo whose gateway is ready while its allocator still
      // warms up would admit claims nobody decides for 20 s
      if (stack.gatewayWarm != null) {
        stack.gatewayWarm.set(true);
      }
      return stack;
    } catch (RuntimeException e) {
      if (vertx != null) {
        vertx.close().await();
      }
      if (embedded != null) {
        embedded.close();
      }
      throw e;
    }
  }

  private void loadCampaign(CampaignFiles.Loaded loaded, boolean openFirstRoundNow) {
    Pool pool = database.pool(vertx, 1);
    PipelinedRedis redis = new PipelinedRedis(vertx, redisUrl);
    try {
      CampaignStore store = new CampaignStore(pool);
      Campaign campaign = loaded.campaign();
      Optional<Campaign> existing = store.load(campaign.id()).await();
      if (existing.isPresent()) {
        // its allocator brings Redis in line with PostgreSQL when it leads (a restore if Redis restarted)
        LOG.info("campaign {} exists; continuing with its stored document and data", campaign.id());
        return;
      }
      if (openFirstRoundNow) {
        campaign = campaign.withFirstRoundOpenAt(Instant.now());
      }
      Optional<java.util.Map<String, Integer>> eligible =
          campaign.eligibility() == null ? Optional.empty() : Optional.of(loaded.eligible());
      RedisRestore.create(pool, redis, campaign, eligible).await();
      LOG.info("campaign {} loaded: {} merchants, {} vouchers", campaign.id(), campaign.merchants().size(),
          campaign.totalContingent());
    } finally {
      redis.close().await();
      pool.close().await();
    }
  }

  private void deploy(Role role, Settings settings, boolean withGateway) {
    switch (role) {
      case GATEWAY -> {
        PipelinedRedis probe = new PipelinedRedis(vertx, redisUrl);
        try {
          settings.stores().durability().checkServer(probe).await();
        } finally {
          probe.close().await();
        }
        GatewayConfig config = GatewayConfig.from(settings, redisUrl, database, operatorToken, DataDir.codes(settings),
            DataDir.jwtPublicKey(settings));
        GatewayVerticle.Shared shared = GatewayVerticle.Shared.of(telemetry, config);
        shared.warm().set(false);
        gatewayWarm = shared.warm();
        try {
          vertx.deployVerticle(() -> new GatewayVerticle(config, shared),
              new DeploymentOptions().setInstances(settings.startup().eventLoops())).await();
        } catch (Exception e) {
          // await() rethrows the listen failure as it is, a checked BindException included
          if (causedBy(e, BindException.class)) {
            throw new ConfigException("port " + httpPort + " is in use (set CLAIMGATE_HTTP_PORT)");
          }
          throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
        if (settings.startup().warmupSeconds() > 0) {
          GatewayWarmup.run(vertx, config, telemetry, Duration.ofSeconds(settings.startup().warmupSeconds()));
        }
      }
      case ALLOCATOR -> {
        AllocatorConfig config = AllocatorConfig.of(redisUrl, database, DataDir.codes(settings));
        allocatorVertx = withGateway ? Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(1))
            : vertx;
        if (settings.startup().warmupSeconds() > 0) {
          AllocatorWarmup.run(allocatorVertx, config, Duration.ofSeconds(settings.startup().warmupSeconds()));
        }
        AllocatorVerticle allocator = new AllocatorVerticle(config);
        allocatorVertx.deployVerticle(allocator).await();
        if (!withGateway) {
          // the allocator alone: its health on the HTTP port, for the orchestrator's liveness probe
          allocatorHealth = claimgate.allocation.AllocatorHealth.serve(allocator, httpPort,
              claimgate.allocation.AllocatorHealth.STALL_MS);
        }
      }
      default -> throw new IllegalArgumentException("unknown role " + role);
    }
  }

  private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c) || (c.getMessage() != null && c.getMessage().contains("Address already in use"))) {
        return true;
      }
    }
    return false;
  }

  public Vertx vertx() {
    return vertx;
  }

  public String redisUrl() {
    return redisUrl;
  }

  public Database database() {
    return database;
  }

  public int httpPort() {
    return httpPort;
  }

  /** The admin API's token, when this stack runs a gateway. */
  public String operatorToken() {
    return operatorToken;
  }

  public Optional<EmbeddedServers> embedded() {
    return Optional.ofNullable(embedded);
  }

  @Override
  public void close() {
    try {
      if (allocatorHealth != null) {
        allocatorHealth.close();
      }
      if (allocatorVertx != null && allocatorVertx != vertx) {
        allocatorVertx.close().await();
      }
      vertx.close().await();
    } finally {
      if (embedded != null) {
        embedded.close();
      }
    }
  }
}
