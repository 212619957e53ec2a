package claimgate.cli;

import claimgate.campaign.CampaignFiles;
import claimgate.config.ConfigException;
import claimgate.verify.LogVerifier;
import claimgate.settings.Settings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The public decision log from the command line: {@code claimgate log export CAMPAIGN > log.jsonl}
 * fetches it from a gateway (no credentials), and {@code claimgate verify} checks it offline.
 */
final class LogCommands {

  private LogCommands() {}

  @Command(name = "log", description = "The public decision log of a campaign.", subcommands = Export.class)
  static final class Log implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    /** Without its subcommand: the usage, and the exit code of a usage error. */
    @Override
    public Integer call() {
      spec.commandLine().usage(spec.commandLine().getErr());
      return 2;
    }
  }

  @Command(name = "export", description = "Print the campaign's log, one record per line (JSON Lines), from a gateway.")
  static final class Export implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;
    @Parameters(paramLabel = "CAMPAIGN") String campaign;
    @Option(names = "--url", description = "Gateway base URL; default: CLAIMGATE_URL, else http://127.0.0.1:<CLAIMGATE_HTTP_PORT>")
    String url;

    @Override
    public Integer call() throws IOException, InterruptedException {
      Map<String, String> env = System.getenv();
      String base = (url != null ? url : env.getOrDefault("CLAIMGATE_URL",
          "http://127.0.0.1:" + Settings.fromEnvironment(env).http().port())).replaceAll("/+$", "");
      HttpClient http = HttpClient.newHttpClient();
      PrintWriter out = spec.commandLine().getOut();
      Long after = 0L;
      while (after != null) {
        HttpResponse<String> page;
        try {
          page = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/campaigns/" + campaign + "/log?after=" + after))
              .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
          throw new ConfigException("cannot reach the gateway at " + base + ": " + e.getMessage());
        }
        JsonObject body = page.body().startsWith("{") ? new JsonObject(page.body()) : new JsonObject();
        if (page.statusCode() != 200) {
          spec.commandLine().getErr().println("claimgate: " + page.statusCode() + " " + body.getString("error", "error")
              + ": " + body.getString("message", page.body()));
          return 1;
        }
        JsonArray records = body.getJsonArray("records");
        // one record per line, \n whatever the platform: the lines are hashed as they are
        records.forEach(line -> out.print(line + "\n"));
        after = body.getLong("next");
      }
      out.flush();
      return 0;
    }
  }

  @Command(name = "verify", description = "Check a campaign's exported log offline: the hash chain, every decision "
      + "against the campaign's rules, and a receipt if given. Prints ok with the figures, or the first violation "
      + "with its record's index and exits 1.")
  static final class Verify implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;
    @Option(names = "--log", required = true, description = "The exported log (JSON Lines)") Path log;
    @Option(names = "--campaign", description = "The campaign document as published (YAML or JSON); "
        + "it must be the one the log states") Path campaign;
    @Option(names = "--receipt", description = "A claim's receipt (JSON, as GET /api/v1/claims/{ticket}/receipt answers)")
    Path receipt;

    @Override
    public Integer call() throws IOException {
      JsonObject document = campaign == null ? null : CampaignFiles.published(campaign);
      JsonObject theReceipt = receipt == null ? null : new JsonObject(Files.readString(receipt));
      LogVerifier verifier = new LogVerifier(document, theReceipt);
      try (BufferedReader lines = Files.newBufferedReader(log)) {
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
          verifier.accept(line);
        }
      }
      LogVerifier.Result result = verifier.finish();
      PrintWriter out = spec.commandLine().getOut();
      if (result.ok()) {
        out.println("ok " + new JsonObject(result.figures()).encode());
        return 0;
      }
      out.println("violation at record " + result.index() + ": " + result.message());
      return 1;
    }
  }
}
