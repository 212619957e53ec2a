package claimgate.gateway;

import claimgate.store.Database;

/**
 * What a gateway verticle needs, read once at start.
 *
 * @param bodyLimitBytes largest request body accepted; larger gets 413
 * @param requestTimeoutMs an API request not answered by then gets 503
 * @param maxStreamsPerTicket open SSE streams allowed per ticket
 */
public record GatewayConfig(int httpPort, String redisUrl, Database database, int bodyLimitBytes,
    long requestTimeoutMs, int maxStreamsPerTicket) {

  public static GatewayConfig of(int httpPort, String redisUrl, Database database) {
    return new GatewayConfig(httpPort, redisUrl, database, 16 * 1024, 5_000, 4);
  }
}
