package claimgate.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import claimgate.campaign.CampaignException;
import claimgate.config.ConfigException;
import claimgate.settings.Settings;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Bad configuration stops start-up with one clear line, never a stack trace alone. */
class StartupErrorsTest {

  @TempDir Path dir;

  @Test
  @DisplayName("a broken campaign file gives one line naming the problem, before any server starts")
  void brokenCampaign() throws Exception {
    Path file = dir.resolve("broken.yaml");
    Files.writeString(file, Files.readString(DemoStackTest.EXAMPLE).replace("contingent: 202", "contingent: -3"));
    Settings settings = Settings.fromEnvironment(Map.of("CLAIMGATE_DATA_DIR", dir.resolve("data").toString()));
    assertThatThrownBy(() -> Stack.start(settings, Optional.of(file), true, Stack.Role.GATEWAY))
        .isInstanceOf(CampaignException.class)
        .hasMessageContaining("merchants[0].contingent must be >= 0")
        .message().doesNotContain("\n");
    assertThat(dir.resolve("data")).doesNotExist();
  }

  @Test
  @DisplayName("the CLI prints 'claimgate: <problem>' and exits 2 for bad configuration")
  void cliOneLine() throws Exception {
    Path file = dir.resolve("unknown.yaml");
    Files.writeString(file, Files.readString(DemoStackTest.EXAMPLE).replace("validDays: 30", "validDays: 30\nflavour: x"));
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CommandLine cli = new CommandLine(new Main());
    cli.setErr(new PrintWriter(err, true));
    cli.setExecutionExceptionHandler(Main.ONE_LINE_ERRORS);
    int exit = cli.execute("demo", "--campaign", file.toString());
    assertThat(exit).isEqualTo(2);
    assertThat(err.toString().strip()).startsWith("claimgate: ").contains("unknown field 'flavour'").doesNotContain("\n");
  }

  @Test
  @DisplayName("a port in use is named")
  void portInUse() throws Exception {
    try (ServerSocket taken = new ServerSocket(0)) {
      Settings settings = Settings.local(taken.getLocalPort(), dir);
      assertThatThrownBy(() -> Stack.start(settings, Optional.empty(), false, Stack.Role.GATEWAY).close())
          .isInstanceOf(ConfigException.class)
          .hasMessage("port " + taken.getLocalPort() + " is in use (set CLAIMGATE_HTTP_PORT)");
    }
  }

  @Test
  @DisplayName("durability fsync against a Redis that fsyncs once a second is refused by name: a 202 would promise what the server cannot keep")
  void durabilityTheServerCannotKeep() {
    // the tests' shared Redis runs appendfsync everysec
    Settings settings = Settings.fromEnvironment(Map.of("CLAIMGATE_DATA_DIR", dir.resolve("data").toString(),
        "CLAIMGATE_REDIS_URL", claimgate.testkit.TestServers.redisUrl(),
        "CLAIMGATE_PG_URL", claimgate.testkit.TestServers.get().postgresUrl(),
        "CLAIMGATE_OPERATOR_TOKEN", "cgo_durability", "CLAIMGATE_REDIS_DURABILITY", "fsync",
        "CLAIMGATE_WARMUP_SECONDS", "0"));
    assertThatThrownBy(() -> Stack.start(settings, Optional.empty(), false, Stack.Role.GATEWAY).close())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("appendfsync always")
        .hasMessageContaining("appendfsync everysec")
        .message().doesNotContain("\n");
  }

  @Test
  @DisplayName("a malformed port setting is named")
  void badPort() {
    assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("CLAIMGATE_HTTP_PORT", "eighty")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CLAIMGATE_HTTP_PORT");
  }
}
