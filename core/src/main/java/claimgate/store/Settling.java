package claimgate.store;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * The warm-ups' stopping rule, over one-second windows: settled once the work done (claims
 * admitted, claims decided) is steady AND the JIT compilers are done, after at least
 * {@value #MIN_WINDOWS} windows. Done compiling: at most {@value #QUIET_JIT_MS} ms of compilation
 * in each of the last two windows (a tenth of a core). Steady: the last three windows within 25 %
 * of their mean (a shared machine's own noise moves a second's count by 15-30 %, which a tighter
 * bound mistook for a warm-up still going, once the compilers were done), and the last no more
 * than 15 % of that mean above the first of them (no longer climbing). A window's figures are
 * per second of the time it really lasted (a timer on a busy event loop fires late).
 *
 * <p>Throughput alone was not enough: on a slow machine a warm-up's rate rose by a few percent a
 * second while the compilers used a whole core, met a 10 % rule after six windows, and the
 * gateway's first ten seconds of real traffic then ran at 0.69 of its steady rate while its
 * compilers used 6 s of CPU.
 *
 * <p>Not thread-safe: one per warm-up, on the thread that runs it.
 */
public final class Settling {

  static final int MIN_WINDOWS = 5;
  static final long QUIET_JIT_MS = 100;

  private final CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
  private final List<Long> work = new ArrayList<>();
  private final List<Long> compilingMs = new ArrayList<>();
  private long lastDone;
  private long lastJitMs;
  private long lastNanos;

  public Settling() {
    lastJitMs = jitMs();
    lastNanos = System.nanoTime();
  }

  /** Closes a window at which the work done so far has reached {@code done}. */
  public void window(long done) {
    long nowJit = jitMs();
    long nowNanos = System.nanoTime();
    double seconds = Math.max(1e-3, (nowNanos - lastNanos) / 1e9);
    work.add(Math.round((done - lastDone) / seconds));
    compilingMs.add(Math.round((nowJit - lastJitMs) / seconds));
    lastDone = done;
    lastJitMs = nowJit;
    lastNanos = nowNanos;
  }

  public boolean settled() {
    return settled(work, compilingMs);
  }

  /** The work done per second in the last window, 0 before the first. */
  public long lastRate() {
    return work.isEmpty() ? 0 : work.get(work.size() - 1);
  }

  @Override
  public String toString() {
    return "per second " + work + ", compiling ms " + compilingMs;
  }

  static boolean settled(List<Long> work, List<Long> compilingMs) {
    if (work.size() < MIN_WINDOWS) {
      return false;
    }
    List<Long> last = work.subList(work.size() - 3, work.size());
    double mean = last.stream().mapToLong(Long::longValue).average().orElse(0);
    boolean steady = mean > 0 && last.stream().allMatch(w -> Math.abs(w - mean) <= 0.25 * mean)
        && last.get(2) - last.get(0) <= 0.15 * mean;
    boolean compiled = compilingMs.subList(compilingMs.size() - 2, compilingMs.size()).stream()
        .allMatch(ms -> ms <= QUIET_JIT_MS);
    return steady && compiled;
  }

  /** Milliseconds the JIT compilers have spent so far; 0 throughout where the JVM does not say. */
  private long jitMs() {
    return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
  }
}
