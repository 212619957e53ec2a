package claimgate.admission;

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
 * Group commit of admissions on one event loop: the claims of a campaign that arrive together
 * go to Redis as ONE {@link AdmissionScript} call. Flushing adapts to the load: with no batch of
 * the campaign in flight, the claims that arrived in this turn of the event loop are sent at
 * once; while one is in flight, claims gather until its answer comes, until {@code maxClaims}
 * are waiting, or until the oldest has waited {@code windowMs}, whichever is first. A lone
 * claim therefore never waits for a window, and under load batches fill by themselves.
 *
 * <p>Not thread-safe: one per verticle, used on its event loop.
 *
 * <pre>
 *   batcher.admit(campaignId, claim).onSuccess(admission -> ...);
 * </pre>
 */
public final class AdmissionBatcher {

  private final Vertx vertx;
  private final Context context;
  private final AdmissionScript script;
  private final int maxClaims;
  private final long windowMs;
  private final long timeoutMs;
  private final Map<String, Lane> lanes = new HashMap<>();

  /** The claims of one campaign waiting here, and whether a batch of them is in flight. */
  private final class Lane {
    final String campaignId;
    List<AdmissionScript.Claim> claims = new ArrayList<>();
    List<Promise<Admission>> answers = new ArrayList<>();
    int inFlight;
    boolean flushScheduled;
    long windowTimer = -1;

    Lane(String campaignId) {
      this.campaignId = campaignId;
    }
  }

  /**
   * @param maxClaims most claims in one call
   * @param windowMs longest a claim waits behind a batch in flight
   * @param timeoutMs a batch not answered by then fails, every claim in it with it
   */
  public AdmissionBatcher(Context context, AdmissionScript script, int maxClaims, long windowMs, long timeoutMs) {
    this.vertx = context.owner();
    this.context = context;
    this.script = script;
    this.maxClaims = maxClaims;
    this.windowMs = windowMs;
    this.timeoutMs = timeoutMs;
  }

  public Future<Admission> admit(String campaignId, AdmissionScript.Claim claim) {
    Lane lane = lanes.computeIfAbsent(campaignId, Lane::new);
    Promise<Admission> answer = Promise.promise();
    lane.claims.add(claim);
    lane.answers.add(answer);
    if (lane.claims.size() >= maxClaims) {
      flush(lane);
    } else if (lane.inFlight == 0) {
      // at the end of this turn of the event loop: claims read in the same turn share the call
      if (!lane.flushScheduled) {
        lane.flushScheduled = true;
        context.runOnContext(v -> {
          lane.flushScheduled = false;
          if (lane.inFlight == 0) {
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
    if (lane.claims.isEmpty()) {
      return;
    }
    List<AdmissionScript.Claim> claims = lane.claims;
    List<Promise<Admission>> answers = lane.answers;
    lane.claims = new ArrayList<>();
    lane.answers = new ArrayList<>();
    lane.inFlight++;
    script.admit(lane.campaignId, claims)
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .onComplete(done -> {
          lane.inFlight--;
          if (done.succeeded()) {
            List<Admission> result = done.result();
            for (int i = 0; i < answers.size(); i++) {
              answers.get(i).complete(result.get(i));
            }
          } else {
            answers.forEach(a -> a.fail(done.cause()));
          }
          if (lane.inFlight == 0 && !lane.claims.isEmpty()) {
            flush(lane);
          }
        });
  }
}
