package claimgate.cli;

import claimgate.web.Bearer;

import claimgate.campaign.CampaignFiles;
import claimgate.config.ConfigException;
import claimgate.settings.Settings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Operator subcommands: each is one call of the admin API of a running gateway. The answer is
 * printed as JSON; a refusal prints {@code claimgate: <status> <error>: <message>} and exits 1.
 */
final class AdminCommands {

  private AdminCommands() {}

  /** Where the gateway is and the operator token: flags, else the environment, else the demo's data dir. */
  static final class Target {
    @Spec(Spec.Target.MIXEE) CommandLine.Model.CommandSpec spec;

    @Option(names = "--url", description = "Gateway base URL; default: CLAIMGATE_URL, else http://127.0.0.1:<CLAIMGATE_HTTP_PORT>")
    String url;

    @Option(names = "--token-file", description = "File holding the operator token; default: CLAIMGATE_OPERATOR_TOKEN, "
        + "else <CLAIMGATE_DATA_DIR>/operator-token")
    Path tokenFile;

    int call(String method, String path, JsonObject body) {
      return call(method, path, body, null);
    }

    /** @param render how to print a JSON object answer; null prints the JSON */
    int call(String method, String path, JsonObject body, java.util.function.Function<JsonObject, String> render) {
      Map<String, String> env = System.getenv();
      Settings settings = Settings.fromEnvironment(env);
      String base = url != null ? url : env.getOrDefault("CLAIMGATE_URL", "http://127.0.0.1:" + settings.http().port());
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base.replaceAll("/+$", "") + path))
          .timeout(Duration.ofSeconds(30))
          .header("Authorization", "Bearer " + token(settings))
          .header("Content-Type", "application/json")
          .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(body.encode()));
      PrintWriter out = spec.commandLine().getOut();
      try {
        HttpResponse<String> response = HttpClient.newHttpClient().send(request.build(),
            HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 == 2) {
          String text = response.body().strip();
          out.print(text.startsWith("[") ? new JsonArray(text).encodePrettily() + System.lineSeparator()
              : render != null ? render.apply(new JsonObject(text)) : new JsonObject(text).encodePrettily() + System.lineSeparator());
          return 0;
        }
        JsonObject error = response.body().startsWith("{") ? new JsonObject(response.body()) : new JsonObject();
        spec.commandLine().getErr().println("claimgate: " + response.statusCode() + " "
            + error.getString("error", "error") + ": " + error.getString("message", response.body()));
        return 1;
      } catch (IOException e) {
        throw new ConfigException("cannot reach the gateway at " + base + ": " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 1;
      }
    }

    private String token(Settings settings) {
      if (tokenFile == null && settings.credentials().operatorToken().isPresent()) {
        return settings.credentials().operatorToken().get();
      }
      Path file = tokenFile != null ? tokenFile : settings.stores().dataDir().resolve(DataDir.OPERATOR_TOKEN_FILE);
      try {
        return Files.readString(file).strip();
      } catch (IOException e) {
        throw new ConfigException("no operator token: set CLAIMGATE_OPERATOR_TOKEN or pass --token-file (" + file
            + " is not readable)");
      }
    }
  }

  /** A kill-switch action on one campaign: {@code POST /admin/v1/campaigns/{id}/<action>}. */
  abstract static class CampaignAction implements Callable<Integer> {
    @Mixin Target target;
    @Parameters(paramLabel = "CAMPAIGN") String campaign;

    abstract String action();

    JsonObject body() {
      return null;
    }

    @Override
    public Integer call() {
      return target.call("POST", "/admin/v1/campaigns/" + campaign + "/" + action(), body());
    }
  }

  @Command(name = "pause", description = "Kill switch on: when this returns, no gateway admits another claim.")
  static final class Pause extends CampaignAction {
    @Option(names = "--reason", description = "Why, for the audit log") String reason;

    @Override
    String action() {
      return "pause";
    }

    @Override
    JsonObject body() {
      return reason == null ? null : new JsonObject().put("reason", reason);
    }
  }

  @Command(name = "resume", description = "Kill switch off: admission continues where it stopped.")
  static final class Resume extends CampaignAction {
    @Override
    String action() {
      return "resume";
    }
  }

  @Command(name = "freeze", description = "Stop the allocator deciding (admission goes on), to inspect first.")
  static final class Freeze extends CampaignAction {
    @Override
    String action() {
      return "freeze";
    }
  }

  @Command(name = "unfreeze", description = "Let the allocator decide again.")
  static final class Unfreeze extends CampaignAction {
    @Override
    String action() {
      return "unfreeze";
    }
  }

  @Command(name = "rate", description = "The admission token bucket: shown, or set with both options (in effect for the next claim).")
  static final class Rate implements Callable<Integer> {
    @Mixin Target target;
    @Parameters(paramLabel = "CAMPAIGN") String campaign;
    @Option(names = "--per-second", description = "Claims admitted per second") Integer perSecond;
    @Option(names = "--burst", description = "Claims admitted at once") Integer burst;
    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      if (perSecond == null && burst == null) {
        return target.call("GET", "/admin/v1/campaigns/" + campaign + "/stats", null, stats -> {
          JsonObject a = stats.getJsonObject("admission");
          return campaign + ": " + a.getInteger("ratePerSecond") + " claims/s, bursts of " + a.getInteger("burst")
              + System.lineSeparator();
        });
      }
      if (perSecond == null || burst == null) {
        throw new CommandLine.ParameterException(spec.commandLine(), "set both --per-second and --burst, or neither to show them");
      }
      return target.call("PUT", "/admin/v1/campaigns/" + campaign + "/admission",
          new JsonObject().put("ratePerSecond", perSecond).put("burst", burst));
    }
  }

  @Command(name = "beacon", description = "Enter the outside randomness a round's draw named in advance "
      + "(admission.prequeue.beacon): once, after the opening, when the pre-queue is frozen; the draw waits for it.")
  static final class Beacon implements Callable<Integer> {
    @Mixin Target target;
    @Parameters(index = "0", paramLabel = "CAMPAIGN") String campaign;
    @Parameters(index = "1", paramLabel = "ROUND", description = "the round, from 1") int round;
    @Parameters(index = "2", paramLabel = "VALUE", description = "the value as published (a lottery's numbers, a beacon's output)")
    String value;

    @Override
    public Integer call() {
      return target.call("PUT", "/admin/v1/campaigns/" + campaign + "/rounds/" + round + "/beacon",
          new JsonObject().put("value", value));
    }
  }

  @Command(name = "stats", description = "Admitted, queued, confirmed, rejected, remaining, latency: a summary, "
      + "or the JSON with --json.")
  static final class Stats implements Callable<Integer> {
    @Mixin Target target;
    @Parameters(paramLabel = "CAMPAIGN") String campaign;
    @Option(names = "--json", description = "The stats as the API gives them, for machines") boolean json;

    @Override
    public Integer call() {
      return target.call("GET", "/admin/v1/campaigns/" + campaign + "/stats", null, json ? null : Stats::summary);
    }

    /** A few lines an operator reads at a glance; the shops only as how many are sold out. */
    static String summary(JsonObject s) {
      StringBuilder out = new StringBuilder();
      out.append(String.format(java.util.Locale.ROOT, "%s  %s  at %s%n", s.getString("campaignId"), s.getString("state"),
          s.getString("at")));
      out.append(String.format(java.util.Locale.ROOT, "admitted %,d   queued %,d   confirmed %,d%n",
          s.getLong("admitted"), s.getLong("queued"), s.getLong("confirmed")));
      JsonObject rejected = s.getJsonObject("rejected", new JsonObject());
      if (!rejected.isEmpty()) {
        out.append("rejected");
        rejected.fieldNames().stream().sorted().forEach(reason -> out.append(String.format(java.util.Locale.ROOT,
            "   %s %,d", reason, rejected.getLong(reason))));
        out.append(System.lineSeparator());
      }
      JsonObject answers = s.getJsonObject("answers", new JsonObject());
      if (!answers.isEmpty()) {
        out.append("answered");
        answers.fieldNames().stream().sorted().forEach(outcome -> out.append(String.format(java.util.Locale.ROOT,
            "   %s %,d", outcome, answers.getLong(outcome))));
        out.append(System.lineSeparator());
      }
      JsonObject remaining = s.getJsonObject("remaining", new JsonObject());
      long soldOut = remaining.fieldNames().stream().filter(m -> remaining.getLong(m) == 0).count();
      out.append(String.format(java.util.Locale.ROOT, "remaining %,d vouchers; %d of %d shops sold out%n",
          s.getLong("remainingTotal"), soldOut, remaining.size()));
      JsonObject latency = s.getJsonObject("latencyMs", new JsonObject());
      out.append(String.format(java.util.Locale.ROOT, "admission latency (ms, last 10 s)   p50 %s   p99 %s   p99.9 %s%n",
          latency.getValue("p50"), latency.getValue("p99"), latency.getValue("p999")));
      return out.toString();
    }
  }

  @Command(name = "audit", description = "Operator actions, newest first.")
  static final class Audit implements Callable<Integer> {
    @Mixin Target target;
    @Option(names = "--campaign", description = "Only this campaign's") String campaign;
    @Option(names = "--limit", defaultValue = "20", description = "How many (default ${DEFAULT-VALUE})") int limit;

    @Override
    public Integer call() {
      return target.call("GET", "/admin/v1/audit?limit=" + limit + (campaign == null ? "" : "&campaignId=" + campaign), null);
    }
  }

  @Command(name = "campaign", description = "Campaign documents.", subcommands = CampaignApply.class)
  static final class Campaign implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    /** Without its subcommand: the usage, and the exit code of a usage error. */
    @Override
    public Integer call() {
      spec.commandLine().usage(spec.commandLine().getErr());
      return 2;
    }
  }

  @Command(name = "apply", description = "Create or update a campaign from its file (YAML or JSON; eligibility list inlined).")
  static final class CampaignApply implements Callable<Integer> {
    @Mixin Target target;
    @Parameters(paramLabel = "FILE") Path file;

    @Override
    public Integer call() {
      CampaignFiles.Loaded loaded = CampaignFiles.load(file);
      return target.call("PUT", "/admin/v1/campaigns/" + loaded.campaign().id(),
          new JsonObject(CampaignFiles.toJsonWithList(loaded)));
    }
  }

  @Command(name = "merchant-key", description = "Merchant API keys.", subcommands = MerchantKeyCreate.class)
  static final class MerchantKey implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    /** Without its subcommand: the usage, and the exit code of a usage error. */
    @Override
    public Integer call() {
      spec.commandLine().usage(spec.commandLine().getErr());
      return 2;
    }
  }

  @Command(name = "create", description = "A new key for a merchant; it is shown once.")
  static final class MerchantKeyCreate implements Callable<Integer> {
    @Mixin Target target;
    @Parameters(index = "0", paramLabel = "CAMPAIGN") String campaign;
    @Parameters(index = "1", paramLabel = "MERCHANT") String merchant;

    @Override
    public Integer call() {
      return target.call("POST", "/admin/v1/campaigns/" + campaign + "/merchants/" + merchant + "/keys", null);
    }
  }

  @Command(name = "revoke", description = "Revoke vouchers: the codes given, or every unredeemed one of a merchant.")
  static final class Revoke implements Callable<Integer> {
    @Mixin Target target;
    @Option(names = "--merchant", description = "Revoke every unredeemed voucher of this merchant") String merchant;
    @Option(names = "--campaign", description = "The merchant's campaign") String campaign;
    @Option(names = "--reason", required = true, description = "fraud (the slot and the stock stay used), "
        + "withdrawal (the shop leaves the programme) or mistake: these two free the citizen's slot and return the stock")
    String reason;
    @Parameters(paramLabel = "CODE", arity = "0..*") List<String> codes;

    @Override
    public Integer call() {
      JsonObject body = new JsonObject().put("reason", reason);
      if (merchant != null) {
        body.put("merchantId", merchant);
        if (campaign != null) {
          body.put("campaignId", campaign);
        }
      }
      if (codes != null && !codes.isEmpty()) {
        body.put("codes", new JsonArray(codes));
      }
      return target.call("POST", "/admin/v1/vouchers/revoke", body);
    }
  }
}
