package claimgate.settings;

import claimgate.config.ConfigException;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Run settings, read once at start from the environment (see README), grouped by what they
 * configure. Passed to constructors.
 */
public record Settings(Http http, Stores stores, Credentials credentials, Limits limits, Startup startup) {

  public static final String IDENTITY_NONE = "none";
  public static final String IDENTITY_JWT = "jwt";
  public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 256;
  public static final int DEFAULT_STATUS_PER_ADDRESS_PER_SECOND = 50;
  /**
   * One event loop per core: measured here (2 cores), two loops admitted more claims than four
   * (Vert.x's default of twice the cores), and their batches were fuller.
   */
  public static final int DEFAULT_EVENT_LOOPS = java.lang.Runtime.getRuntime().availableProcessors();

  /**
   * The gateway's HTTP side.
   *
   * @param port gateway port ({@code CLAIMGATE_HTTP_PORT}, 8080)
   * @param managementPort where metrics and probes are also served without a token
   *     ({@code CLAIMGATE_MANAGEMENT_PORT}; unset: none, and {@code /metrics} on the gateway port
   *     asks for the operator token)
   * @param trustedProxyHops how many proxies in front append the client's address to
   *     {@code X-Forwarded-For}: the address is the entry that many from the right
   *     ({@code CLAIMGATE_TRUSTED_PROXY_HOPS}, 0: the header is ignored;
   *     {@code CLAIMGATE_TRUST_FORWARDED=true} is 1)
   * @param maxConnectionsPerAddress open connections per client address and gateway process
   *     ({@code CLAIMGATE_MAX_CONNECTIONS_PER_ADDRESS}, 256; behind a load balancer, raise it)
   */
  public record Http(int port, OptionalInt managementPort, int trustedProxyHops, int maxConnectionsPerAddress) {}

  /**
   * Where the data lives.
   *
   * @param dataDir data of the embedded servers and generated keys ({@code CLAIMGATE_DATA_DIR})
   * @param redisUrl external Redis ({@code CLAIMGATE_REDIS_URL}); empty: embedded
   * @param pgUrl external PostgreSQL ({@code CLAIMGATE_PG_URL}); empty: embedded
   * @param redisDurability what an acknowledgement promises survives a Redis crash
   *     ({@code CLAIMGATE_REDIS_DURABILITY}: {@code everysec}, {@code fsync}, {@code replicas:N};
   *     see {@link claimgate.redis.RedisDurability}; the demo's embedded Redis runs {@code fsync})
   */
  public record Stores(Path dataDir, Optional<String> redisUrl, Optional<String> pgUrl, Optional<String> redisDurability) {

    public Stores {
      redisDurability.ifPresent(claimgate.redis.RedisDurability::parse);
    }

    /** The durability level: as set, else {@code fsync} on the embedded servers (they run it) and {@code everysec}. */
    public claimgate.redis.RedisDurability durability() {
      return redisDurability.map(claimgate.redis.RedisDurability::parse)
          .orElse(redisUrl.isEmpty() ? claimgate.redis.RedisDurability.FSYNC : claimgate.redis.RedisDurability.EVERYSEC);
    }

    /** True when either server is the embedded one. */
    public boolean embedded() {
      return redisUrl.isEmpty() || pgUrl.isEmpty();
    }
  }

  /**
   * Who is who.
   *
   * @param operatorToken admin bearer token ({@code CLAIMGATE_OPERATOR_TOKEN}); empty: generated
   * @param codeKey voucher-code HMAC keys ({@code CLAIMGATE_CODE_KEY}); empty: generated in dataDir
   * @param identity how citizens are identified ({@code CLAIMGATE_IDENTITY}, {@code none} or {@code jwt})
   * @param jwtPublicKey PEM public key, or a path to one, verifying citizens' tokens
   *     ({@code CLAIMGATE_JWT_PUBLIC_KEY}); required when identity is {@code jwt}
   */
  public record Credentials(Optional<String> operatorToken, Optional<String> codeKey, String identity,
      Optional<String> jwtPublicKey) {

    public Credentials {
      if (!IDENTITY_NONE.equals(identity) && !IDENTITY_JWT.equals(identity)) {
        throw new ConfigException("CLAIMGATE_IDENTITY must be none or jwt, got '" + identity + "'");
      }
      if (IDENTITY_JWT.equals(identity) && jwtPublicKey.isEmpty()) {
        throw new ConfigException("CLAIMGATE_IDENTITY=jwt needs CLAIMGATE_JWT_PUBLIC_KEY (a PEM public key or its file)");
      }
    }
  }

  /**
   * Rates per client.
   *
   * @param statusPerAddressPerSecond ticket status reads per client address and second, burst four
   *     times that ({@code CLAIMGATE_STATUS_PER_ADDRESS_PER_SECOND}, 50; many citizens may share an
   *     address behind a carrier's NAT)
   * @param failedAttemptsPerSecond failed redemption attempts (forged, unknown or other merchants'
   *     codes, wrong keys) per merchant key and per address and second, burst twenty times that
   *     ({@code CLAIMGATE_FAILED_ATTEMPTS_PER_SECOND}, 1)
   */
  public record Limits(int statusPerAddressPerSecond, int failedAttemptsPerSecond) {}

  /**
   * How a role starts.
   *
   * @param eventLoops event loops of the process, one gateway verticle on each
   *     ({@code CLAIMGATE_EVENT_LOOPS}, one per core)
   * @param warmupSeconds how long a role may warm its hot paths against a scratch campaign before
   *     it reports ready ({@code CLAIMGATE_WARMUP_SECONDS}, 30; 0 skips it, as tests do)
   */
  public record Startup(int eventLoops, int warmupSeconds) {}

  /** Defaults with the given port and data directory: embedded servers, no identity check. */
  public static Settings local(int httpPort, Path dataDir) {
    return new Settings(new Http(httpPort, OptionalInt.empty(), 0, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS),
        new Stores(dataDir, Optional.empty(), Optional.empty(), Optional.empty()),
        new Credentials(Optional.empty(), Optional.empty(), IDENTITY_NONE, Optional.empty()),
        new Limits(DEFAULT_STATUS_PER_ADDRESS_PER_SECOND, 1),
        new Startup(DEFAULT_EVENT_LOOPS, 0));
  }

  public Settings withServers(String redis, String pg) {
    return new Settings(http, new Stores(stores.dataDir(), Optional.of(redis), Optional.of(pg), stores.redisDurability()),
        credentials, limits, startup);
  }

  public Settings withWarmupSeconds(int seconds) {
    return new Settings(http, stores, credentials, limits, new Startup(startup.eventLoops(), seconds));
  }

  public Settings withStatusPerAddressPerSecond(int perSecond) {
    return new Settings(http, stores, credentials, new Limits(perSecond, limits.failedAttemptsPerSecond()), startup);
  }

  public Settings withOperatorToken(String token) {
    return new Settings(http, stores, new Credentials(Optional.of(token), credentials.codeKey(), credentials.identity(),
        credentials.jwtPublicKey()), limits, startup);
  }

  public Settings withJwt(String publicKeyPem) {
    return new Settings(http, stores, new Credentials(credentials.operatorToken(), credentials.codeKey(), IDENTITY_JWT,
        Optional.of(publicKeyPem)), limits, startup);
  }

  /** Voucher-code keys given (as {@code CLAIMGATE_CODE_KEY}): every process of one installation needs the same. */
  public Settings withCodeKey(String keySpec) {
    return new Settings(http, stores, new Credentials(credentials.operatorToken(), Optional.of(keySpec), credentials.identity(),
        credentials.jwtPublicKey()), limits, startup);
  }

  public Settings withManagementPort(int port) {
    return new Settings(new Http(http.port(), OptionalInt.of(port), http.trustedProxyHops(),
        http.maxConnectionsPerAddress()), stores, credentials, limits, startup);
  }

  public static Settings fromEnvironment(Map<String, String> env) {
    return new Settings(
        new Http(port("CLAIMGATE_HTTP_PORT", env.getOrDefault("CLAIMGATE_HTTP_PORT", "8080")),
            nonBlank(env.get("CLAIMGATE_MANAGEMENT_PORT"))
                .map(value -> OptionalInt.of(port("CLAIMGATE_MANAGEMENT_PORT", value))).orElse(OptionalInt.empty()),
            trustedProxyHops(env),
            positive("CLAIMGATE_MAX_CONNECTIONS_PER_ADDRESS",
                env.getOrDefault("CLAIMGATE_MAX_CONNECTIONS_PER_ADDRESS", Integer.toString(DEFAULT_MAX_CONNECTIONS_PER_ADDRESS)))),
        new Stores(Path.of(env.getOrDefault("CLAIMGATE_DATA_DIR", "./.claimgate")),
            nonBlank(env.get("CLAIMGATE_REDIS_URL")),
            nonBlank(env.get("CLAIMGATE_PG_URL")),
            nonBlank(env.get("CLAIMGATE_REDIS_DURABILITY"))),
        new Credentials(nonBlank(env.get("CLAIMGATE_OPERATOR_TOKEN")),
            nonBlank(env.get("CLAIMGATE_CODE_KEY")),
            nonBlank(env.get("CLAIMGATE_IDENTITY")).orElse(IDENTITY_NONE),
            nonBlank(env.get("CLAIMGATE_JWT_PUBLIC_KEY"))),
        new Limits(positive("CLAIMGATE_STATUS_PER_ADDRESS_PER_SECOND",
                env.getOrDefault("CLAIMGATE_STATUS_PER_ADDRESS_PER_SECOND", Integer.toString(DEFAULT_STATUS_PER_ADDRESS_PER_SECOND))),
            positive("CLAIMGATE_FAILED_ATTEMPTS_PER_SECOND", env.getOrDefault("CLAIMGATE_FAILED_ATTEMPTS_PER_SECOND", "1"))),
        new Startup(positive("CLAIMGATE_EVENT_LOOPS", env.getOrDefault("CLAIMGATE_EVENT_LOOPS", Integer.toString(DEFAULT_EVENT_LOOPS))),
            atLeastZero("CLAIMGATE_WARMUP_SECONDS", env.getOrDefault("CLAIMGATE_WARMUP_SECONDS", "30"))));
  }

  private static int trustedProxyHops(Map<String, String> env) {
    String hops = env.get("CLAIMGATE_TRUSTED_PROXY_HOPS");
    if (hops != null && !hops.isBlank()) {
      try {
        int n = Integer.parseInt(hops.strip());
        if (n >= 0 && n <= 10) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new ConfigException("CLAIMGATE_TRUSTED_PROXY_HOPS must be a whole number 0-10, got '" + hops + "'");
    }
    return Boolean.parseBoolean(env.getOrDefault("CLAIMGATE_TRUST_FORWARDED", "false").strip()) ? 1 : 0;
  }

  private static int port(String name, String value) {
    try {
      int port = Integer.parseInt(value.strip());
      if (port < 0 || port > 65535) {
        throw new ConfigException(name + " must be a port number 0-65535, got " + value);
      }
      return port;
    } catch (NumberFormatException e) {
      throw new ConfigException(name + " must be a port number, got '" + value + "'");
    }
  }

  private static int atLeastZero(String name, String value) {
    return "0".equals(value.strip()) ? 0 : positive(name, value);
  }

  private static int positive(String name, String value) {
    try {
      int n = Integer.parseInt(value.strip());
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ConfigException(name + " must be a whole number > 0, got '" + value + "'");
  }

  private static Optional<String> nonBlank(String value) {
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
  }
}
