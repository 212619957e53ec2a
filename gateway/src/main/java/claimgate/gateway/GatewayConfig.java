package claimgate.gateway;

import claimgate.admission.CitizenIdentity;
import claimgate.settings.Settings;
import claimgate.redis.RedisDurability;
import claimgate.store.Database;
import claimgate.voucher.VoucherCodes;
import io.vertx.core.Vertx;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a gateway verticle needs, read once at start, every rule stated here. Runtime objects
 * (the process's meters, its connection counts) are constructor arguments of the verticle.
 */
public record GatewayConfig(Http http, Stores stores, Credentials credentials, Limits limits) {

  /**
   * The HTTP server.
   *
   * @param bodyLimitBytes largest request body accepted; larger gets 413
   * @param requestTimeoutMs an API request not answered by then gets 503; a request not received
   *     in twice that gets 408
   * @param idleTimeoutSeconds a connection with no traffic for this long is closed
   * @param maxConnectionsPerAddress open connections allowed per client address, per process
   * @param trustedProxyHops proxies in front that append the client's address to
   *     {@code X-Forwarded-For}; 0 when clients reach the gateway directly
   * @param managementPort where metrics and probes are also served, without a token; empty: none
   */
  public record Http(int port, int bodyLimitBytes, long requestTimeoutMs, int idleTimeoutSeconds,
      int maxConnectionsPerAddress, int trustedProxyHops, OptionalInt managementPort) {

    /** An offline backlog of 1,000 codes with their times. */
    public static final int BATCH_BODY_LIMIT_BYTES = 256 * 1024;
    /** A campaign document with its eligibility list, or a revocation list. */
    public static final int DOCUMENT_BODY_LIMIT_BYTES = 4 * 1024 * 1024;
    /** Longer headers are 431, a longer request line 414. */
    public static final int MAX_HEADER_BYTES = 8 * 1024;
    public static final int MAX_REQUEST_LINE_BYTES = 4 * 1024;
    /** Answers shorter than this are sent as they are: compressing a claim's 202 costs more than it saves. */
    public static final int COMPRESS_FROM_BYTES = 1024;

    /** The server's options: HTTP/1.1, these limits and timeouts, cheap gzip for larger answers. */
    public io.vertx.core.http.HttpServerOptions serverOptions() {
      return new io.vertx.core.http.HttpServerOptions()
          // HTTP/1.1 only: without h2c detection a connection exists (and is counted) from accept
          .setHttp2ClearTextEnabled(false)
          .setIdleTimeout(idleTimeoutSeconds)
          .setIdleTimeoutUnit(java.util.concurrent.TimeUnit.SECONDS)
          .setMaxHeaderSize(MAX_HEADER_BYTES)
          .setMaxInitialLineLength(MAX_REQUEST_LINE_BYTES)
          // the launch page's campaign answer gzip'd, cheaply; the small API answers are not
          .setCompressionSupported(true)
          .setCompressionLevel(1)
          .setCompressionContentSizeThreshold(COMPRESS_FROM_BYTES)
          .setTcpNoDelay(true);
    }

    public Http withTimeouts(long newRequestTimeoutMs, int newIdleTimeoutSeconds) {
      return new Http(port, bodyLimitBytes, newRequestTimeoutMs, newIdleTimeoutSeconds, maxConnectionsPerAddress,
          trustedProxyHops, managementPort);
    }

    public Http withMaxConnectionsPerAddress(int max) {
      return new Http(port, bodyLimitBytes, requestTimeoutMs, idleTimeoutSeconds, max, trustedProxyHops, managementPort);
    }

    public Http withTrustedProxyHops(int hops) {
      return new Http(port, bodyLimitBytes, requestTimeoutMs, idleTimeoutSeconds, maxConnectionsPerAddress, hops,
          managementPort);
    }

    public Http withManagementPort(OptionalInt newManagementPort) {
      return new Http(port, bodyLimitBytes, requestTimeoutMs, idleTimeoutSeconds, maxConnectionsPerAddress,
          trustedProxyHops, newManagementPort);
    }
  }

  /** @param durability what an acknowledgement promises survives a Redis crash */
  public record Stores(String redisUrl, Database database, RedisDurability durability) {}

  /**
   * @param operatorToken the bearer token of the admin API
   * @param codes voucher-code keys, to verify codes before any database read (and sign tickets)
   * @param jwtPublicKeyPem with identity {@code jwt}: the key verifying citizens' tokens
   */
  public record Credentials(String operatorToken, VoucherCodes codes, Optional<String> jwtPublicKeyPem) {

    CitizenIdentity identity(Vertx vertx) {
      return jwtPublicKeyPem.map(pem -> CitizenIdentity.jwt(vertx, pem)).orElseGet(CitizenIdentity::none);
    }
  }

  /** A token bucket: refilled at {@code perSecond}, holding at most {@code burst}. */
  public record Rate(double perSecond, int burst) {}

  /**
   * @param maxStreamsPerTicket open event streams allowed per ticket, per process
   * @param statusReads status reads (polls and event streams) per client address
   * @param failedAttempts failed redemption attempts per merchant key and per address
   * @param batchClaims most claims admitted in one Redis call
   * @param batchWindowMs longest a claim waits while its lane has every batch it may send in flight
   */
  public record Limits(int maxStreamsPerTicket, Rate statusReads, Rate failedAttempts, int batchClaims,
      long batchWindowMs) {

    public Limits withStatusReads(Rate rate) {
      return new Limits(maxStreamsPerTicket, rate, failedAttempts, batchClaims, batchWindowMs);
    }

    public Limits withFailedAttempts(Rate rate) {
      return new Limits(maxStreamsPerTicket, statusReads, rate, batchClaims, batchWindowMs);
    }
  }

  /** Status reads may come in bursts of this many seconds' worth (a page reloaded, a tab restored). */
  static final int STATUS_BURST_SECONDS = 4;
  /** A till may fail this many seconds' worth of attempts at once (a few mistyped codes in a row). */
  static final int FAILED_ATTEMPTS_BURST_SECONDS = 20;

  /** Defaults: port, servers and credentials given, every limit as the README's table says. */
  public static GatewayConfig of(int httpPort, String redisUrl, Database database, String operatorToken,
      VoucherCodes codes) {
    return new GatewayConfig(
        new Http(httpPort, 16 * 1024, 5_000, 30, Settings.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, 0, OptionalInt.empty()),
        new Stores(redisUrl, database, RedisDurability.EVERYSEC),
        new Credentials(operatorToken, codes, Optional.empty()),
        new Limits(4, new Rate(Settings.DEFAULT_STATUS_PER_ADDRESS_PER_SECOND,
                STATUS_BURST_SECONDS * Settings.DEFAULT_STATUS_PER_ADDRESS_PER_SECOND),
            new Rate(1, FAILED_ATTEMPTS_BURST_SECONDS), 64, 1));
  }

  /** As the run settings say. */
  public static GatewayConfig from(Settings settings, String redisUrl, Database database, String operatorToken,
      VoucherCodes codes, Optional<String> jwtPublicKeyPem) {
    GatewayConfig defaults = of(settings.http().port(), redisUrl, database, operatorToken, codes);
    return new GatewayConfig(
        defaults.http().withMaxConnectionsPerAddress(settings.http().maxConnectionsPerAddress())
            .withTrustedProxyHops(settings.http().trustedProxyHops())
            .withManagementPort(settings.http().managementPort()),
        new Stores(redisUrl, database, settings.stores().durability()),
        new Credentials(operatorToken, codes, jwtPublicKeyPem),
        defaults.limits()
            .withStatusReads(new Rate(settings.limits().statusPerAddressPerSecond(),
                STATUS_BURST_SECONDS * settings.limits().statusPerAddressPerSecond()))
            .withFailedAttempts(new Rate(settings.limits().failedAttemptsPerSecond(),
                FAILED_ATTEMPTS_BURST_SECONDS * settings.limits().failedAttemptsPerSecond())));
  }

  public GatewayConfig withHttp(Http newHttp) {
    return new GatewayConfig(newHttp, stores, credentials, limits);
  }

  public GatewayConfig withLimits(Limits newLimits) {
    return new GatewayConfig(http, stores, credentials, newLimits);
  }

  public GatewayConfig withJwt(Optional<String> publicKeyPem) {
    return new GatewayConfig(http, stores, new Credentials(credentials.operatorToken(), credentials.codes(), publicKeyPem),
        limits);
  }

  // shorthands for tests that push one limit
  public GatewayConfig withTimeouts(long requestTimeoutMs, int idleTimeoutSeconds) {
    return withHttp(http.withTimeouts(requestTimeoutMs, idleTimeoutSeconds));
  }

  public GatewayConfig withMaxConnectionsPerAddress(int max) {
    return withHttp(http.withMaxConnectionsPerAddress(max));
  }

  public GatewayConfig withTrustedProxyHops(int hops) {
    return withHttp(http.withTrustedProxyHops(hops));
  }

  public GatewayConfig withStatusRate(Rate rate) {
    return withLimits(limits.withStatusReads(rate));
  }

  public GatewayConfig withFailedAttempts(Rate rate) {
    return withLimits(limits.withFailedAttempts(rate));
  }
}
