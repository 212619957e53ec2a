package claimgate.gateway;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Group commit on one event loop: the requests of a lane (a campaign's claims, say) that arrive
 * together go to their store as ONE call (one Redis script, one SQL statement). Flushing adapts
 * to the load: while fewer than {@code maxInFlight} batches of the lane are in flight, the items
 * that arrived in this turn of the event loop are sent at the end of the turn; once that many are
 * in flight, items gather until one of them is answered, until {@code maxItems} are waiting, or
 * until the oldest has waited {@code windowMs}, whichever is first. A lone item therefore never
 * waits for a window, and under load batches fill by themselves.
 *
 * <p>More than one batch in flight suits a store that runs the calls of one connection in the
 * order they were sent (a pipelined Redis connection): the next batch is already waiting there
 * when the one before is done, so the store does not idle while its answer travels back and the
 * event loop gets round to sending. Calls that may run side by side and lock the same rows (SQL
 * on a pool) keep one in flight; a full batch ({@code maxItems}) still leaves at once, beside
 * those out.
 *
 * <p>Not thread-safe: one per verticle, used on its event loop.
 *
 * <pre>
 *   GroupCommit<Claim, Admission> admissions = new GroupCommit<>(context, script::admit, 64, 2, 1, 5_000);
 *   admissions.submit(campaignId, claim).onSuccess(admission -> ...);
 * </pre>
 *
 * @param <I> one request
 * @param <O> its answer
 */
public final class GroupCommit<I, O> {

  /** Commits a lane's batch; answers one result per item, in the items' order. */
  @FunctionalInterface
  public interface Commit<I, O> {
    Future<List<O>> commit(String lane, List<I> items);
  }

  private final Vertx vertx;
  private final Context context;
  private final Commit<I, O> commit;
  private final int maxItems;
  private final int maxInFlight;
  private final long windowMs;
  private final long timeoutMs;
  private final Map<String, Lane> lanes = new HashMap<>();

  /** The items of one lane waiting here, and whether a batch of them is in flight. */
  private final class Lane {
    final String name;
    List<I> items = new ArrayList<>();
    List<Promise<O>> answers = new ArrayList<>();
    int inFlight;
    boolean flushScheduled;
    long windowTimer = -1;

    Lane(String name) {
      this.name = name;
    }
  }

  /**
   * @param maxItems most items in one call
   * @param maxInFlight most batches of a lane in flight at once
   * @param windowMs longest an item waits behind a batch in flight
   * @param timeoutMs a batch not answered by then fails, every item in it with it
   */
  public GroupCommit(Context context, Commit<I, O> commit, int maxItems, int maxInFlight, long windowMs, long timeoutMs) {
    if (maxItems < 1 || maxInFlight < 1) {
      throw new IllegalArgumentException("a batch holds at least one item and at least one batch is in flight");
    }
    this.vertx = context.owner();
    this.context = context;
    this.commit = commit;
    this.maxItems = maxItems;
    this.maxInFlight = maxInFlight;
    this.windowMs = windowMs;
    this.timeoutMs = timeoutMs;
  }

  public Future<O> submit(String laneName, I item) {
    Lane lane = lanes.computeIfAbsent(laneName, Lane::new);
    Promise<O> answer = Promise.promise();
    lane.items.add(item);
    lane.answers.add(answer);
    if (lane.items.size() >= maxItems) {
      flush(lane);
    } else if (lane.inFlight < maxInFlight) {
      // at the end of this turn of the event loop: items read in the same turn share the call
      if (!lane.flushScheduled) {
        lane.flushScheduled = true;
        context.runOnContext(v -> {
          lane.flushScheduled = false;
          if (lane.inFlight < maxInFlight) {
            flush(lane);
          }
        });
      }
    } else if (lane.windowTimer < 0) {
      lane.windowTimer = vertx.setTimer(windowMs, id -> {
        lane.windowTimer = -1;
        flush(lane);
      });
    }
    return answer.future();
  }

  private void flush(Lane lane) {
    if (lane.windowTimer >= 0) {
      vertx.cancelTimer(lane.windowTimer);
      lane.windowTimer = -1;
    }
    if (lane.items.isEmpty()) {
      return;
    }
    List<I> items = lane.items;
    List<Promise<O>> answers = lane.answers;
    lane.items = new ArrayList<>();
    lane.answers = new ArrayList<>();
    lane.inFlight++;
    commit.commit(lane.name, items)
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .onComplete(done -> {
          lane.inFlight--;
          if (done.succeeded()) {
            List<O> result = done.result();
            for (int i = 0; i < answers.size(); i++) {
              answers.get(i).complete(result.get(i));
            }
          } else {
            answers.forEach(a -> a.fail(done.cause()));
          }
          if (lane.inFlight < maxInFlight && !lane.items.isEmpty()) {
            flush(lane);
          }
        });
  }
}
