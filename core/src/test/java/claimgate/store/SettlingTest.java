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

  /** A gateway's warm-up on a slow machine: within 10 % for three windows, the compilers on a core. */
  @Test
  void compilersStillBusyAreNotSettled() {
    List<Long> work = List.of(245L, 848L, 1425L, 2054L, 2167L, 2422L);
    assertThat(Settling.settled(work, List.of(1500L, 1475L, 1320L, 1172L, 1127L, 1109L))).isFalse();
    assertThat(Settling.settled(work, List.of(1500L, 1475L, 1320L, 1172L, 1127L, 90L))).isFalse();
    assertThat(Settling.settled(work, List.of(1500L, 1475L, 1320L, 1172L, 100L, 90L))).isTrue();
  }

  /** A second's count on a shared machine moves by 10-15 % on its own. */
  @Test
  void noiseAroundASteadyRateIsSettled() {
    // a gateway's warm-up seconds on this machine once its compilers were done
    assertThat(Settling.settled(List.of(500L, 5000L, 8583L, 11036L, 8386L, 11084L), QUIET)).isTrue();
    assertThat(Settling.settled(List.of(500L, 2000L, 3500L, 5000L, 8000L, 11000L), QUIET)).as("still climbing").isFalse();
  }

  @Test
  void noWorkIsNotSettled() {
    assertThat(Settling.settled(List.of(0L, 0L, 0L, 0L, 0L), List.of(0L, 0L, 0L, 0L, 0L))).isFalse();
  }

  @Test
  void windowsCountTheWorkDoneInEach() {
    Settling settling = new Settling();
    settling.window(100);
    settling.window(350);
    assertThat(settling.lastRate()).isEqualTo(250);
    assertThat(settling.toString()).startsWith("per second [100, 250], compiling ms [");
  }
}
