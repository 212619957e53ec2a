package claimgate.rehearsal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading and merging Gatling's binary simulation logs, on logs written here byte by byte the way
 * Gatling writes them (each with its own string index); the CI run of two injectors merges real ones.
 */
class SimulationLogTest {

  @TempDir
  Path dir;

  /** Gatling's writer: a run record, then records whose strings are cached per file. */
  static final class GatlingLike implements AutoCloseable {
    final DataOutputStream out;
    final Map<String, Integer> cache = new HashMap<>();

    GatlingLike(Path file, String simulation, long startMs, List<String> scenarios) throws IOException {
      out = new DataOutputStream(Files.newOutputStream(file));
      out.writeByte(0);
      string("3.15.1");
      string(simulation);
      out.writeLong(startMs);
      string("");
      out.writeInt(scenarios.size());
      for (String s : scenarios) {
        string(s);
      }
      out.writeInt(1);
      byte[] assertion = {1, 2, 3, 4, 5};
      out.writeInt(assertion.length);
      out.write(assertion);
    }

    void string(String s) throws IOException {
      byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
      out.writeInt(bytes.length);
      if (bytes.length > 0) {
        out.write(bytes);
        out.writeByte(0);
      }
    }

    void cached(String s) throws IOException {
      Integer index = cache.get(s);
      if (index == null) {
        cache.put(s, cache.size() + 1);
        out.writeInt(cache.size());
        string(s);
      } else {
        out.writeInt(-index);
      }
    }

    void user(int scenario, boolean start, int atMs) throws IOException {
      out.writeByte(2);
      out.writeInt(scenario);
      out.writeBoolean(start);
      out.writeInt(atMs);
    }

    void request(String name, int startMs, int endMs, boolean ok, String message) throws IOException {
      out.writeByte(1);
      out.writeInt(0);
      cached(name);
      out.writeInt(startMs);
      out.writeInt(endMs);
      out.writeBoolean(ok);
      cached(message);
    }

    void error(String message, int atMs) throws IOException {
      out.writeByte(4);
      cached(message);
      out.writeInt(atMs);
    }

    @Override
    public void close() throws IOException {
      out.close();
    }
  }

  @Test
  @DisplayName("merging keeps every request, puts times on the earliest start, maps scenarios by name and re-indexes strings")
  void merge() throws IOException {
    Path a = dir.resolve("a.log");
    Path b = dir.resolve("b.log");
    try (GatlingLike log = new GatlingLike(a, "claimgate.simulation.KillSwitch", 1_000_000, List.of("launch minute", "operator"))) {
      log.user(0, true, 5);
      log.request("claim", 10, 30, true, "");
      log.request("claim", 40, 45, false, "status.find.in(202,409), but actually found 500");
      log.user(1, true, 50);
      log.request("pause", 50, 52, true, "");
      log.error("status.find.in(202,409), but actually found 500", 45);
    }
    // started 2 s later, its own string indices in another order, one scenario only
    try (GatlingLike log = new GatlingLike(b, "claimgate.simulation.KillSwitch", 1_002_000, List.of("launch minute"))) {
      log.request("ticket status", 0, 7, true, "");
      log.user(0, true, 1);
      log.request("claim", 5, 9, false, "j.n.ConnectException: Connection refused");
      log.request("ticket status", 20, 21, true, "");
    }
    Path merged = dir.resolve("merged/simulation.log");
    SimulationLog.merge(List.of(b, a), merged);

    SimulationLog.Run run = SimulationLog.run(merged);
    assertThat(run.startMs()).isEqualTo(1_000_000);
    assertThat(run.scenarios()).containsExactly("launch minute", "operator");
    assertThat(run.assertions()).hasSize(1);
    List<SimulationLog.Request> requests = SimulationLog.requests(merged);
    assertThat(requests).extracting(SimulationLog.Request::name)
        .containsExactly("ticket status", "claim", "ticket status", "claim", "claim", "pause");
    // b's times moved by the 2 s between the starts, a's unchanged
    assertThat(requests.get(0).startMs()).isEqualTo(2_000);
    assertThat(requests.get(2).endMs()).isEqualTo(2_021);
    assertThat(requests.get(3).startMs()).isEqualTo(10);
    assertThat(requests.get(4).message()).isEqualTo("status.find.in(202,409), but actually found 500");

    RunFigures figures = RunFigures.of(requests);
    assertThat(figures.total()).isEqualTo(6);
    assertThat(figures.failed()).isEqualTo(2);
    assertThat(figures.failures()).containsEntry("status 500", 1L)
        .containsEntry("no answer: j.n.ConnectException: Connection refused", 1L);
    assertThat(figures.byRequest().get("claim").count()).isEqualTo(3);
    assertThat(figures.times().max()).isEqualTo(20);
  }

  @Test
  @DisplayName("logs of different simulations are not merged")
  void differentSimulations() throws IOException {
    Path a = dir.resolve("a.log");
    Path b = dir.resolve("b.log");
    try (GatlingLike log = new GatlingLike(a, "claimgate.simulation.LaunchMinute", 1, List.of("launch minute"))) {
      log.request("claim", 1, 2, true, "");
    }
    try (GatlingLike log = new GatlingLike(b, "claimgate.simulation.KillSwitch", 1, List.of("launch minute"))) {
      log.request("claim", 1, 2, true, "");
    }
    assertThatThrownBy(() -> SimulationLog.merge(List.of(a, b), dir.resolve("m.log")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("KillSwitch");
  }

  @Test
  @DisplayName("percentiles by nearest rank: p50 of 1..100 is 50, p99 is 99")
  void percentiles() {
    int[] ms = new int[100];
    for (int i = 0; i < 100; i++) {
      ms[i] = i + 1;
    }
    RunFigures.Times t = RunFigures.Times.of(ms, 0);
    assertThat(t.p50()).isEqualTo(50);
    assertThat(t.p99()).isEqualTo(99);
    assertThat(t.max()).isEqualTo(100);
    assertThat(t.mean()).isEqualTo(50.5);
  }
}
