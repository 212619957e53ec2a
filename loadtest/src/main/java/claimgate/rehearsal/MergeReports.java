package claimgate.rehearsal;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * One report from several injectors' rehearsals: their Gatling logs merged into one (times on
 * the earliest start), Gatling's reports-only mode run on it (the simulation's assertions checked
 * against the combined figures), and one {@code summary.json} and {@code junit.xml} whose
 * invariant verdict holds only if every injector's check was sound.
 */
@Command(name = "report --merge", mixinStandardHelpOptions = true,
    description = "Merges the results of several injectors (loadtest/launch-minute --injectors N) into one Gatling report.")
public final class MergeReports implements Callable<Integer> {

  @Parameters(arity = "1..*", paramLabel = "DIR", description = "each injector's results directory (its --results)")
  List<Path> dirs;

  @Option(names = "--out", description = "where the merged report goes (default: loadtest/results/rehearsals/merged-TIME)")
  Path out;

  @Option(names = "--loadtest", defaultValue = "loadtest", hidden = true)
  Path loadtest;

  @Option(names = "--gatling-classpath", required = true, hidden = true)
  String gatlingClasspath;

  public static void main(String[] args) {
    System.exit(new CommandLine(new MergeReports()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    List<Path> logs = new ArrayList<>();
    List<String> breaches = new ArrayList<>();
    List<String> failedInjectors = new ArrayList<>();
    JsonObject stats = null;
    boolean checked = true;
    JsonObject context = new JsonObject();
    for (Path dir : dirs) {
      Path run = GatlingProcess.newestRun(dir.resolve("gatling"))
          .orElseThrow(() -> new IllegalArgumentException(dir + " holds no Gatling run (gatling/*/simulation.log)"));
      logs.add(run.resolve("simulation.log"));
      Path summary = dir.resolve("summary.json");
      if (Files.isRegularFile(summary)) {
        JsonObject s = new JsonObject(Files.readString(summary));
        if (!s.getBoolean("passed", false)) {
          failedInjectors.add(dir.toString());
        }
        // the campaign's numbers as the last injector to finish read them
        JsonObject campaign = s.getJsonObject("campaign");
        if (campaign != null && (stats == null || campaign.getLong("admitted", 0L) >= stats.getLong("admitted", 0L))) {
          stats = campaign;
        }
        Outcome.Invariants inv = Outcome.Invariants.fromJson(s.getJsonObject("invariants", new JsonObject()));
        checked &= inv.checked();
        inv.breaches().stream().filter(b -> !breaches.contains(b)).forEach(breaches::add);
        if (context.isEmpty()) {
          context.put("profile", s.getString("profile")).put("target", s.getString("target"))
              .put("campaignId", s.getString("campaignId")).put("runId", s.getString("runId"));
        }
      } else {
        checked = false;
        failedInjectors.add(dir + " (no summary.json)");
      }
    }
    context.put("injectors", dirs.size()).put("merged", new io.vertx.core.json.JsonArray(dirs.stream().map(Path::toString).toList()));
    Path target = out != null ? out : loadtest.resolve("results/rehearsals/merged-" + System.currentTimeMillis());
    Path gatlingResults = target.resolve("gatling");
    Path merged = gatlingResults.resolve("merged").resolve("simulation.log");
    SimulationLog.merge(logs, merged);
    System.out.println("report: merged " + logs.size() + " simulation logs into " + merged);
    GatlingProcess.Result gatling = new GatlingProcess(gatlingClasspath, "2g", null).reportsOnly(gatlingResults, "merged");
    List<Outcome.Assertion> assertions = new ArrayList<>(Outcome.Assertion.fromOutput(gatling.output()));
    assertions.add(Outcome.admitted(stats));
    assertions.add(new Outcome.Assertion("every injector passed", failedInjectors.isEmpty(),
        failedInjectors.isEmpty() ? "all " + dirs.size() : "failed: " + String.join(", ", failedInjectors)));
    context.put("campaign", stats);
    Outcome outcome = new Outcome("rehearsal " + context.getString("profile", "") + " (" + dirs.size() + " injectors)", context,
        RunFigures.of(SimulationLog.requests(merged)), assertions,
        new Outcome.Invariants(checked, breaches), gatling.exit(), merged.resolveSibling("index.html").toAbsolutePath());
    outcome.write(target);
    Rehearsal.print("report", outcome, target);
    return outcome.passed() ? 0 : 1;
  }
}
