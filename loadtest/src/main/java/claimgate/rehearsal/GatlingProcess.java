package claimgate.rehearsal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Gatling in a JVM of its own (its libraries never meet claimgate's), on the classpath that
 * {@code loadtest/launch-minute} resolved: a simulation run, or the reports-only mode on a log.
 * Its output goes to this process's and is kept for the assertion results it prints.
 */
final class GatlingProcess {

  record Result(int exit, List<String> output) {}

  private final String classpath;
  private final String heap;
  /** The operator's token, handed over in the environment (never on a command line others can read). */
  private final String operatorToken;

  GatlingProcess(String classpath, String heap, String operatorToken) {
    this.classpath = classpath;
    this.heap = heap;
    this.operatorToken = operatorToken;
  }

  Result simulate(String simulation, Path results, Map<String, String> properties) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(jvm());
    properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
    command.addAll(List.of("-cp", classpath, "io.gatling.app.Gatling",
        "-s", "claimgate.simulation." + simulation, "-rf", results.toString()));
    return run(command);
  }

  Result reportsOnly(Path results, String runFolder) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(jvm());
    command.addAll(List.of("-cp", classpath, "io.gatling.app.Gatling", "-rf", results.toString(), "-ro", runFolder));
    return run(command);
  }

  /** The newest run folder (one holding a simulation.log) under a results directory. */
  static Optional<Path> newestRun(Path results) throws IOException {
    if (!Files.isDirectory(results)) {
      return Optional.empty();
    }
    try (Stream<Path> runs = Files.list(results)) {
      return runs.filter(d -> Files.isRegularFile(d.resolve("simulation.log")))
          .max(Comparator.comparing(d -> d.toFile().lastModified()));
    }
  }

  /** Gatling's JVM as its Maven plugin starts it: its log writer reads strings' bytes (java.lang opened). */
  private List<String> jvm() {
    return List.of(java(), "-Xmx" + heap, "-XX:+HeapDumpOnOutOfMemoryError", "-XX:MaxInlineLevel=20",
        "-XX:MaxTrivialSize=12", "--add-opens=java.base/java.lang=ALL-UNNAMED");
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private Result run(List<String> command) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    if (operatorToken != null) {
      builder.environment().put("CLAIMGATE_OPERATOR_TOKEN", operatorToken);
    }
    Process process = builder.start();
    List<String> output = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        System.out.println(line);
        output.add(line);
      }
    }
    return new Result(process.waitFor(), output);
  }
}
