package claimgate.allocation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The pre-queue's frozen list as the draw table keeps it: what a takeover reads back. */
class FrozenListTest {

  @Test
  @DisplayName("a frozen list keeps each claim's admission time, which may precede its stream entry's id")
  void keepsAdmissionTimes() {
    // judged at 1999, a millisecond before the opening at 2000; its entry's id was taken at 2001
    ClaimEntry claim = new ClaimEntry("2001-0", 3, 7, AllocatorFixture.TICKETS.issue("frozen", 3, 7), "c1",
        List.of("m1", "m2"), "m1", 1999, 2, "r1", 2000, 0);
    List<ClaimEntry> back = PrequeueDraw.decode(PrequeueDraw.encode(List.of(claim)), "frozen", 2000, AllocatorFixture.TICKETS);
    assertThat(back).containsExactly(claim);
    assertThat(back.get(0).admittedAtMs()).as("before the opening, as the script judged it").isEqualTo(1999);
  }

  @Test
  @DisplayName("a list frozen before admission times were kept times its claims by their stream ids")
  void olderListsByTheirIds() {
    String older = "2001-0\t3\t7\tc1\tm1,m2\tm1\t2\tr1";
    ClaimEntry back = PrequeueDraw.decode(older, "frozen", 2000, AllocatorFixture.TICKETS).get(0);
    assertThat(back.admittedAtMs()).isEqualTo(2001);
    assertThat(back.seq()).isEqualTo(7);
    assertThat(back.tier()).isEqualTo(2);
  }
}
