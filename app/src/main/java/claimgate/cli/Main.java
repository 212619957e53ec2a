package claimgate.cli;

import claimgate.store.InvariantCheck;

import claimgate.campaign.CampaignException;
import claimgate.config.ConfigException;
import claimgate.settings.Settings;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code claimgate demo | gateway | allocator} to run it, and the operator subcommands that call a
 * running gateway's admin API: one runnable jar, one main.
 */
@Command(name = "claimgate", mixinStandardHelpOptions = true, version = "claimgate 0.1.0",
    description = "Claim gateway for launch-minute voucher campaigns.",
    subcommands = {Main.Demo.class, Main.Gateway.class, Main.Allocator.class,
        AdminCommands.Pause.class, AdminCommands.Resume.class, AdminCommands.Freeze.class,
        AdminCommands.Unfreeze.class, AdminCommands.Rate.class, AdminCommands.Beacon.class, AdminCommands.Stats.class,
        AdminCommands.Campaign.class, AdminCommands.MerchantKey.class, AdminCommands.Revoke.class,
        AdminCommands.Audit.class, Main.Check.class, LogCommands.Log.class, LogCommands.Verify.class})
public final class Main implements Callable<Integer> {

  /** Without a subcommand: the usage, and the exit code of a usage error. */
  @Override
  public Integer call() {
    CommandLine.usage(this, System.err);
    return 2;
  }

  /** Bad configuration is one line on stderr and exit code 2; anything else is a bug and shows its trace. */
  static final CommandLine.IExecutionExceptionHandler ONE_LINE_ERRORS = (e, cmd, parsed) -> {
    if (e instanceof ConfigException || e instanceof CampaignException) {
      cmd.getErr().println("claimgate: " + e.getMessage());
      return 2;
    }
    throw e;
  };

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    // UTF-8 whatever the locale: an exported log must keep its bytes (shop names with accents)
    cli.setOut(new java.io.PrintWriter(new java.io.OutputStreamWriter(System.out, java.nio.charset.StandardCharsets.UTF_8), true));
    cli.setExecutionExceptionHandler(ONE_LINE_ERRORS);
    helpEverywhere(cli);
    return cli;
  }

  /** Every subcommand answers {@code --help} (and {@code --version}). */
  private static void helpEverywhere(CommandLine cli) {
    for (CommandLine sub : cli.getSubcommands().values()) {
      sub.getCommandSpec().mixinStandardHelpOptions(true);
      helpEverywhere(sub);
    }
  }

  /** Runs until the process is told to stop, then closes the stack cleanly. */
  static int runUntilStopped(Stack stack, String banner) {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stack.close();
      stopped.countDown();
    }, "claimgate-shutdown"));
    System.out.println(banner);
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  @Command(name = "demo", description = "The whole system on embedded Redis and PostgreSQL (or the configured servers).")
  static final class Demo implements Callable<Integer> {
    @Option(names = "--campaign", description = "Campaign file (YAML); default: ${DEFAULT-VALUE}",
        defaultValue = "deploy/examples/palma-2027.yaml")
    Path campaign;

    @Override
    public Integer call() {
      Settings settings = Settings.fromEnvironment(System.getenv());
      Stack stack = Stack.start(settings, Optional.of(campaign), true, Stack.Role.GATEWAY, Stack.Role.ALLOCATOR);
      String base = "http://127.0.0.1:" + settings.http().port();
      return runUntilStopped(stack, String.join("\n",
          "claimgate demo is up (Ctrl-C stops it; data in " + settings.stores().dataDir().toAbsolutePath() + ")",
          "  launch page   " + base + "/",
          "  console       " + base + "/admin"
              + (settings.credentials().operatorToken().isPresent() ? "" : "   (operator token: " + stack.operatorToken() + ")"),
          "  campaigns     " + base + "/api/v1/campaigns",
          "  health        " + base + "/health/ready",
          "  redis         " + stack.redisUrl(),
          "  postgresql    " + stack.database().url()));
    }
  }

  @Command(name = "gateway", description = "The admission edge only, against CLAIMGATE_REDIS_URL and CLAIMGATE_PG_URL.")
  static final class Gateway implements Callable<Integer> {
    @Override
    public Integer call() {
      Settings settings = external();
      Stack stack = Stack.start(settings, Optional.empty(), false, Stack.Role.GATEWAY);
      return runUntilStopped(stack, "claimgate gateway listening on port " + settings.http().port());
    }
  }

  @Command(name = "allocator", description = "One allocator (leader or hot standby), against the configured servers.")
  static final class Allocator implements Callable<Integer> {
    @Override
    public Integer call() {
      Stack stack = Stack.start(external(), Optional.empty(), false, Stack.Role.ALLOCATOR);
      return runUntilStopped(stack, "claimgate allocator started (leader or standby per campaign)");
    }
  }

  @Command(name = "check", description = "Check a campaign against the invariants, from CLAIMGATE_PG_URL and CLAIMGATE_REDIS_URL; "
      + "exit 1 naming each breach.")
  static final class Check implements Callable<Integer> {
    @picocli.CommandLine.Parameters(paramLabel = "CAMPAIGN") String campaign;
    @Option(names = "--require-final", description = "Every admitted claim must be decided by now") boolean requireFinal;
    @picocli.CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      Settings settings = Settings.fromEnvironment(System.getenv());
      // the configured servers, else the demo's (it writes where they are into its data dir)
      Settings servers = settings.stores().redisUrl().isPresent() && settings.stores().pgUrl().isPresent() ? settings
          : DataDir.demoServers(settings).orElseThrow(() -> new ConfigException("set CLAIMGATE_REDIS_URL and "
              + "CLAIMGATE_PG_URL, or run this where the demo's data dir is (CLAIMGATE_DATA_DIR)"));
      java.util.List<String> breaches = InvariantCheck.run(servers.stores().redisUrl().get(),
          claimgate.store.Database.fromUrl(servers.stores().pgUrl().get()), campaign, requireFinal);
      breaches.forEach(b -> spec.commandLine().getOut().println("BREACH " + b));
      spec.commandLine().getOut().println(breaches.isEmpty() ? "campaign " + campaign + ": every invariant holds"
          : "campaign " + campaign + ": " + breaches.size() + " breaches");
      return breaches.isEmpty() ? 0 : 1;
    }
  }

  static Settings external() {
    Settings settings = Settings.fromEnvironment(System.getenv());
    if (settings.stores().embedded()) {
      throw new ConfigException("this role runs against external servers: set CLAIMGATE_REDIS_URL and CLAIMGATE_PG_URL");
    }
    return settings;
  }
}
