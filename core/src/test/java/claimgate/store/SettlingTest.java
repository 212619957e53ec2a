package claimgate.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SettlingTest {

  private static final List<Long> QUIET = List.of(900L, 600L, 300L, 40L, 20L, 10L);

  @Test
  void steadyAndCompiledIsSettled() {
    assertThat(Settling.settled(List.of(500L, 1800L, 2400L, 2500L, 2450L, 2480L), QUIET)).isTrue();
  }

  @Test
  void fewerThanFiveWindowsNeverSettle() {
    assertThat(Settling.settled(List.of(2500L, 2500L, 2500L, 2500L), List.of(0L, 0L, 0L, 0L))).isFalse();
  }

  @Test
  void aRateStillRisingIsNotSettled() {
    assertThat(Settling.settled(List.of(500L, 1000L, 1500L, 2000L, 3000L, 4000L), QUIET)).isFalse();
  }

  /**
   * A gateway's warm-up on a slow machine that once ended here: its last three windows within 10 %
   * of their mean, but still climbing, and its compilers on a whole core.
   */
  @Test
  void aWarmUpStillClimbingAndCompilingIsNotSettled() {
    List<Long> work = List.of(245L, 848L, 1425L, 2054L, 2167L, 2422L);
    List<Long> compiling = List.of(1500L, 1475L, 1320L, 1172L, 1127L, 1109L);
    assertThat(Settling.settled(work, compiling)).isFalse();
    assertThat(Settling.settled(work, QUIET)).as("climbing").isFalse();
    List<Long> steady = List.of(245L, 848L, 1425L, 2354L, 2467L, 2422L);
    assertThat(Settling.settled(steady, compiling)).as("compiling").isFalse();
    assertThat(Settling.settled(steady, List.of(1500L, 1475L, 1320L, 1172L, 1127L, 90L))).as("compiling a window ago")
        .isFalse();
    assertThat(Settling.settled(steady, List.of(1500L, 1475L, 1320L, 1172L, 100L, 90L))).isTrue();
  }

  /** A second's count on a shared machine moves by 15-30 % on its own. */
  @Test
  void noiseAroundASteadyRateIsSettled() {
    // a gateway's warm-up seconds on this machine once its compilers were done
    assertThat(Settling.settled(List.of(500L, 5000L, 8583L, 11036L, 8386L, 11084L), QUIET)).isTrue();
    assertThat(Settling.settled(List.of(500L, 2000L, 3500L, 5000L, 8000L, 11000L), QUIET)).as("still climbing").isFalse();
    assertThat(Settling.settled(List.of(500L, 1000L, 1600L, 2000L, 2400L, 2800L), QUIET)).as("climbing a sixth a second")
        .isFalse();
  }

  @Test
  void noWorkIsNotSettled() {
    assertThat(Settling.settled(List.of(0L, 0L, 0L, 0L, 0L), List.of(0L, 0L, 0L, 0L, 0L))).isFalse();
  }

  @Test
  void windowsCountTheWorkDonePerSecond() throws InterruptedException {
    Settling settling = new Settling();
    Thread.sleep(200);
    settling.window(100);
    // about 500 a second: 100 in a fifth of a second, less if the sleep overran
    assertThat(settling.lastRate()).isBetween(100L, 500L);
    assertThat(settling.toString()).startsWith("per second [").contains("compiling ms [");
  }
}
