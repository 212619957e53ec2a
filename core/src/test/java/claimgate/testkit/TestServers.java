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

  public static String redisUrl() {
    return get().redisUrl();
  }
}
