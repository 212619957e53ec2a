package claimgate.system;

import claimgate.cli.Stack;

import claimgate.campaign.Campaign;
import claimgate.settings.Settings;
import claimgate.store.EmbeddedServers;
import claimgate.testkit.ApiClient;
import claimgate.testkit.ApiClient.Reply;
import claimgate.testkit.TestServers;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;

/**
 * One running claimgate (gateway and allocator) per test JVM, on the shared test servers, and
 * the test kit's {@link ApiClient} for it: tests reach it only as its users do.
 */
public final class LiveStack {

  public static final String OPERATOR_TOKEN = "cgo_test_" + UUID.randomUUID();
  private static Stack stack;
  private static String base;
  private static String management;
  private static ApiClient api;

  private LiveStack() {}

  public static synchronized String base() {
    if (stack == null) {
      try {
        Path dir = Files.createTempDirectory("claimgate-live");
        int port = EmbeddedServers.freePort();
        int managementPort = EmbeddedServers.freePort();
        Settings settings = Settings.local(port, dir)
            .withManagementPort(managementPort)
            .withServers(TestServers.redisUrl(), TestServers.get().postgresUrl())
            .withCodeKey(TestServers.CODE_KEY)
            .withOperatorToken(OPERATOR_TOKEN)
            // every test polls from 127.0.0.1
            .withStatusPerAddressPerSecond(100_000);
        stack = Stack.start(settings, Optional.empty(), false, Stack.Role.GATEWAY, Stack.Role.ALLOCATOR);
        base = "http://127.0.0.1:" + port;
        management = "http://127.0.0.1:" + managementPort;
        Stack started = stack;
        Runtime.getRuntime().addShutdownHook(new Thread(started::close));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return base;
  }

  /** The management port: metrics and probes without a token. */
  public static String managementBase() {
    base();
    return management;
  }

  public static ApiClient api() {
    synchronized (LiveStack.class) {
      if (api == null) {
        api = new ApiClient(base(), OPERATOR_TOKEN);
      }
      return api;
    }
  }

  public static Reply send(String method, String path, String bearer, Object body) {
    return api().send(method, path, bearer, body);
  }

  public static Reply send(String method, String path, String bearer, Object body, String idempotencyKey) {
    return api().send(method, path, bearer, body, idempotencyKey);
  }

  public static Reply admin(String method, String path, Object body) {
    return api().admin(method, path, body);
  }

  public static Reply get(String path) {
    return api().get(path);
  }

  public static Reply claim(String campaignId, String citizen, String... merchants) {
    return api().claim(campaignId, citizen, merchants);
  }

  public static Campaign create(Campaign campaign) {
    return api().create(campaign);
  }

  public static JsonObject awaitFinal(String ticket) {
    return api().awaitFinal(ticket);
  }

  public static String merchantKey(String campaignId, String merchantId) {
    return api().merchantKey(campaignId, merchantId);
  }

  public static void pause(long ms) {
    ApiClient.pause(ms);
  }
}
