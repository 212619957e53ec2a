package claimgate.cli;

import claimgate.system.LiveStack;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignFiles;
import claimgate.testkit.Campaigns;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The operator subcommands call a running gateway's admin API and print its answer. */
class AdminCommandsTest {

  @TempDir Path dir;

  record Run(int exitCode, String out, String err) {}

  Run run(String... args) throws Exception {
    Path tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, LiveStack.OPERATOR_TOKEN + "\n");
    CommandLine cli = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    String[] full = new String[args.length + 4];
    System.arraycopy(args, 0, full, 0, args.length);
    full[args.length] = "--url";
    full[args.length + 1] = LiveStack.base();
    full[args.length + 2] = "--token-file";
    full[args.length + 3] = tokenFile.toString();
    int code = cli.execute(full);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  @DisplayName("campaign apply, rate, pause, stats, resume, merchant-key create: each calls the admin API and prints JSON")
  void operatorSession() throws Exception {
    Campaign c = Campaigns.open(Campaigns.uniqueId("cli"), 9, 3, 10);
    Path file = dir.resolve("campaign.yaml");
    Files.writeString(dir.resolve("eligible.csv"), "anna,2\nbo,1\n");
    Campaign listed = new Campaign(c.id(), c.name(), c.currency(), c.voucherValue(), c.validDays(), c.limits(),
        new Campaign.Eligibility("eligible.csv", 2, null), c.admission(), c.rounds(), c.merchants());
    Files.writeString(file, CampaignFiles.toJson(listed));

    Run applied = run("campaign", "apply", file.toString());
    assertThat(applied.exitCode()).as(applied.err()).isZero();
    assertThat(new JsonObject(applied.out()).getBoolean("created")).isTrue();
    assertThat(LiveStack.claim(c.id(), "bo", "m0").status()).isEqualTo(403);
    assertThat(LiveStack.claim(c.id(), "anna", "m0").status()).isEqualTo(202);

    assertThat(run("rate", c.id(), "--per-second", "500", "--burst", "50").exitCode()).isZero();
    Run shown = run("rate", c.id());
    assertThat(shown.exitCode()).as(shown.err()).isZero();
    assertThat(shown.out()).contains("500 claims/s, bursts of 50");
    assertThat(run("rate", c.id(), "--burst", "9").exitCode()).isEqualTo(2);
    assertThat(run("pause", c.id(), "--reason", "cli test").exitCode()).isZero();
    assertThat(LiveStack.claim(c.id(), "anna-2", "m0").status()).isEqualTo(503);
    Run stats = run("stats", c.id(), "--json");
    assertThat(stats.exitCode()).isZero();
    assertThat(new JsonObject(stats.out()).getString("state")).isIn("paused", "open");
    assertThat(new JsonObject(stats.out()).getLong("admitted")).isEqualTo(1);
    // by default a summary to read at a glance
    Run summary = run("stats", c.id());
    assertThat(summary.exitCode()).isZero();
    assertThat(summary.out()).contains(c.id()).contains("admitted 1").contains("of 1 shops sold out").doesNotStartWith("{");
    assertThat(run("resume", c.id()).exitCode()).isZero();

    Run key = run("merchant-key", "create", c.id(), "m0");
    assertThat(key.exitCode()).isZero();
    assertThat(new JsonObject(key.out()).getString("key")).startsWith("cgm_");

    JsonObject audit = LiveStack.admin("GET", "/admin/v1/audit?campaignId=" + c.id(), null).array().getJsonObject(2);
    assertThat(audit.getString("action")).isEqualTo("campaign.pause");
    assertThat(audit.getJsonObject("detail").getString("reason")).isEqualTo("cli test");
    Run audited = run("audit", "--campaign", c.id(), "--limit", "3");
    assertThat(audited.exitCode()).as(audited.err()).isZero();
    assertThat(new io.vertx.core.json.JsonArray(audited.out())).hasSize(3);
  }

  @Test
  @DisplayName("no subcommand is a usage error (2); every subcommand answers --help; revoke of a merchant without a campaign sends none")
  void usage() throws Exception {
    CommandLine cli = Main.commandLine();
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err));
    cli.setOut(new PrintWriter(new StringWriter()));
    assertThat(cli.execute()).isEqualTo(2);
    for (String group : List.of("campaign", "merchant-key")) {
      CommandLine each = Main.commandLine();
      each.setErr(new PrintWriter(new StringWriter()));
      assertThat(each.execute(group)).as(group + " without its subcommand").isEqualTo(2);
    }
    // every subcommand, at every depth, answers --help
    List<List<String>> commands = new java.util.ArrayList<>();
    collect(Main.commandLine(), List.of(), commands);
    assertThat(commands).hasSizeGreaterThan(12);
    for (List<String> command : commands) {
      CommandLine each = Main.commandLine();
      StringWriter out = new StringWriter();
      each.setOut(new PrintWriter(out));
      List<String> args = new java.util.ArrayList<>(command);
      args.add("--help");
      assertThat(each.execute(args.toArray(String[]::new))).as(String.join(" ", command)).isZero();
      assertThat(out.toString()).as(String.join(" ", command)).contains("Usage:");
    }
    // no campaignId: null, which the contract refuses; the gateway finds the merchant's one campaign
    Campaign solo = Campaigns.open(Campaigns.uniqueId("solo"), 9, 3, 5);
    solo = LiveStack.create(new Campaign(solo.id(), solo.name(), solo.currency(), solo.voucherValue(), solo.validDays(),
        solo.limits(), solo.eligibility(), solo.admission(), solo.rounds(),
        List.of(new Campaign.Merchant("only-" + solo.id(), "The only shop", 5))));
    LiveStack.awaitFinal(LiveStack.claim(solo.id(), "solo-citizen", "only-" + solo.id()).json().getString("ticket"));
    Run revoke = run("revoke", "--merchant", "only-" + solo.id(), "--reason", "fraud");
    assertThat(revoke.exitCode()).as(revoke.err()).isZero();
    assertThat(revoke.out()).contains(solo.id());
  }

  private static void collect(CommandLine command, List<String> path, List<List<String>> into) {
    command.getSubcommands().forEach((name, sub) -> {
      if (sub.getCommandSpec().aliases().length > 0 && !name.equals(sub.getCommandName())) {
        return;
      }
      List<String> here = new java.util.ArrayList<>(path);
      here.add(name);
      into.add(here);
      collect(sub, here, into);
    });
  }

  @Test
  @DisplayName("check finds the demo's servers in its data dir when none are configured")
  void demoServersNoted() throws Exception {
    claimgate.settings.Settings local = claimgate.settings.Settings.local(8080, dir);
    assertThat(DataDir.demoServers(local)).isEmpty();
    Files.writeString(dir.resolve(DataDir.SERVERS_FILE), "redis://127.0.0.1:1234\npostgresql://127.0.0.1:5678/x\n");
    claimgate.settings.Settings found = DataDir.demoServers(local).orElseThrow();
    assertThat(found.stores().redisUrl()).contains("redis://127.0.0.1:1234");
    assertThat(found.stores().pgUrl()).contains("postgresql://127.0.0.1:5678/x");
  }

  @Test
  @DisplayName("a refusal prints one line and exits 1; a wrong token is refused")
  void refusals() throws Exception {
    Run unknown = run("pause", "no-such-campaign");
    assertThat(unknown.exitCode()).isEqualTo(1);
    assertThat(unknown.err().strip()).isEqualTo("claimgate: 404 unknown_campaign: no campaign no-such-campaign");
    Files.writeString(dir.resolve("wrong"), "not-the-token");
    CommandLine cli = Main.commandLine();
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err));
    int code = cli.execute("stats", "x", "--url", LiveStack.base(), "--token-file", dir.resolve("wrong").toString());
    assertThat(code).isEqualTo(1);
    assertThat(err.toString()).contains("401 unauthenticated").doesNotContain("not-the-token");
  }
}
