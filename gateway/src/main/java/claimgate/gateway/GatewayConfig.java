package claimgate.gateway;

import claimgate.admission.CitizenIdentity;
import claimgate.operator.Telemetry;
import claimgate.store.Database;
import claimgate.voucher.VoucherCodes;
import io.vertx.core.Vertx;
import java.util.Optional;

/**
 * What a gateway verticle needs, read once at start.
 *
 * @param bodyLimitBytes largest request body accepted; larger gets 413
 * @param requestTimeoutMs an API request not answered by then gets 503
 * @param maxStreamsPerTicket open SSE streams allowed per ticket
 * @param operatorToken the bearer token of the admin API
 * @param codes voucher-code keys, to verify codes before any database read
 * @param jwtPublicKeyPem with identity {@code jwt}: the key verifying citizens' tokens
 * @param failedAttemptsPerSecond refill of the failed-attempt buckets (per merchant key and address)
 * @param failedAttemptsBurst failed attempts allowed at once before 429
 * @param statusPerAddressPerSecond status reads (polls and event streams) per client address and second
 * @param statusPerAddressBurst status reads allowed at once per client address
 * @param maxConnectionsPerAddress open connections allowed per client address, per gateway process
 * @param idleTimeoutSeconds a connection with no traffic for this long is closed
 * @param trustForwarded the client address comes from {@code X-Forwarded-For} (a load balancer in front)
 * @param telemetry the process's meters and latency recorders, shared by every verticle
 */
public record GatewayConfig(int httpPort, String redisUrl, Database database, int bodyLimitBytes,
    long requestTimeoutMs, int maxStreamsPerTicket, String operatorToken, VoucherCodes codes,
    Optional<String> jwtPublicKeyPem, double failedAttemptsPerSecond, int failedAttemptsBurst,
    double statusPerAddressPerSecond, int statusPerAddressBurst, int maxConnectionsPerAddress, int idleTimeoutSeconds,
    boolean trustForwarded, ConnectionLimit connections, Telemetry telemetry) {

  public static GatewayConfig of(int httpPort, String redisUrl, Database database, String operatorToken,
      VoucherCodes codes, Telemetry telemetry) {
    return new GatewayConfig(httpPort, redisUrl, database, 16 * 1024, 5_000, 4, operatorToken, codes,
        Optional.empty(), 1.0, 20, 50, 200, 256, 30, false, new ConnectionLimit(256), telemetry);
  }

  public GatewayConfig withJwt(Optional<String> publicKeyPem) {
    return new GatewayConfig(httpPort, redisUrl, database, bodyLimitBytes, requestTimeoutMs, maxStreamsPerTicket,
        operatorToken, codes, publicKeyPem, failedAttemptsPerSecond, failedAttemptsBurst, statusPerAddressPerSecond,
        statusPerAddressBurst, maxConnectionsPerAddress, idleTimeoutSeconds, trustForwarded, connections, telemetry);
  }

  public GatewayConfig withFailedAttempts(double perSecond, int burst) {
    return new GatewayConfig(httpPort, redisUrl, database, bodyLimitBytes, requestTimeoutMs, maxStreamsPerTicket,
        operatorToken, codes, jwtPublicKeyPem, perSecond, burst, statusPerAddressPerSecond, statusPerAddressBurst,
        maxConnectionsPerAddress, idleTimeoutSeconds, trustForwarded, connections, telemetry);
  }

  public GatewayConfig withStatusRate(double perSecond, int burst) {
    return new GatewayConfig(httpPort, redisUrl, database, bodyLimitBytes, requestTimeoutMs, maxStreamsPerTicket,
        operatorToken, codes, jwtPublicKeyPem, failedAttemptsPerSecond, failedAttemptsBurst, perSecond, burst,
        maxConnectionsPerAddress, idleTimeoutSeconds, trustForwarded, connections, telemetry);
  }

  /** Connections per address are counted across every verticle sharing this config's {@link ConnectionLimit}. */
  public GatewayConfig withMaxConnectionsPerAddress(int max) {
    return new GatewayConfig(httpPort, redisUrl, database, bodyLimitBytes, requestTimeoutMs, maxStreamsPerTicket,
        operatorToken, codes, jwtPublicKeyPem, failedAttemptsPerSecond, failedAttemptsBurst, statusPerAddressPerSecond,
        statusPerAddressBurst, max, idleTimeoutSeconds, trustForwarded, new ConnectionLimit(max), telemetry);
  }

  public GatewayConfig withTimeouts(long newRequestTimeoutMs, int newIdleTimeoutSeconds) {
    return new GatewayConfig(httpPort, redisUrl, database, bodyLimitBytes, newRequestTimeoutMs, maxStreamsPerTicket,
        operatorToken, codes, jwtPublicKeyPem, failedAttemptsPerSecond, failedAttemptsBurst, statusPerAddressPerSecond,
        statusPerAddressBurst, maxConnectionsPerAddress, newIdleTimeoutSeconds, trustForwarded, connections, telemetry);
  }

  public GatewayConfig withTrustForwarded(boolean trust) {
    return new GatewayConfig(httpPort, redisUrl, database, bodyLimitBytes, requestTimeoutMs, maxStreamsPerTicket,
        operatorToken, codes, jwtPublicKeyPem, failedAttemptsPerSecond, failedAttemptsBurst, statusPerAddressPerSecond,
        statusPerAddressBurst, maxConnectionsPerAddress, idleTimeoutSeconds, trust, connections, telemetry);
  }

  CitizenIdentity identity(Vertx vertx) {
    return jwtPublicKeyPem.map(pem -> CitizenIdentity.jwt(vertx, pem)).orElseGet(CitizenIdentity::none);
  }
}
