package claimgate.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Run settings, read once at start from the environment (see README). Passed to constructors.
 *
 * @param httpPort gateway port ({@code CLAIMGATE_HTTP_PORT}, 8080)
 * @param dataDir data of the embedded servers and generated keys ({@code CLAIMGATE_DATA_DIR})
 * @param redisUrl external Redis ({@code CLAIMGATE_REDIS_URL}); empty: embedded
 * @param pgUrl external PostgreSQL ({@code CLAIMGATE_PG_URL}); empty: embedded
 * @param operatorToken admin bearer token ({@code CLAIMGATE_OPERATOR_TOKEN}); empty: generated
 * @param codeKey voucher-code HMAC keys ({@code CLAIMGATE_CODE_KEY}); empty: generated in dataDir
 */
public record Settings(
    int httpPort,
    Path dataDir,
    Optional<String> redisUrl,
    Optional<String> pgUrl,
    Optional<String> operatorToken,
    Optional<String> codeKey) {

  public static Settings fromEnvironment(Map<String, String> env) {
    return new Settings(
        port(env.getOrDefault("CLAIMGATE_HTTP_PORT", "8080")),
        Path.of(env.getOrDefault("CLAIMGATE_DATA_DIR", "./.claimgate")),
        nonBlank(env.get("CLAIMGATE_REDIS_URL")),
        nonBlank(env.get("CLAIMGATE_PG_URL")),
        nonBlank(env.get("CLAIMGATE_OPERATOR_TOKEN")),
        nonBlank(env.get("CLAIMGATE_CODE_KEY")));
  }

  private static int port(String value) {
    try {
      int port = Integer.parseInt(value.strip());
      if (port < 0 || port > 65535) {
        throw new ConfigException("CLAIMGATE_HTTP_PORT must be a port number 0-65535, got " + value);
      }
      return port;
    } catch (NumberFormatException e) {
      throw new ConfigException("CLAIMGATE_HTTP_PORT must be a port number, got '" + value + "'");
    }
  }

  private static Optional<String> nonBlank(String value) {
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
  }
}
