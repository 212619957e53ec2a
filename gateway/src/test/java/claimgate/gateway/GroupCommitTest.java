package claimgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * When a lane's items leave as a batch: at the end of the event loop's turn while fewer than
 * {@code maxInFlight} batches are out, else when one is answered, when {@code maxItems} wait, or
 * when the oldest has waited the window; and every item gets its own batch's answer. The store is
 * played by promises the test completes, so the order of events is the test's to choose.
 */
@ExtendWith(VertxExtension.class)
class GroupCommitTest {

  /** A batch handed to the store, and the promise that answers it. */
  record Sent(List<String> items, Promise<List<String>> answer) {
    /** Answers each item with itself in capitals. */
    void reply() {
      answer.complete(items.stream().map(String::toUpperCase).toList());
    }
  }

  private Context context;
  private final List<Sent> sent = new ArrayList<>();

  @BeforeEach
  void context(Vertx vertx) {
    context = vertx.getOrCreateContext();
  }

  private GroupCommit<String, String> commit(int maxItems, int maxInFlight, long windowMs) {
    return commit(maxItems, maxInFlight, windowMs, 5_000);
  }

  private GroupCommit<String, String> commit(int maxItems, int maxInFlight, long windowMs, long timeoutMs) {
    return on(() -> new GroupCommit<>(context, (lane, items) -> {
      Promise<List<String>> answer = Promise.promise();
      sent.add(new Sent(List.copyOf(items), answer));
      return answer.future();
    }, maxItems, maxInFlight, windowMs, timeoutMs));
  }

  /** Runs {@code work} in one turn of the lane's event loop; the turns it scheduled have run when this returns. */
  private <T> T on(Supplier<T> work) {
    CompletableFuture<T> result = new CompletableFuture<>();
    context.runOnContext(v -> {
      T value = work.get();
      // after what this turn scheduled on the context: its end-of-turn flushes
      context.runOnContext(w -> result.complete(value));
    });
    return result.orTimeout(5, TimeUnit.SECONDS).join();
  }

  private List<Future<String>> submit(GroupCommit<String, String> commit, String... items) {
    return on(() -> {
      List<Future<String>> answers = new ArrayList<>();
      for (String item : items) {
        answers.add(commit.submit("lane", item));
      }
      return answers;
    });
  }

  private List<List<String>> batches() {
    return on(() -> sent.stream().map(Sent::items).toList());
  }

  private static String answerOf(Future<String> future) {
    return future.toCompletionStage().toCompletableFuture().orTimeout(5, TimeUnit.SECONDS).join();
  }

  @Test
  @DisplayName("the items of one turn leave together at its end; with one batch out, the next turn's items wait for its answer")
  void oneInFlight() {
    GroupCommit<String, String> commit = commit(64, 1, 10_000);
    List<Future<String>> first = submit(commit, "a", "b");
    assertThat(batches()).containsExactly(List.of("a", "b"));

    List<Future<String>> waiting = submit(commit, "c");
    waiting.addAll(submit(commit, "d"));
    assertThat(batches()).as("c and d wait while a-b is out").hasSize(1);

    on(() -> { sent.get(0).reply(); return null; });
    assertThat(first).extracting(GroupCommitTest::answerOf).containsExactly("A", "B");
    assertThat(batches()).containsExactly(List.of("a", "b"), List.of("c", "d"));
    on(() -> { sent.get(1).reply(); return null; });
    assertThat(waiting).extracting(GroupCommitTest::answerOf).containsExactly("C", "D");
  }

  @Test
  @DisplayName("with two in flight the next turn's batch leaves before the first is answered; a third waits, and each item gets its own batch's answer")
  void twoInFlight() {
    GroupCommit<String, String> commit = commit(64, 2, 10_000);
    List<Future<String>> first = submit(commit, "a");
    List<Future<String>> second = submit(commit, "b", "c");
    assertThat(batches()).containsExactly(List.of("a"), List.of("b", "c"));

    List<Future<String>> third = submit(commit, "d");
    third.addAll(submit(commit, "e"));
    assertThat(batches()).as("d and e wait: two batches are out").hasSize(2);

    // the second answered first: its place is taken by the waiting items, as one batch
    on(() -> { sent.get(1).reply(); return null; });
    assertThat(second).extracting(GroupCommitTest::answerOf).containsExactly("B", "C");
    assertThat(first.get(0).isComplete()).isFalse();
    assertThat(batches()).containsExactly(List.of("a"), List.of("b", "c"), List.of("d", "e"));

    on(() -> { sent.get(0).reply(); sent.get(2).reply(); return null; });
    assertThat(first).extracting(GroupCommitTest::answerOf).containsExactly("A");
    assertThat(third).extracting(GroupCommitTest::answerOf).containsExactly("D", "E");
  }

  @Test
  @DisplayName("with every slot taken, maxItems waiting leave at once (a full batch may run beside those out), and a lone item leaves after the window")
  void fullBatchAndWindow() {
    GroupCommit<String, String> commit = commit(3, 1, 1_000);
    submit(commit, "a");
    // checked in the turn that submitted: a full batch leaves then, not on the window's timer
    List<List<String>> inTheSameTurn = on(() -> {
      for (String item : List.of("b", "c", "d")) {
        commit.submit("lane", item);
      }
      return sent.stream().map(Sent::items).toList();
    });
    assertThat(inTheSameTurn).as("three waiting: a full batch leaves without waiting for the one out")
        .containsExactly(List.of("a"), List.of("b", "c", "d"));

    long submitted = System.nanoTime();
    submit(commit, "e");
    assertThat(batches()).as("e waits: a batch is out").hasSize(2);
    long deadline = System.currentTimeMillis() + 5_000;
    while (batches().size() < 3 && System.currentTimeMillis() < deadline) {
      on(() -> null);
    }
    assertThat(batches()).as("e leaves when its window closes").containsExactly(List.of("a"), List.of("b", "c", "d"), List.of("e"));
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - submitted)).isGreaterThanOrEqualTo(1_000);
  }

  @Test
  @DisplayName("a batch not answered within the timeout fails its items, and frees its slot for the items waiting")
  void unansweredBatchTimesOut() {
    GroupCommit<String, String> commit = commit(64, 1, 60_000, 200);
    List<Future<String>> lost = submit(commit, "a");
    List<Future<String>> waiting = submit(commit, "b");
    assertThat(batches()).hasSize(1);
    assertThatThrownBy(() -> answerOf(lost.get(0))).hasRootCauseInstanceOf(java.util.concurrent.TimeoutException.class);
    long deadline = System.currentTimeMillis() + 5_000;
    while (batches().size() < 2 && System.currentTimeMillis() < deadline) {
      on(() -> null);
    }
    assertThat(batches()).as("b leaves once a's batch has timed out, long before its window").containsExactly(List.of("a"), List.of("b"));
    on(() -> { sent.get(1).reply(); return null; });
    assertThat(waiting).extracting(GroupCommitTest::answerOf).containsExactly("B");
  }

  @Test
  @DisplayName("a failed batch fails its own items only, and frees its slot: the lane goes on")
  void failureStaysInItsBatch() {
    GroupCommit<String, String> commit = commit(64, 1, 60_000);
    List<Future<String>> failing = submit(commit, "a", "b");
    List<Future<String>> fine = submit(commit, "c");
    on(() -> { sent.get(0).answer().fail(new IllegalStateException("store gone")); return null; });
    assertThat(failing).allSatisfy(f -> assertThatThrownBy(() -> answerOf(f)).hasMessageContaining("store gone"));
    // with one in flight, c leaves only once the failed batch's slot is free again
    assertThat(batches()).containsExactly(List.of("a", "b"), List.of("c"));
    on(() -> { sent.get(1).reply(); return null; });
    assertThat(fine).extracting(GroupCommitTest::answerOf).containsExactly("C");

    List<Future<String>> after = submit(commit, "d");
    assertThat(batches()).last().isEqualTo(List.of("d"));
    on(() -> { sent.get(2).reply(); return null; });
    assertThat(after).extracting(GroupCommitTest::answerOf).containsExactly("D");
  }

  @Test
  @DisplayName("a lane without room for an item or a batch is refused when it is made")
  void refusesEmptyBounds() {
    assertThatThrownBy(() -> new GroupCommit<String, String>(context, (lane, items) -> Future.succeededFuture(items), 0, 1, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new GroupCommit<String, String>(context, (lane, items) -> Future.succeededFuture(items), 1, 0, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
