package claimgate.allocation;

import claimgate.campaign.CampaignStore;
import claimgate.redis.CampaignRedis;
import claimgate.redis.PipelinedRedis;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The allocator of one campaign: a hot standby until its {@link Leadership} wins the campaign's
 * lock, then the campaign's single writer until it fails or is fenced.
 *
 * <p>As standby it connects to PostgreSQL and Redis and rehearses a takeover ({@link Recovery#load}
 * without the lock), so that the takeover itself runs warm code on open connections. As leader it
 * runs {@link Recovery} (ledger, Redis's derived state, republishing) and then the
 * {@link DecisionLoop}.
 *
 * <p>Crash-only: any failure (a fence, a lost connection, a missed heartbeat, an injected fault)
 * drops the lock, the connections and the in-memory state, and the allocator rejoins the
 * election like a new process. All of it runs on the owning verticle's event loop: the decision
 * thread.
 */
final class CampaignAllocator {

  private static final Logger LOG = LoggerFactory.getLogger(CampaignAllocator.class);

  /** The epoch moved on: another allocator leads this campaign now. */
  static final class Fenced extends RuntimeException {
    Fenced(String campaignId, long epoch) {
      super("allocator of " + campaignId + " at epoch " + epoch + " was fenced off by a newer leader", null, false, false);
    }
  }

  private final Vertx vertx;
  private final Context context;
  private final AllocatorConfig config;
  private final String campaignId;
  private final String name;
  private final Recovery recovery;
  /** When the takeover under way took the lock (System.nanoTime); -1 when none is under way. */
  private volatile long recoveringSince = -1;
  private Leadership leadership;
  private PipelinedRedis reader;
  private PipelinedRedis writer;
  /** Written on the decision thread, read by the health check. */
  private volatile DecisionLoop loop;
  private boolean running = true;
  private boolean rehearsed;
  /** Counts elections; a failure of an earlier term's steps changes nothing. */
  private int term;
  private long retryTimer = -1;

  /** @param context the owning verticle's event-loop context: every step runs on it */
  CampaignAllocator(Context context, AllocatorConfig config, String campaignId, String name) {
    this.vertx = context.owner();
    this.context = context;
    this.config = config;
    this.campaignId = campaignId;
    this.name = name;
    this.recovery = new Recovery(campaignId, config.codes(), name);
  }

  void start() {
    elect();
  }

  boolean isLeader() {
    return loop != null;
  }

  /**
   * How long the decision loop has not begun a step while this allocator leads, or how long its
   * takeover (recovery) has run since it took the lock; -1 when it does not lead. Any thread.
   */
  long stalledNanos(long nowNanos) {
    DecisionLoop leading = loop;
    if (leading != null) {
      return nowNanos - leading.lastStepNanos();
    }
    long since = recoveringSince;
    return since < 0 ? -1 : nowNanos - since;
  }

  long epoch() {
    return leadership == null ? 0 : leadership.epoch();
  }

  Future<Void> stop() {
    running = false;
    vertx.cancelTimer(retryTimer);
    stopLoop();
    return closeConnections();
  }

  private void elect() {
    if (!running) {
      return;
    }
    int myTerm = ++term;
    leadership = new Leadership(context, config, campaignId);
    reader = new PipelinedRedis(vertx, config.stores().redisUrl());
    writer = new PipelinedRedis(vertx, config.stores().redisUrl());
    leadership.session()
        .compose(pg -> rehearsed ? Future.succeededFuture() : rehearse())
        .compose(v -> {
          LOG.info("{} stands by for campaign {}: waits for its lock", name, campaignId);
          return leadership.acquire();
        })
        .compose(election -> lead(myTerm, election))
        .onFailure(failure -> crash(myTerm, failure));
  }

  /** What a takeover runs, without the lock and without writing: loads classes, warms the code. */
  private Future<Void> rehearse() {
    long started = System.nanoTime();
    return Future.all(recovery.load(leadership.connection()), recovery.loadScripts(writer), reader.connection())
        .map(all -> {
          rehearsed = true;
          LOG.info("{} rehearsed a takeover of {} in {} ms", name, campaignId,
              TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
          return null;
        });
  }

  private Future<Void> lead(int myTerm, Row election) {
    long lockedAt = System.nanoTime();
    recoveringSince = lockedAt;
    config.faults().at(FaultHook.Step.RECOVERING, campaignId);
    // each step's wall time, for the log line: where a slow takeover spends it
    long[] steps = new long[4];
    return recovery.load(leadership.connection(), election)
        .map(state -> lap(steps, 0, lockedAt, state))
        .compose(state -> recovery.prepareRedis(leadership.connection(), writer, state, leadership.epoch()))
        .map(state -> lap(steps, 1, lockedAt, state))
        .compose(state -> recovery.republishCommitted(leadership.connection(), writer, state).map(state))
        .map(state -> lap(steps, 2, lockedAt, state))
        .compose(state -> recovery.alignRedis(leadership.connection(), writer, state).map(state))
        .map(state -> lap(steps, 3, lockedAt, state))
        .map(state -> {
          loop = new DecisionLoop(context, config, campaignId, leadership.connection(), reader, writer,
              leadership.epoch(), state, this::reload, failure -> crash(myTerm, failure));
          recoveringSince = -1;
          leadership.keepAlive(failure -> crash(myTerm, failure), versions -> reconcile(myTerm, versions));
          LOG.info("{} leads campaign {} at epoch {} from offset {} (seq {}), ready {} ms after the lock "
              + "(ledger {} ms, Redis checked {} ms, republished {} ms, aligned {} ms)", name,
              campaignId, leadership.epoch(), state.offset(), state.decidedSeq(),
              TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lockedAt), steps[0], steps[1] - steps[0],
              steps[2] - steps[1], steps[3] - steps[2]);
          loop.start();
          return null;
        });
  }

  /** Notes in {@code steps[step]} the ms from {@code since} to now; answers {@code value}. */
  private static <T> T lap(long[] steps, int step, long since, T value) {
    steps[step] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
    return value;
  }

  /**
   * With every heartbeat, Redis is brought in line with PostgreSQL (which is the truth): when
   * Redis restarted or another server took over, the allocator rejoins the election and the
   * election restores everything; flags an operator's write did not bring to Redis are written
   * now; a campaign changed in PostgreSQL is reloaded (and its settings written) before the
   * next batch.
   */
  private void reconcile(int myTerm, CampaignStore.Versions truth) {
    if (myTerm != term || loop == null) {
      return;
    }
    CampaignRedis.intact(writer, campaignId).compose(intact -> {
      if (!intact) {
        crash(myTerm, new IllegalStateException("Redis may have lost the state of " + campaignId + ": it is restored"));
        return Future.succeededFuture();
      }
      return CampaignRedis.held(writer, campaignId).compose(held -> {
        if (loop != null) {
          loop.reloadBefore(truth);
        }
        return held.flagsVersion() < truth.flags()
            ? CampaignRedis.setFlags(writer, campaignId, truth.flags(), truth.paused(), truth.frozen())
            : Future.succeededFuture();
      });
    }).onFailure(failure -> LOG.debug("{}: Redis not reconciled this heartbeat: {}", name, failure.getMessage()));
  }

  /**
   * The campaign as PostgreSQL has it now, and Redis brought in line with it (revocations, and
   * settings an operator's write in flight did not bring).
   */
  private Future<Recovery.State> reload() {
    return recovery.load(leadership.connection())
        .compose(state -> recovery.alignRedis(leadership.connection(), writer, state).map(state));
  }

  private void crash(int failedTerm, Throwable failure) {
    if (failedTerm != term || retryTimer >= 0) {
      return;
    }
    if (failure instanceof Fenced) {
      LOG.warn("{}: {}", name, failure.getMessage());
    } else if (running) {
      LOG.warn("{}: allocator of {} stops and rejoins the election: {}", name, campaignId, failure.toString());
    }
    stopLoop();
    recoveringSince = -1;
    closeConnections().onComplete(closed -> {
      if (running) {
        retryTimer = vertx.setTimer(config.election().retryMs(), id -> context.runOnContext(v -> {
          retryTimer = -1;
          elect();
        }));
      }
    });
  }

  private void stopLoop() {
    if (loop != null) {
      loop.stop();
      loop = null;
    }
  }

  private Future<Void> closeConnections() {
    List<Future<Void>> closing = new ArrayList<>();
    if (leadership != null) {
      closing.add(leadership.release());
    }
    if (reader != null) {
      closing.add(reader.close());
      reader = null;
    }
    if (writer != null) {
      closing.add(writer.close());
      writer = null;
    }
    return Future.join(closing).mapEmpty();
  }
}
