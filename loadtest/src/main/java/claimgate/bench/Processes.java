package claimgate.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Processes a benchmark starts (the gateway, the allocator, the bare ceiling, a generator) and
 * the CPU each spends, read from {@code /proc/PID/stat}: user plus system time, the figure that
 * survives a noisy shared machine.
 */
final class Processes {

  private static final double TICKS_PER_SECOND = 100;

  private Processes() {}

  /** The java the roles run on: {@code -DroleJava=/path/to/java}, else this JVM's. */
  static String java() {
    return System.getProperty("roleJava", Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /** This JVM's classpath, for mains of the loadtest module started as processes of their own. */
  static String classpath() {
    return System.getProperty("java.class.path");
  }

  /** Starts a process with its output in {@code log}. */
  static Process start(List<String> command, Map<String, String> env, Path log) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(env);
    return builder.start();
  }

  static List<String> jvm(List<String> options, String... rest) {
    List<String> command = new ArrayList<>();
    command.add(java());
    command.addAll(options);
    command.addAll(List.of(rest));
    return command;
  }

  /**
   * The machine's CPU time so far, all cores, in clock ticks: {busy, total} ({@code /proc/stat};
   * idle and waiting for I/O are not busy; guest time is inside user and nice). {0, 0} where it
   * cannot be read.
   */
  static long[] machineTicks() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      // user nice system idle iowait irq softirq steal
      long total = 0;
      for (int i = 1; i <= 8 && i < f.length; i++) {
        total += Long.parseLong(f[i]);
      }
      return new long[] {total - Long.parseLong(f[4]) - Long.parseLong(f[5]), total};
    } catch (IOException | RuntimeException e) {
      return new long[] {0, 0};
    }
  }

  /** CPU seconds (user + system) a process has used so far, its threads included. */
  static double cpuSeconds(long pid) {
    try {
      return cpuTicks(Files.readString(Path.of("/proc/" + pid + "/stat"))) / TICKS_PER_SECOND;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /** User + system clock ticks of a {@code /proc/.../stat} line (a process's or a thread's). */
  private static long cpuTicks(String stat) {
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  /**
   * CPU seconds the JIT compiler threads of a JVM have used so far ({@code C1 CompilerThre...},
   * {@code C2 CompilerThre...} under {@code /proc/PID/task}): whether a JVM is still compiling.
   * Only live threads count: a JVM that starts more compiler threads than two (on more cores)
   * and lets idle ones end would show less than it used; on two cores it keeps its two.
   */
  static double compilerSeconds(long pid) {
    long ticks = 0;
    try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : tasks.toList()) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
            ticks += cpuTicks(stat);
          }
        } catch (IOException | RuntimeException threadGone) {
          // a compiler thread that ended between the listing and the read
        }
      }
      return ticks / TICKS_PER_SECOND;
    } catch (IOException e) {
      return Double.NaN;
    }
  }
}
