package claimgate.draw;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The draw as anyone recomputes it: a permutation, fixed by seed and list, and uniform. */
class DrawTest {

  static List<String> tickets(int n) {
    List<String> tickets = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      tickets.add("launch.1." + i + ".t" + Integer.toString(i * 7919, 36));
    }
    return tickets;
  }

  /** A fixed seed per number: the test gives the same answer every run. */
  static byte[] seed(int i) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(("seed-" + i).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  @DisplayName("the order is a permutation of the list, the same for the same seed and list, another for another seed or beacon")
  void permutation() throws Exception {
    List<String> list = tickets(500);
    List<String> order = Draw.order(seed(1), null, list);
    assertThat(order).hasSize(500).containsExactlyInAnyOrderElementsOf(list);
    assertThat(new HashSet<>(order)).hasSize(500);
    List<String> reversed = new ArrayList<>(list);
    java.util.Collections.reverse(reversed);
    assertThat(Draw.order(seed(1), null, reversed)).as("the list's order changes nothing").isEqualTo(order);
    assertThat(Draw.order(seed(2), null, list)).isNotEqualTo(order);
    assertThat(Draw.order(seed(1), "beacon 123", list)).isNotEqualTo(order);
    assertThat(Draw.order(seed(1), "beacon 123", list)).isEqualTo(Draw.order(seed(1), "beacon 123", list));
  }

  @Test
  @DisplayName("uniform: over 2,000 fixed seeds, each of 10 entrants (in arrival order) takes each place about equally often (chi-square, p > 0.001)")
  void uniform() throws Exception {
    int n = 10;
    int seeds = 2_000;
    List<String> list = tickets(n);
    long[][] count = new long[n][n];
    for (int s = 0; s < seeds; s++) {
      List<String> order = Draw.order(seed(s), null, list);
      for (int place = 0; place < n; place++) {
        count[list.indexOf(order.get(place))][place]++;
      }
    }
    double expected = (double) seeds / n;
    double chiSquare = 0;
    for (long[] row : count) {
      for (long observed : row) {
        chiSquare += (observed - expected) * (observed - expected) / expected;
      }
    }
    // (10 - 1) x (10 - 1) = 81 degrees of freedom; the 0.999 quantile is 124.84
    assertThat(chiSquare).as("chi-square over arrival x place").isLessThan(124.84);
    // and arrival does not buy a better place: the first and the last to arrive have the same mean place
    double first = 0;
    double last = 0;
    for (int place = 0; place < n; place++) {
      first += (place + 1) * count[0][place];
      last += (place + 1) * count[n - 1][place];
    }
    assertThat(Math.abs(first / seeds - last / seeds)).isLessThan(0.5);
  }

  @Test
  @DisplayName("the commitment and list hash are the documented SHA-256s; the beacon's key is SHA-256(seed || beacon)")
  void documentedHashes() throws Exception {
    byte[] seed = seed(7);
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    assertThat(Draw.commitment(seed)).isEqualTo(Draw.hex(sha.digest(seed)));
    assertThat(Draw.listHash(List.of("a", "b"))).isEqualTo(Draw.hex(sha.digest("a\nb".getBytes(StandardCharsets.UTF_8))));
    sha.update(seed);
    assertThat(Draw.key(seed, "x")).isEqualTo(sha.digest("x".getBytes(StandardCharsets.UTF_8)));
    assertThat(Draw.key(seed, null)).isEqualTo(seed);
  }
}
