package claimgate.rehearsal;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A launch rehearsal against a running deployment, through its HTTP API only: applies a rehearsal
 * campaign (the profile's, its id suffixed, its first round opening {@code --lead} seconds from
 * now), runs the profile's Gatling simulation from that opening, waits until every admitted claim
 * is decided, runs the invariant check, writes {@code summary.json} and {@code junit.xml} beside
 * Gatling's report, and exits non-zero on any failed assertion or breach.
 *
 * <p>With {@code --injectors N --injector-index I} this process is one of N injectors: each takes
 * its share of the users and its own citizen ids; the first applies the campaign, the others read
 * its opening from the public API, and all start at that instant. {@code loadtest/report --merge}
 * builds one report from their results.
 */
@Command(name = "launch-minute", mixinStandardHelpOptions = true, sortOptions = false,
    description = "A launch rehearsal against a running claimgate (or, without --target, a fresh demo on this machine).")
public final class Rehearsal implements Callable<Integer> {

  @Option(names = "--target", required = true, description = "the deployment's base URL, as citizens reach it (its balancer)")
  String target;

  @Option(names = "--token-file", description = "a file holding the operator's token (else CLAIMGATE_OPERATOR_TOKEN)")
  Path tokenFile;

  @Option(names = "--profile", defaultValue = "city", description = "city, restaurants, airline or retailer (default: ${DEFAULT-VALUE})")
  String profile;

  @Option(names = "--campaign", description = "a campaign file to rehearse instead of the profile's")
  Path campaign;

  @Option(names = "--ci", description = "the profile's run scaled down for CI (its ci. parameters)")
  boolean ci;

  @Option(names = "--injectors", defaultValue = "1", description = "injector processes sharing the load (default: ${DEFAULT-VALUE})")
  int injectors;

  @Option(names = "--injector-index", defaultValue = "0", description = "this process's index, 0 to injectors-1")
  int injectorIndex;

  @Option(names = "--run-id", description = "the rehearsal's id, the same for every injector of a run (default: random)")
  String runId;

  @Option(names = "--lead", defaultValue = "10", description = "seconds from the campaign's creation to its opening (default: ${DEFAULT-VALUE})")
  int leadSeconds;

  @Option(names = "--drain", defaultValue = "120", description = "seconds to wait for every ticket to be final (default: ${DEFAULT-VALUE})")
  int drainSeconds;

  @Option(names = "--cleanup", description = "archive the rehearsal campaign afterwards (with one injector)")
  boolean cleanup;

  @Option(names = "--results", description = "where the report, summary.json and junit.xml go (default: loadtest/results/rehearsals/RUN-INDEX)")
  Path results;

  @Option(names = "--loadtest", defaultValue = "loadtest", hidden = true)
  Path loadtest;

  @Option(names = "--gatling-classpath", required = true, hidden = true)
  String gatlingClasspath;

  @Option(names = "-D", mapFallbackValue = "", description = "a profile parameter: -Dusers=2000 -Dseconds=10 …")
  Map<String, String> overrides = new LinkedHashMap<>();

  public static void main(String[] args) {
    System.exit(new CommandLine(new Rehearsal()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (injectorIndex < 0 || injectorIndex >= injectors) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--injector-index must be 0 to " + (injectors - 1));
    }
    if (cleanup && injectors > 1) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--cleanup archives the campaign while other injectors may still run; archive it after the merge");
    }
    if (injectors > 1 && runId == null) {
      throw new CommandLine.ParameterException(new CommandLine(this), "several injectors share one --run-id");
    }
    Profile shape = Profile.load(loadtest, profile, ci);
    Path campaignFile = campaign != null ? campaign : shape.campaign();
    String run = runId != null ? runId : randomId();
    String campaignId = RehearsalCampaign.id(campaignFile, run);
    Path out = results != null ? results : loadtest.resolve("results/rehearsals").resolve(campaignId + "-" + injectorIndex);
    Target deployment = new Target(target, token());
    if (!deployment.ready()) {
      System.err.println("launch-minute: " + target + "/health/ready does not answer 200; is the target up?");
      return 2;
    }

    JsonObject context = new JsonObject().put("profile", shape.name()).put("target", deployment.base())
        .put("campaignId", campaignId).put("runId", run).put("injectors", injectors).put("injectorIndex", injectorIndex);
    try {
      return rehearse(shape, deployment, campaignFile, run, campaignId, out, context);
    } catch (Exception e) {
      // a rehearsal that could not run is a failed test for the pipeline, with the reason
      Outcome failed = new Outcome("rehearsal " + shape.name(), context.put("error", String.valueOf(e.getMessage())),
          RunFigures.of(List.of()), List.of(new Outcome.Assertion("the rehearsal ran", false, String.valueOf(e.getMessage()))),
          new Outcome.Invariants(false, List.of()), -1, null);
      failed.write(out);
      System.err.println("launch-minute: " + e.getMessage());
      print("launch-minute", failed, out);
      return 1;
    }
  }

  private int rehearse(Profile shape, Target deployment, Path campaignFile, String run, String campaignId, Path out,
      JsonObject context) throws Exception {
    Map<String, String> given = new LinkedHashMap<>(shape.parameters());
    given.putAll(overrides);
    // a pre-queue profile: its citizens arrive in the prequeueSeconds before the opening
    int prequeueSeconds = Integer.parseInt(given.getOrDefault("prequeueSeconds", "0"));
    java.time.Duration prequeue = prequeueSeconds > 0 ? java.time.Duration.ofSeconds(prequeueSeconds + 60L) : null;
    int lead = Math.max(leadSeconds, prequeueSeconds + 10);
    Instant opensAt = injectorIndex == 0 ? create(deployment, campaignFile, run, campaignId, lead, prequeue)
        : awaitCampaign(deployment, campaignId);
    System.out.printf("launch-minute: profile %s, campaign %s opens at %s; injector %d of %d%n",
        shape.name(), campaignId, opensAt, injectorIndex + 1, injectors);

    Map<String, String> properties = new LinkedHashMap<>(given);
    properties.put("baseUrl", deployment.base());
    properties.put("campaign", campaignId);
    properties.put("runId", run);
    properties.put("injectors", Integer.toString(injectors));
    properties.put("injectorIndex", Integer.toString(injectorIndex));
    properties.put("startAt", Long.toString(opensAt.toEpochMilli()));
    Path gatlingResults = out.resolve("gatling");
    GatlingProcess.Result gatling = new GatlingProcess(gatlingClasspath, "2g", token()).simulate(shape.simulation(), gatlingResults,
        properties);

    Outcome.Invariants invariants = awaitFinal(deployment, campaignId);
    Path runFolder = GatlingProcess.newestRun(gatlingResults).orElse(null);
    RunFigures figures = RunFigures.of(runFolder == null ? List.of() : SimulationLog.requests(runFolder.resolve("simulation.log")));
    JsonObject stats = deployment.stats(campaignId);
    context.put("parameters", new JsonObject(new LinkedHashMap<>(properties))).put("campaign", stats);
    List<Outcome.Assertion> assertions = new java.util.ArrayList<>(Outcome.Assertion.fromOutput(gatling.output()));
    assertions.add(Outcome.admitted(stats));
    assertions.add(verifiedLog(deployment, campaignId, out));
    Outcome outcome = new Outcome("rehearsal " + shape.name(), context, figures, assertions,
        invariants, gatling.exit(), runFolder == null ? null : runFolder.resolve("index.html").toAbsolutePath());
    outcome.write(out);
    if (cleanup) {
      deployment.archive(campaignId);
      System.out.println("launch-minute: campaign " + campaignId + " archived");
    }
    print("launch-minute", outcome, out);
    return outcome.passed() ? 0 : 1;
  }

  /**
   * The campaign's public decision log, exported beside the results ({@code log.jsonl}) and checked
   * as anyone could check it: the chain, and every decision against the campaign's rules.
   */
  private static Outcome.Assertion verifiedLog(Target deployment, String campaignId, Path out) throws Exception {
    List<String> lines = deployment.log(campaignId);
    Files.write(out.resolve("log.jsonl"), lines, java.nio.charset.StandardCharsets.UTF_8);
    claimgate.verify.LogVerifier verifier = new claimgate.verify.LogVerifier(null, null);
    lines.forEach(verifier::accept);
    claimgate.verify.LogVerifier.Result result = verifier.finish();
    return new Outcome.Assertion("the public decision log verifies (claimgate verify)", result.ok(), result.ok()
        ? result.figures().get("records") + " records, " + result.figures().get("confirmed") + " confirmed"
        : "violation at record " + result.index() + ": " + result.message());
  }

  private Instant create(Target deployment, Path campaignFile, String run, String campaignId, int lead,
      java.time.Duration prequeue) throws Exception {
    Instant opensAt = Instant.now().plusSeconds(lead).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    deployment.create(campaignId, RehearsalCampaign.document(campaignFile, run, opensAt, prequeue));
    return opensAt;
  }

  /** Another injector creates the campaign: wait for it, then take its opening as the common start. */
  private Instant awaitCampaign(Target deployment, String campaignId) throws Exception {
    long deadline = System.currentTimeMillis() + 1000L * (leadSeconds + 120);
    while (System.currentTimeMillis() < deadline) {
      JsonObject found = deployment.campaign(campaignId);
      if (found != null) {
        Instant opensAt = OffsetDateTime.parse(found.getJsonArray("rounds").getJsonObject(0).getString("opensAt")).toInstant();
        // a campaign that opened long ago is an earlier run's: its run id was used before
        if (opensAt.isBefore(Instant.now().minusSeconds(60)) || "paused".equals(found.getString("state"))) {
          throw new IllegalStateException("campaign " + campaignId + " opened at " + opensAt + " (" + found.getString("state")
              + "): an earlier run's; give every injector a new --run-id");
        }
        return opensAt;
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException("campaign " + campaignId + " did not appear: has injector 0 of run " + runId + " started?");
  }

  /**
   * Polls the invariant check until every admitted claim is decided (up to {@code --drain}
   * seconds); a breach other than undecided claims does not go away, so it ends the wait.
   */
  private Outcome.Invariants awaitFinal(Target deployment, String campaignId) throws Exception {
    long deadline = System.currentTimeMillis() + 1000L * drainSeconds;
    List<String> breaches = new ArrayList<>();
    do {
      breaches.clear();
      JsonArray found = deployment.check(campaignId, true);
      found.forEach(b -> breaches.add(b.toString()));
      if (breaches.isEmpty() || breaches.stream().anyMatch(b -> !b.startsWith("invariant 8:"))) {
        break;
      }
      Thread.sleep(1_000);
    } while (System.currentTimeMillis() < deadline);
    return new Outcome.Invariants(true, breaches);
  }

  private String token() throws Exception {
    String token = tokenFile != null ? Files.readString(tokenFile).strip() : System.getenv("CLAIMGATE_OPERATOR_TOKEN");
    if (token == null || token.isBlank()) {
      throw new CommandLine.ParameterException(new CommandLine(this), "the operator's token: --token-file or CLAIMGATE_OPERATOR_TOKEN");
    }
    return token;
  }

  static String randomId() {
    String alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
    SecureRandom random = new SecureRandom();
    StringBuilder id = new StringBuilder("r");
    for (int i = 0; i < 6; i++) {
      id.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return id.toString();
  }

  static void print(String tool, Outcome outcome, Path out) {
    RunFigures f = outcome.figures();
    System.out.printf(tool + ": %d requests, %d failed %s; p50 %d ms, p99 %d ms, max %d ms%n", f.total(), f.failed(),
        f.failures().isEmpty() ? "" : f.failures().toString(), f.times().p50(), f.times().p99(), f.times().max());
    outcome.assertions().forEach(a -> System.out.printf(tool + ": assertion %s: %s (actual %s)%n",
        a.description(), a.passed() ? "passed" : "FAILED", a.actual()));
    System.out.println(outcome.invariants().sound() ? tool + ": every invariant holds"
        : tool + ": BREACH " + String.join("; ", outcome.invariants().breaches()));
    if (outcome.report() != null) {
      System.out.println(tool + ": report at " + outcome.report());
    }
    System.out.println(tool + ": summary at " + out.toAbsolutePath().resolve("summary.json") + ", junit.xml beside it");
    System.out.println(tool + ": " + (outcome.passed() ? "PASSED" : "FAILED"));
  }
}
