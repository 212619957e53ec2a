package claimgate.allocation;

import claimgate.campaign.CampaignStore;
import claimgate.ticket.Tickets;
import claimgate.redis.CampaignKeys;
import claimgate.redis.CampaignState;
import claimgate.redis.CampaignRedis;
import claimgate.redis.StreamEntries;
import claimgate.redis.PipelinedRedis;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.SqlConnection;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A leader's loop for one campaign: read a batch from the stream after the committed offset,
 * decide it in memory, commit it in ONE transaction that checks the epoch, and only then publish
 * the outcomes to Redis (invariant 2). Publication of batch n overlaps the reading and deciding
 * of batch n + 1; publications stay in commit order.
 *
 * <p>Single-writer contract: every step runs on the owning allocator's decision thread (asserted);
 * any failure ends the loop through {@code stopped} and the allocator rejoins the election.
 */
final class DecisionLoop {

  private static final Logger LOG = LoggerFactory.getLogger(DecisionLoop.class);

  /** An operator changed what the allocator decides by: reload the campaign from PostgreSQL. */
  static final class DocumentChanged extends RuntimeException {
    DocumentChanged(String campaignId) {
      super("campaign " + campaignId + " was changed by an operator", null, false, false);
    }
  }

  private final Vertx vertx;
  private final Context context;
  private final AllocatorConfig config;
  private final String campaignId;
  private final CampaignKeys keys;
  private final SqlConnection pg;
  private final PipelinedRedis reader;
  private final PipelinedRedis writer;
  private final long epoch;
  private final Tickets tickets;
  private final Consumer<Throwable> stopped;
  private final Supplier<Future<Recovery.State>> reload;
  private Recovery.State state;
  private BatchWriter batches;
  private String offset;
  /** Entries read after the committed offset and not decided yet: a batch takes whole entries. */
  private final ArrayDeque<List<ClaimEntry>> unread = new ArrayDeque<>();
  private String readOffset;
  /** The highest seq committed: an entry at or below it repeats a seq that was decided already. */
  private long decidedSeq;
  /** Repeated entries whose queue counters a publication has yet to release. */
  private final List<ClaimEntry> repeatsToRelease = new ArrayList<>();
  private int committedReleasedBp = -1;
  private boolean reloadWanted;
  /** The pre-queue's draw being served, or null. */
  private PrequeueDraw draw;
  /** Whether PostgreSQL was asked, since the state was adopted, for a draw a leader left unfinished. */
  private boolean drawLookedUp;
  private boolean running = true;
  private volatile long lastStepNanos = System.nanoTime();
  private Future<Void> publishing = Future.succeededFuture();
  private final DrainRate drainRate;
  private final long statsTimer;

  DecisionLoop(Context context, AllocatorConfig config, String campaignId, SqlConnection pg, PipelinedRedis reader,
      PipelinedRedis writer, long epoch, Recovery.State state, Supplier<Future<Recovery.State>> reload,
      Consumer<Throwable> stopped) {
    this.vertx = context.owner();
    this.context = context;
    this.config = config;
    this.campaignId = campaignId;
    this.keys = new CampaignKeys(campaignId);
    this.pg = pg;
    this.reader = reader;
    this.writer = writer;
    this.epoch = epoch;
    this.stopped = stopped;
    this.reload = reload;
    this.tickets = new Tickets(config.codes());
    adopt(state);
    drainRate = new DrainRate(writer, keys);
    statsTimer = vertx.setPeriodic(1_000, id -> context.runOnContext(tick -> drainRate.report()));
  }

  /** Decides by a freshly loaded state from now on. */
  private void adopt(Recovery.State reloaded) {
    this.state = reloaded;
    this.batches = config.decisions().publicLog()
        ? new BatchWriter(reloaded.campaign(), reloaded.versions(), new claimgate.log.Pseudonyms(config.codes()))
        : BatchWriter.withoutLog(reloaded.campaign());
    this.offset = reloaded.offset();
    this.readOffset = reloaded.offset();
    this.decidedSeq = reloaded.decidedSeq();
    this.unread.clear();
    this.draw = null;
    this.drawLookedUp = false;
    // released counts follow contingents an operator may have raised: the next commit re-releases
    this.committedReleasedBp = -1;
  }

  void start() {
    step();
  }

  void stop() {
    running = false;
    vertx.cancelTimer(statsTimer);
  }

  /** When the loop last began a step (System.nanoTime), read by the health check from another thread. */
  long lastStepNanos() {
    return lastStepNanos;
  }

  private void step() {
    if (!running) {
      return;
    }
    lastStepNanos = System.nanoTime();
    assert Vertx.currentContext() == context : "allocator of " + campaignId + " left its decision thread";
    // the read first: on this connection the flag and fingerprint are then read after the batch
    // arrived, so a claim admitted after an operator's change is never decided by the old state
    // (claims read ahead were read before the flags of an earlier step, which is as safe)
    Future<Void> work;
    if (!drawLookedUp) {
      work = lookUpDraw();
    } else if (draw != null) {
      // a frozen campaign decides nothing, in a draw as anywhere
      work = frozen().compose(frozen -> frozen ? vertx.timer(config.decisions().blockMs()).mapEmpty() : drawStep());
    } else {
      Future<List<ClaimEntry>> batch = readBatch();
      Future<Boolean> frozen = frozen();
      work = Future.all(frozen, batch)
          // a frozen campaign decides nothing; the batch is read again later
          .compose(both -> frozen.result() ? unreadAll().compose(v -> vertx.timer(config.decisions().blockMs()).mapEmpty())
              : process(batch.result()));
    }
    work
        // an operator's change: this leader stays and decides by the campaign as PostgreSQL has it now
        .recover(failure -> failure instanceof DocumentChanged ? reloadState() : Future.failedFuture(failure))
        .onComplete(done -> context.runOnContext(v -> {
          if (!running) {
            return;
          }
          if (done.succeeded()) {
            step();
          } else {
            running = false;
            vertx.cancelTimer(statsTimer);
            stopped.accept(done.cause());
          }
        }));
  }

  /**
   * On the reader connection, right behind the read: never queued behind a publication. Fails
   * with {@link DocumentChanged} when an operator changed the campaign since it was loaded.
   */
  private Future<Boolean> frozen() {
    return CampaignState.read(reader, campaignId)
        .compose(now -> reloadWanted || now.configVersion() > state.versions().config()
              || now.revocationsWanted() > state.versions().revocations()
              ? Future.failedFuture(new DocumentChanged(campaignId))
              : Future.succeededFuture(now.frozen()));
  }

  /** Asks for a reload before the next batch when PostgreSQL has a newer campaign, or newer revocations, than this leader decides by. */
  void reloadBefore(CampaignStore.Versions truth) {
    if (truth.config() > state.versions().config() || truth.revocations() > state.versions().revocations()) {
      reloadWanted = true;
    }
  }

  private Future<Void> reloadState() {
    reloadWanted = false;
    LOG.info("campaign {} was changed by an operator; the leader reloads it", campaignId);
    // the batch already read is read again after the committed offset, under the new state
    return publishing.transform(published -> reload.get()).compose(reloaded -> onDecisionThread().map(reloaded))
        .map(reloaded -> {
          adopt(reloaded);
          return null;
        });
  }

  /**
   * The next batch: whole stream entries, up to {@code batchSize} claims (at least one entry),
   * from what was read ahead, else read now.
   */
  private Future<List<ClaimEntry>> readBatch() {
    if (!unread.isEmpty()) {
      return Future.succeededFuture(takeBatch());
    }
    Request read = Request.cmd(Command.XREAD).arg("COUNT").arg(config.decisions().batchSize())
        .arg("BLOCK").arg(config.decisions().blockMs()).arg("STREAMS").arg(keys.stream()).arg(readOffset);
    return reader.send(read).map(response -> {
      for (List<StreamEntries.Claim> entry : StreamEntries.read(response)) {
        List<ClaimEntry> claims = new ArrayList<>(entry.size());
        for (StreamEntries.Claim c : entry) {
          claims.add(new ClaimEntry(c.streamId(), c.generation(), c.seq(),
              tickets.issue(campaignId, c.generation(), c.seq()), c.citizenId(), c.merchantIds(), c.chargedMerchant(),
              c.admittedAtMs(), c.tier(), c.requestId(), c.prequeuedFor(), 0));
        }
        unread.addLast(claims);
        readOffset = entry.get(0).streamId();
      }
      return takeBatch();
    });
  }

  /** Whole entries; never a pre-queue's entries with others (a pre-queue is served by its draw). */
  private List<ClaimEntry> takeBatch() {
    List<ClaimEntry> batch = new ArrayList<>();
    while (!unread.isEmpty() && (batch.isEmpty() || batch.size() + unread.peekFirst().size() <= config.decisions().batchSize()
        && unread.peekFirst().get(0).prequeuedFor() == batch.get(0).prequeuedFor())) {
      batch.addAll(unread.pollFirst());
    }
    return batch;
  }

  /** Forgets what was read ahead: the next read starts again after the committed offset. */
  private Future<Void> unreadAll() {
    unread.clear();
    readOffset = offset;
    return Future.succeededFuture();
  }

  private Future<Void> process(List<ClaimEntry> batch) {
    if (batch.isEmpty()) {
      return Future.succeededFuture();
    }
    if (batch.get(0).prequeuedFor() > 0) {
      return openDraw(batch);
    }
    return decide(batch);
  }

  /** A draw a previous leader froze and did not finish is served first, from PostgreSQL's list. */
  private Future<Void> lookUpDraw() {
    return claimgate.draw.Draws.unfinished(pg, campaignId)
        .compose(found -> found.isEmpty() ? Future.succeededFuture(java.util.Optional.<claimgate.draw.Draws.Stored>empty())
            : claimgate.draw.Draws.load(pg, campaignId, found.get()))
        .compose(stored -> stored.isEmpty() ? onDecisionThread().map((PrequeueDraw) null)
            : offDecisionThread(() -> PrequeueDraw.of(stored.get(), campaignId, new Tickets(config.codes())).ordered()))
        .map(continued -> {
          drawLookedUp = true;
          if (continued != null) {
            draw = continued;
            LOG.info("campaign {}: the draw of the opening at {} continues at place {} of {}", campaignId,
                continued.opensAtMs(), continued.placesDecided() + 1, continued.size());
          }
          return null;
        });
  }

  /**
   * The stream reached a pre-queue: once Redis's clock has passed its opening (no entry can join
   * it after that), its list is read whole, kept in PostgreSQL and its hash logged; then its draw
   * is served ({@link #drawStep}).
   */
  private Future<Void> openDraw(List<ClaimEntry> batch) {
    long opensAt = batch.get(0).prequeuedFor();
    unreadAll();
    return redisTimeMs().compose(now -> {
      if (now < opensAt) {
        return vertx.timer(Math.max(1, Math.min(opensAt - now, config.decisions().blockMs()))).mapEmpty();
      }
      return claimgate.draw.Draws.load(pg, campaignId, opensAt).compose(stored -> {
        if (stored.isEmpty() || stored.get().finished()) {
          // an opening an operator moved after its pre-queue filled (no seed was committed for it),
          // or an entry that joined a pre-queue after its draw (a Redis whose clock ran behind):
          // no fair draw can take them in; they are decided in arrival order, as admitted then
          LOG.error("campaign {}: claims wait for an opening at {} whose draw {}; they are decided in arrival order",
              campaignId, opensAt, stored.isEmpty() ? "does not exist" : "was served already");
          return readBatch().map(entries -> entries.stream().map(ClaimEntry::arrived).toList()).compose(this::decide);
        }
        if (stored.get().frozen()) {
          return offDecisionThread(() -> PrequeueDraw.of(stored.get(), campaignId, new Tickets(config.codes())).ordered())
              .map(frozen -> {
                draw = frozen;
                return null;
              });
        }
        record Frozen(List<ClaimEntry> list, String entries, String listHash) {}
        return PrequeueDraw.readFrozen(reader, keys, offset, opensAt, tickets)
            .compose(list -> offDecisionThread(() -> new Frozen(list, PrequeueDraw.encode(list), PrequeueDraw.listHash(list))))
            .compose(read -> {
              List<ClaimEntry> list = read.list();
              ClaimEntry last = list.get(list.size() - 1);
              long lastSeq = list.stream().mapToLong(ClaimEntry::seq).max().orElseThrow();
              return batches.freezeDraw(pg, epoch, offset, decidedSeq, Math.max(0, committedReleasedBp), opensAt,
                      read.entries(), list.size(), read.listHash(), last.streamId(), list.get(0).seq(), lastSeq)
                  .compose(v -> claimgate.draw.Draws.load(pg, campaignId, opensAt))
                  .compose(frozen -> offDecisionThread(() -> new PrequeueDraw(frozen.orElseThrow(), list).ordered()))
                  .map(frozen -> {
                    draw = frozen;
                    LOG.info("campaign {}: the pre-queue of the opening at {} is frozen with {} claims (list hash {})",
                        campaignId, opensAt, list.size(), read.listHash());
                    return null;
                  });
            });
      });
    });
  }

  /** Redis's clock, which admission judges openings by. */
  private Future<Long> redisTimeMs() {
    return reader.send(Request.cmd(Command.TIME)).map(time ->
        time.get(0).toLong() * 1000 + time.get(1).toLong() / 1000);
  }

  /**
   * The draw's next places, decided in draw order in one batch: its first batch reveals the seed
   * in the log; its last moves the stream offset past the whole pre-queue.
   */
  private Future<Void> drawStep() {
    PrequeueDraw serving = draw;
    if (!serving.stored().ready()) {
      // outside randomness was named in advance: the draw waits until an operator enters it
      return claimgate.draw.Draws.load(pg, campaignId, serving.opensAtMs())
          .compose(stored -> onDecisionThread().map(stored))
          .compose(stored -> {
            PrequeueDraw reloaded = serving.withStored(stored.orElseThrow());
            if (!reloaded.stored().ready()) {
              draw = reloaded;
              return vertx.timer(config.decisions().blockMs()).mapEmpty();
            }
            // the beacon came: the order, off the decision thread
            return offDecisionThread(reloaded::ordered).map(ordered -> {
              draw = ordered;
              return null;
            });
          });
    }
    config.faults().at(FaultHook.Step.AFTER_READ, campaignId);
    SingleWriterLedger ledger = state.ledger();
    List<ClaimEntry> places = serving.next(config.decisions().batchSize());
    List<Decision> decisions = new ArrayList<>(places.size());
    for (ClaimEntry entry : places) {
      decisions.add(ledger.decide(entry));
    }
    claimgate.draw.Draws.Stored stored = serving.stored();
    boolean last = serving.placesDecided() + places.size() >= serving.size();
    int releasedBp = ledger.releasedBp();
    String streamId = last ? stored.lastStreamId() : offset;
    long seqAfter = last ? Math.max(decidedSeq, stored.lastSeq()) : decidedSeq;
    BatchWriter.DrawStep step = new BatchWriter.DrawStep(serving.opensAtMs(), serving.placesDecided() + places.size(),
        claimgate.draw.Draw.hex(stored.seed()), stored.beaconValue(), serving.placesDecided() == 0);
    return batches.commit(pg, epoch, decisions, streamId, seqAfter, releasedBp, releasedBp != committedReleasedBp, step,
            () -> config.faults().at(FaultHook.Step.BEFORE_COMMIT, campaignId))
        .compose(issuedAt -> onDecisionThread().map(issuedAt))
        .map(issuedAt -> {
          committedReleasedBp = releasedBp;
          serving.decided(places.size());
          drainRate.decided(decisions.size());
          config.faults().at(FaultHook.Step.AFTER_COMMIT, campaignId);
          Publication publication = publication(decisions, issuedAt);
          if (last) {
            publication.endingDraw(serving.opensAtMs(), serving.size(), stored.lastSeq(), stored.lastStreamId());
            offset = streamId;
            readOffset = streamId;
            decidedSeq = seqAfter;
            unread.clear();
            draw = null;
            LOG.info("campaign {}: the draw of the opening at {} is served: {} places", campaignId, serving.opensAtMs(),
                serving.size());
          } else {
            publication.inDraw(serving.opensAtMs(), serving.placesDecided());
          }
          publish(publication);
          return null;
        });
  }

  private Future<Void> decide(List<ClaimEntry> batch) {
    config.faults().at(FaultHook.Step.AFTER_READ, campaignId);
    SingleWriterLedger ledger = state.ledger();
    List<Decision> decisions = new ArrayList<>(batch.size());
    List<ClaimEntry> repeats = new ArrayList<>();
    java.util.Set<Long> seqs = new java.util.HashSet<>();
    for (ClaimEntry entry : batch) {
      // a seq given out twice (only a Redis that lost writes without the gate noticing could):
      // the first one stands; the repeat is decided by no one, its ticket ends rejected/lost
      // (decided seq passed it, PostgreSQL has no row of it) and the stream moves on
      if (entry.seq() <= decidedSeq || !seqs.add(entry.seq())) {
        repeats.add(entry);
      } else {
        decisions.add(ledger.decide(entry));
      }
    }
    if (!repeats.isEmpty()) {
      LOG.error("campaign {}: {} stream entries repeat a seq already decided (first: seq {}, ticket {}); "
          + "they end rejected/lost", campaignId, repeats.size(), repeats.get(0).seq(), repeats.get(0).ticket());
    }
    ClaimEntry last = batch.get(batch.size() - 1);
    int releasedBp = ledger.releasedBp();
    long highestSeq = Math.max(decidedSeq, decisions.stream().mapToLong(d -> d.claim().seq()).max().orElse(0));
    Future<Instant> committed = decisions.isEmpty()
        // released counts move with a batch's own rows; this moves the offset alone
        ? batches.advance(pg, epoch, last.streamId(), highestSeq, Math.max(0, committedReleasedBp))
        : batches.commit(pg, epoch, decisions, last.streamId(), highestSeq, releasedBp, releasedBp != committedReleasedBp,
            () -> config.faults().at(FaultHook.Step.BEFORE_COMMIT, campaignId));
    return committed
        .compose(issuedAt -> onDecisionThread().map(issuedAt))
        .map(issuedAt -> {
          if (!decisions.isEmpty()) {
            committedReleasedBp = releasedBp;
          }
          offset = last.streamId();
          decidedSeq = highestSeq;
          drainRate.decided(decisions.size());
          repeatsToRelease.addAll(repeats);
          config.faults().at(FaultHook.Step.AFTER_COMMIT, campaignId);
          if (!decisions.isEmpty()) {
            // the publication's decided seq must rise for Redis to take it: repeats ride with decisions
            publish(publication(decisions, issuedAt));
          }
          return null;
        });
  }

  /**
   * Queues a committed batch's publication behind the previous one, so the next batch is read
   * and decided while Redis applies it. A publication that fails ends the leadership, and the
   * next leader republishes from what Redis last applied.
   */
  private void publish(Publication publication) {
    long forgetAtMs = CampaignRedis.forgetAtMs(state.campaign());
    publishing = publishing.compose(v -> publication.send(writer, keys, forgetAtMs));
    publishing.onFailure(failure -> context.runOnContext(v -> {
      if (running) {
        running = false;
        vertx.cancelTimer(statsTimer);
        stopped.accept(failure);
      }
    }));
  }

  /**
   * Work too long for the decision thread (a draw's order, its list encoded or decoded: a tenth of
   * a second for 50,000 claims) on a worker; continues on the decision thread. The loop waits for
   * it, so nothing else of this campaign runs meanwhile.
   */
  private <T> Future<T> offDecisionThread(java.util.concurrent.Callable<T> work) {
    return vertx.executeBlocking(work, false).compose(result -> onDecisionThread().map(result));
  }

  /** Continues on the decision thread, whichever thread completed the previous step. */
  private Future<Void> onDecisionThread() {
    if (Vertx.currentContext() == context) {
      return Future.succeededFuture();
    }
    Promise<Void> hop = Promise.promise();
    context.runOnContext(v -> hop.complete());
    return hop.future();
  }

  private Publication publication(List<Decision> decisions, Instant issuedAt) {
    SingleWriterLedger ledger = state.ledger();
    Publication publication = new Publication();
    Instant expires = batches.expiry(issuedAt);
    var campaign = state.campaign();
    List<JsonObject> receipts = batches.receipts();
    for (int i = 0; i < decisions.size(); i++) {
      Decision d = decisions.get(i);
      ClaimEntry c = d.claim();
      JsonObject outcome;
      if (d instanceof Decision.Confirmed ok) {
        outcome = Publication.confirmed(ok.code(), ok.merchantId(), campaign.voucherValue(), campaign.currency(), expires);
        publication.issued(ok.merchantId(), ledger.issued(ok.merchantId()));
      } else {
        outcome = Publication.rejected(((Decision.Rejected) d).reason());
      }
      if (receipts.size() == decisions.size()) {
        outcome.put("receipt", receipts.get(i));
      }
      publication.add(c.ticket(), c.seq(), c.streamId(), c.citizenId(), c.chargedMerchant(), outcome);
      publication.held(c.citizenId(), ledger.held(c.citizenId()), ledger.heldAt(c.citizenId()));
    }
    for (ClaimEntry repeat : repeatsToRelease) {
      publication.released(repeat.citizenId(), repeat.chargedMerchant());
      publication.held(repeat.citizenId(), ledger.held(repeat.citizenId()), ledger.heldAt(repeat.citizenId()));
    }
    repeatsToRelease.clear();
    return publication;
  }
}
