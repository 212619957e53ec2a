package claimgate.allocation;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignFiles;
import claimgate.campaign.CampaignStore;
import claimgate.keys.CampaignKeys;
import claimgate.keys.LuaScript;
import claimgate.keys.PipelinedRedis;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The allocator of one campaign: standby until it wins the campaign's advisory lock, then the
 * campaign's single writer until it fails or is fenced.
 *
 * <p>As leader it bumps the writer epoch, rebuilds its {@link SingleWriterLedger} from
 * PostgreSQL, publishes whatever the previous leader committed but did not publish, and then
 * loops: read a batch from the stream after the committed offset, decide it in memory, commit
 * it in ONE transaction that checks the epoch, and only then publish the outcomes to Redis.
 *
 * <p>Crash-only: any failure (a fence, a lost connection, an injected fault) drops the lock, the
 * connections and the in-memory state, and the allocator rejoins the election like a new
 * process. All of it runs on the owning verticle's event loop: the decision thread.
 */
final class CampaignAllocator {

  private static final Logger LOG = LoggerFactory.getLogger(CampaignAllocator.class);
  private static final LuaScript FLOOR_SEQ = LuaScript.load("floor_seq.lua");
  private static final int RECOVERY_CHUNK = 1000;

  /** An operator changed what the allocator decides by: reload the campaign from PostgreSQL. */
  static final class DocumentChanged extends RuntimeException {
    DocumentChanged(String campaignId) {
      super("campaign " + campaignId + " was changed by an operator; reloading it", null, false, false);
    }
  }

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
  private final CampaignKeys keys;
  private final String name;

  private SqlConnection pg;
  private PipelinedRedis reader;
  private PipelinedRedis writer;
  private boolean running = true;
  private boolean leader;
  private long electionTimer = -1;
  private long statsTimer = -1;

  // leader state, valid only while leader
  private Campaign campaign;
  private String allocationVersion;
  private boolean pausedAtElection;
  private boolean frozenAtElection;
  private SingleWriterLedger ledger;
  private long epoch;
  private String offset;
  private long decidedSeq;
  private int committedReleasedBp;
  private long decidedTotal;
  private long decidedAtLastTick;
  private double drainPerSecond;
  private Future<Void> publishing = Future.succeededFuture();

  /** @param context the owning verticle's event-loop context: every step runs on it */
  CampaignAllocator(Context context, AllocatorConfig config, String campaignId, String name) {
    this.vertx = context.owner();
    this.context = context;
    this.config = config;
    this.campaignId = campaignId;
    this.keys = new CampaignKeys(campaignId);
    this.name = name;
  }

  void start() {
    elect();
  }

  boolean isLeader() {
    return leader;
  }

  long epoch() {
    return epoch;
  }

  Future<Void> stop() {
    running = false;
    vertx.cancelTimer(electionTimer);
    vertx.cancelTimer(statsTimer);
    return closeConnections();
  }

  // ---- election -------------------------------------------------------------------------

  private void elect() {
    if (!running) {
      return;
    }
    connectPg()
        .compose(conn -> conn.preparedQuery(Queries.TRY_LOCK).execute(Tuple.of(campaignId)))
        .onSuccess(rows -> {
          if (rows.iterator().next().getBoolean(0)) {
            lead();
          } else {
            electionTimer = schedule(config.electionRetryMs(), this::elect);
          }
        })
        .onFailure(this::crash);
  }

  /** Runs {@code step} on the decision thread after {@code delayMs}, whatever thread asks. */
  private long schedule(long delayMs, Runnable step) {
    return vertx.setTimer(delayMs, id -> context.runOnContext(v -> step.run()));
  }

  private Future<SqlConnection> connectPg() {
    if (pg != null) {
      return Future.succeededFuture(pg);
    }
    return PgConnection.connect(vertx, new PgConnectOptions(config.database().options()))
        .map(conn -> (SqlConnection) conn)
        .onSuccess(conn -> {
          pg = conn;
          conn.closeHandler(closed -> {
            if (pg == conn) {
              pg = null;
            }
          });
        });
  }

  private void lead() {
    reader = new PipelinedRedis(vertx, config.redisUrl());
    writer = new PipelinedRedis(vertx, config.redisUrl());
    pg.preparedQuery(Queries.BUMP_EPOCH).execute(Tuple.of(campaignId))
        .compose(this::loadLedger)
        .compose(v -> prepareRedis())
        .compose(v -> republishCommitted())
        .onSuccess(v -> {
          leader = true;
          publishing = Future.succeededFuture();
          LOG.info("{} leads campaign {} at epoch {} from offset {} (seq {})", name, campaignId, epoch, offset, decidedSeq);
          statsTimer = vertx.setPeriodic(1_000, id -> context.runOnContext(tick -> reportDrainRate()));
          loop();
        })
        .onFailure(this::crash);
  }

  private Future<Void> loadLedger(RowSet<Row> bumped) {
    Row row = bumped.iterator().next();
    epoch = row.getLong("writer_epoch");
    offset = row.getString("stream_offset");
    decidedSeq = row.getLong("decided_seq");
    int storedReleasedBp = row.getInteger("released_bp");
    // released counts follow contingents an operator may have raised: the first commit re-releases
    committedReleasedBp = -1;
    Object document = row.getValue("document");
    campaign = CampaignFiles.parseJsonUnvalidated(document instanceof JsonObject o ? o.encode() : String.valueOf(document));
    allocationVersion = CampaignStore.allocationVersion(campaign);
    pausedAtElection = row.getBoolean("paused");
    frozenAtElection = row.getBoolean("frozen");
    Future<RowSet<Row>> merchants = pg.preparedQuery(Queries.MERCHANTS).execute(Tuple.of(campaignId));
    Future<RowSet<Row>> holdings = merchants.compose(r -> pg.preparedQuery(Queries.HOLDINGS).execute(Tuple.of(campaignId)));
    Future<RowSet<Row>> eligible = holdings.compose(r -> pg.preparedQuery(Queries.ELIGIBLE).execute(Tuple.of(campaignId)));
    Future<RowSet<Row>> serial = eligible.compose(r -> pg.preparedQuery(Queries.NEXT_SERIAL).execute(Tuple.of(campaignId)));
    return serial.map(s -> {
      Map<String, Integer> issued = new HashMap<>();
      merchants.result().forEach(r -> issued.put(r.getString(0), r.getInteger(1)));
      Map<String, Integer> held = new HashMap<>();
      holdings.result().forEach(r -> held.put(SingleWriterLedger.holdingKey(r.getString(0), r.getString(1)), r.getInteger(2)));
      Map<String, Integer> eligibleTiers = null;
      if (campaign.eligibility() != null) {
        eligibleTiers = new HashMap<>();
        for (Row r : eligible.result()) {
          eligibleTiers.put(r.getString(0), r.getInteger(1));
        }
      }
      ledger = new SingleWriterLedger(campaign, config.codes(), issued, held, eligibleTiers,
          s.iterator().next().getLong(0), storedReleasedBp);
      return null;
    });
  }

  /**
   * Admission settings, issued counts, the seq floor and the operator's flags, in case Redis lost
   * them. Flags are only ever set here, never cleared: a pause that raced this election stands.
   */
  private Future<Void> prepareRedis() {
    Request issued = Request.cmd(Command.HSET).arg(keys.issued());
    campaign.merchants().forEach(m -> issued.arg(m.id()).arg(ledger.issued(m.id())));
    List<Future<?>> writes = new ArrayList<>(List.of(
        CampaignStore.configureRedis(writer, campaign, Optional.empty()),
        writer.send(issued),
        FLOOR_SEQ.call(writer::send, List.of(keys.seq()), List.of(Long.toString(decidedSeq)))));
    if (pausedAtElection) {
      writes.add(writer.send(Request.cmd(Command.HSET).arg(keys.flags()).arg("paused").arg("1")));
    }
    if (frozenAtElection) {
      writes.add(writer.send(Request.cmd(Command.HSET).arg(keys.flags()).arg("frozen").arg("1")));
    }
    return Future.all(writes).mapEmpty();
  }

  /** Publishes decisions committed after the seq Redis knows: the last leader may have died first. */
  private Future<Void> republishCommitted() {
    return writer.send(Request.cmd(Command.GET).arg(keys.decided())).compose(published -> {
      long publishedSeq = published == null ? 0 : Long.parseLong(published.toString());
      return publishedSeq >= decidedSeq ? Future.succeededFuture() : republishFrom(publishedSeq);
    });
  }

  private Future<Void> republishFrom(long afterSeq) {
    return pg.preparedQuery(Queries.DECIDED_SINCE).execute(Tuple.of(campaignId, afterSeq, RECOVERY_CHUNK))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.succeededFuture();
          }
          Publication publication = new Publication();
          for (Row r : rows) {
            String code = r.getString("code");
            JsonObject outcome = code == null
                ? Publication.rejected(r.getString("reason"))
                : Publication.confirmed(code, r.getString("merchant_id"), r.getBigDecimal("value"),
                    r.getString("currency"), r.getOffsetDateTime("expires_at").toInstant());
            publication.add(r.getString("ticket"), r.getLong("seq"), r.getString("stream_id"),
                r.getString("citizen_id"), r.getString("charged_merchant"), outcome);
            if (code != null) {
              publication.held(r.getString("citizen_id"), ledger.held(r.getString("citizen_id")));
              publication.issued(r.getString("merchant_id"), ledger.issued(r.getString("merchant_id")));
            }
          }
          LOG.info("{} republishes {} committed decisions of {} after seq {}", name, rows.size(), campaignId, afterSeq);
          long last = publication.lastSeq();
          return publication.send(writer, keys).compose(v -> republishFrom(last));
        });
  }

  // ---- the decision loop ----------------------------------------------------------------

  private void loop() {
    if (!running || !leader) {
      return;
    }
    assert Vertx.currentContext() == context : "allocator of " + campaignId + " left its decision thread";
    // the read first: on this connection the flag and fingerprint are then read after the batch
    // arrived, so a claim admitted after an operator's change is never decided by the old state
    Future<List<ClaimEntry>> batch = readBatch();
    Future<Boolean> frozen = frozen();
    Future.all(frozen, batch)
        // a frozen campaign decides nothing; the batch read is simply read again later
        .compose(both -> frozen.result() ? pauseWhileFrozen() : process(batch.result()))
        .onComplete(done -> context.runOnContext(v -> {
          if (done.succeeded()) {
            loop();
          } else {
            crash(done.cause());
          }
        }));
  }

  /**
   * On the reader connection, right behind the read: never queued behind a publication. Fails
   * with {@link DocumentChanged} when an operator changed the campaign since the election.
   */
  private Future<Boolean> frozen() {
    Future<Response> frozen = reader.send(Request.cmd(Command.HGET).arg(keys.flags()).arg("frozen"));
    Future<Response> version = reader.send(Request.cmd(Command.HGET).arg(keys.config()).arg("version"));
    return Future.all(frozen, version).compose(both -> version.result() != null
            && !allocationVersion.equals(version.result().toString())
        ? Future.failedFuture(new DocumentChanged(campaignId))
        : Future.succeededFuture(frozen.result() != null && "1".equals(frozen.result().toString())));
  }

  private Future<Void> pauseWhileFrozen() {
    return vertx.timer(config.blockMs()).mapEmpty();
  }

  private Future<List<ClaimEntry>> readBatch() {
    Request read = Request.cmd(Command.XREAD).arg("COUNT").arg(config.batchSize())
        .arg("BLOCK").arg(config.blockMs()).arg("STREAMS").arg(keys.stream()).arg(offset);
    return reader.send(read).map(CampaignAllocator::entries);
  }

  static List<ClaimEntry> entries(Response response) {
    if (response == null) {
      return List.of();
    }
    // RESP3 answers a map {stream: entries}, RESP2 an array [[stream, entries]]
    Response streamEntries = response.getKeys() != null && !response.getKeys().isEmpty()
        ? response.get(response.getKeys().iterator().next())
        : response.get(0).get(1);
    List<ClaimEntry> entries = new ArrayList<>(streamEntries.size());
    for (Response entry : streamEntries) {
      String id = entry.get(0).toString();
      Response fields = entry.get(1);
      Map<String, String> f = new HashMap<>();
      for (int i = 0; i + 1 < fields.size(); i += 2) {
        f.put(fields.get(i).toString(), fields.get(i + 1).toString());
      }
      String tier = f.get("r");
      entries.add(new ClaimEntry(id, Long.parseLong(f.get("s")), f.get("t"), f.get("c"),
          Arrays.asList(f.get("m").split(",")), f.get("k"), ClaimEntry.timeOf(id),
          tier == null || tier.isEmpty() ? null : Integer.valueOf(tier)));
    }
    return entries;
  }

  private Future<Void> process(List<ClaimEntry> batch) {
    if (batch.isEmpty()) {
      return Future.succeededFuture();
    }
    config.faults().at(FaultHook.Step.AFTER_READ, campaignId);
    List<Decision> decisions = new ArrayList<>(batch.size());
    for (ClaimEntry entry : batch) {
      decisions.add(ledger.decide(entry));
    }
    ClaimEntry last = batch.get(batch.size() - 1);
    Instant now = Instant.now();
    return commit(decisions, last, now)
        .compose(v -> onDecisionThread())
        .compose(v -> {
          offset = last.streamId();
          decidedSeq = last.seq();
          decidedTotal += decisions.size();
          config.faults().at(FaultHook.Step.AFTER_COMMIT, campaignId);
          publish(publication(decisions, now));
          return Future.succeededFuture();
        });
  }

  /**
   * Queues a committed batch's publication behind the previous one, so the next batch is read
   * and decided while Redis applies it. Publications stay in commit order; one that fails ends
   * the leadership, and the next leader republishes from what Redis last applied.
   */
  private void publish(Publication publication) {
    publishing = publishing.compose(v -> publication.send(writer, keys));
    publishing.onFailure(failure -> context.runOnContext(v -> {
      if (leader) {
        crash(failure);
      }
    }));
  }

  /** Continues on the decision thread, whichever thread completed the previous step. */
  private Future<Void> onDecisionThread() {
    if (Vertx.currentContext() == context) {
      return Future.succeededFuture();
    }
    io.vertx.core.Promise<Void> hop = io.vertx.core.Promise.promise();
    context.runOnContext(v -> hop.complete());
    return hop.future();
  }

  private Future<Void> commit(List<Decision> decisions, ClaimEntry last, Instant now) {
    int releasedBp = ledger.releasedBp();
    return pg.begin().compose(tx -> writeBatch(decisions, last, releasedBp, now)
        .compose(v -> {
          config.faults().at(FaultHook.Step.BEFORE_COMMIT, campaignId);
          return tx.commit();
        })
        .onSuccess(v -> committedReleasedBp = releasedBp)
        .recover(failure -> rollback(tx, failure)));
  }

  private static Future<Void> rollback(Transaction tx, Throwable failure) {
    return tx.rollback().transform(ignored -> Future.failedFuture(failure));
  }

  private Future<Void> writeBatch(List<Decision> decisions, ClaimEntry last, int releasedBp, Instant now) {
    int n = decisions.size();
    String[] tickets = new String[n];
    Long[] seqs = new Long[n];
    String[] streamIds = new String[n];
    String[] citizens = new String[n];
    String[] merchantLists = new String[n];
    String[] charged = new String[n];
    String[] statuses = new String[n];
    String[] reasons = new String[n];
    String[] codes = new String[n];
    List<Decision.Confirmed> confirmed = new ArrayList<>();
    Map<String, Integer> issuedDelta = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      Decision d = decisions.get(i);
      ClaimEntry c = d.claim();
      tickets[i] = c.ticket();
      seqs[i] = c.seq();
      streamIds[i] = c.streamId();
      citizens[i] = c.citizenId();
      merchantLists[i] = String.join(",", c.merchantIds());
      charged[i] = c.chargedMerchant();
      if (d instanceof Decision.Confirmed ok) {
        statuses[i] = "confirmed";
        codes[i] = ok.code();
        confirmed.add(ok);
        issuedDelta.merge(ok.merchantId(), 1, Integer::sum);
      } else {
        statuses[i] = "rejected";
        reasons[i] = ((Decision.Rejected) d).reason();
      }
    }
    // every statement is sent at once (pipelined on this connection); the fence is read before COMMIT
    Future<RowSet<Row>> advance = pg.preparedQuery(Queries.ADVANCE)
        .execute(Tuple.of(campaignId, last.streamId(), last.seq(), epoch, releasedBp));
    List<Future<?>> statements = new ArrayList<>();
    statements.add(advance);
    if (releasedBp != committedReleasedBp) {
      statements.add(pg.preparedQuery(Queries.RELEASE).execute(Tuple.of(campaignId, releasedBp)));
    }
    statements.add(pg.preparedQuery(Queries.INSERT_CLAIMS).execute(Tuple.wrap(
        new Object[] {campaignId, epoch, tickets, seqs, streamIds, citizens, merchantLists, charged, statuses, reasons, codes})));
    if (!confirmed.isEmpty()) {
      statements.add(insertVouchers(confirmed, now));
      statements.add(pg.preparedQuery(Queries.ADD_ISSUED).execute(Tuple.of(campaignId,
          issuedDelta.keySet().toArray(String[]::new), issuedDelta.values().toArray(Integer[]::new))));
    }
    return Future.all(statements).compose(all -> advance.result().rowCount() == 1
        ? Future.succeededFuture()
        : Future.failedFuture(new Fenced(campaignId, epoch)));
  }

  private Future<Void> insertVouchers(List<Decision.Confirmed> confirmed, Instant now) {
    int n = confirmed.size();
    String[] codes = new String[n];
    String[] merchants = new String[n];
    String[] citizens = new String[n];
    String[] tickets = new String[n];
    Long[] serials = new Long[n];
    Integer[] citizenSlots = new Integer[n];
    Integer[] merchantSlots = new Integer[n];
    for (int i = 0; i < n; i++) {
      Decision.Confirmed c = confirmed.get(i);
      codes[i] = c.code();
      merchants[i] = c.merchantId();
      citizens[i] = c.claim().citizenId();
      tickets[i] = c.claim().ticket();
      serials[i] = c.serial();
      citizenSlots[i] = c.citizenSlot();
      merchantSlots[i] = c.merchantSlot();
    }
    OffsetDateTime issuedAt = now.atOffset(ZoneOffset.UTC);
    return pg.preparedQuery(Queries.INSERT_VOUCHERS).execute(Tuple.wrap(new Object[] {
        campaignId, campaign.limits().perCitizen(), campaign.limits().perCitizenPerMerchant(),
        campaign.voucherValue(), campaign.currency(), issuedAt, expiry(issuedAt),
        codes, merchants, citizens, tickets, serials, citizenSlots, merchantSlots})).mapEmpty();
  }

  private OffsetDateTime expiry(OffsetDateTime issuedAt) {
    return issuedAt.plus(campaign.validDays(), ChronoUnit.DAYS);
  }

  private Publication publication(List<Decision> decisions, Instant now) {
    Publication publication = new Publication();
    Instant expires = expiry(now.atOffset(ZoneOffset.UTC)).toInstant();
    for (Decision d : decisions) {
      ClaimEntry c = d.claim();
      JsonObject outcome;
      if (d instanceof Decision.Confirmed ok) {
        outcome = Publication.confirmed(ok.code(), ok.merchantId(), campaign.voucherValue(), campaign.currency(), expires);
        publication.issued(ok.merchantId(), ledger.issued(ok.merchantId()));
        publication.held(c.citizenId(), ledger.held(c.citizenId()));
      } else {
        outcome = Publication.rejected(((Decision.Rejected) d).reason());
      }
      publication.add(c.ticket(), c.seq(), c.streamId(), c.citizenId(), c.chargedMerchant(), outcome);
    }
    return publication;
  }

  private void reportDrainRate() {
    long delta = decidedTotal - decidedAtLastTick;
    decidedAtLastTick = decidedTotal;
    drainPerSecond = drainPerSecond == 0 ? delta : 0.5 * drainPerSecond + 0.5 * delta;
    writer.send(Request.cmd(Command.HSET).arg(keys.stats()).arg("drainPerSecond")
            .arg(String.format(java.util.Locale.ROOT, "%.1f", drainPerSecond)))
        .onFailure(failure -> LOG.debug("drain rate not reported: {}", failure.getMessage()));
  }

  // ---- failure --------------------------------------------------------------------------

  private void crash(Throwable failure) {
    if (failure instanceof Fenced) {
      LOG.warn("{}: {}", name, failure.getMessage());
    } else if (failure instanceof DocumentChanged) {
      LOG.info("{}: {}", name, failure.getMessage());
    } else if (running) {
      LOG.warn("{}: allocator of {} stops and rejoins the election: {}", name, campaignId, failure.toString());
    }
    leader = false;
    ledger = null;
    vertx.cancelTimer(statsTimer);
    closeConnections().onComplete(closed -> {
      if (running) {
        electionTimer = schedule(config.electionRetryMs(), this::elect);
      }
    });
  }

  private Future<Void> closeConnections() {
    List<Future<Void>> closing = new ArrayList<>();
    if (pg != null) {
      closing.add(pg.close());
      pg = null;
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
