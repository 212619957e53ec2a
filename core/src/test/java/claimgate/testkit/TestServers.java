package claimgate.testkit;

import claimgate.store.Database;
import claimgate.store.EmbeddedServers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Real Redis and PostgreSQL for tests: the embedded servers on random ports in a temporary
 * directory, started once per test JVM and migrated. Test classes keep apart by campaign id.
 */
public final class TestServers {

  private static EmbeddedServers servers;

  private TestServers() {}

  public static synchronized EmbeddedServers get() {
    if (servers == null) {
      try {
        Path dir = Files.createTempDirectory("claimgate-test");
        servers = EmbeddedServers.start(dir);
        Database.fromUrl(servers.postgresUrl()).migrate();
        // tests need no fsync per write (the demo's safe level); what they check holds either way
        try (var jedis = new java.net.Socket("127.0.0.1", servers.redisPort())) {
          jedis.getOutputStream().write("CONFIG SET appendfsync everysec\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          jedis.getOutputStream().flush();
          jedis.getInputStream().read(new byte[64]);
        }
        EmbeddedServers started = servers;
        Runtime.getRuntime().addShutdownHook(new Thread(started::close));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return servers;
  }

  public static Database database() {
    return Database.fromUrl(get().postgresUrl());
  }

  /**
   * A database of its own on the same server, created and migrated once: for a test that runs
   * its own Redis, whose campaigns the JVM's shared allocator (which leads every campaign of the
   * shared database, on the shared Redis) must not see.
   */
  public static synchronized String separateDatabase(String name) {
    if (!name.matches("[a-z_]+")) {
      throw new IllegalArgumentException("a database name of a-z and _: " + name);
    }
    Database shared = database();
    try (var conn = java.sql.DriverManager.getConnection(shared.jdbcUrl(), shared.options().getUser(), shared.options().getPassword());
         var exists = conn.prepareStatement("select 1 from pg_database where datname = ?")) {
      exists.setString(1, name);
      if (!exists.executeQuery().next()) {
        try (var create = conn.createStatement()) {
          create.execute("create database " + name);
        }
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException("test database " + name + " not created: " + e.getMessage(), e);
    }
    String url = get().postgresUrl().substring(0, get().postgresUrl().lastIndexOf('/') + 1) + name;
    Database.fromUrl(url).migrate();
    return url;
  }

  /**
   * The voucher-code keys of every installation a test JVM starts on these servers: an allocator
   * signs the tickets of the claims it decides, so one whose keys differ from the gateway's would
   * file them under other tickets (as two installations sharing servers with different
   * {@code CLAIMGATE_CODE_KEY}s would).
   */
  public static final String CODE_KEY = claimgate.voucher.VoucherCodes.newKeySpec(1, new java.security.SecureRandom());

  public static String redisUrl() {
    return get().redisUrl();
  }
}
