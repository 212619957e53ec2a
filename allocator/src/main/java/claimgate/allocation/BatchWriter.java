package claimgate.allocation;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignStore;
import claimgate.log.DecisionLog;
import claimgate.log.Pseudonyms;
import claimgate.store.FreshStatistics;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes one decided batch in ONE PostgreSQL transaction: the fence (the stream offset moves
 * only while the writer's epoch is current), the round release, the claims, the vouchers, the
 * merchants' issued counts and the public log's records (each claim's admission and decision,
 * a release), every statement sent at once (pipelined on the connection), then COMMIT. CHECK constraints and slot uniqueness refuse oversell and limit breaches whatever the
 * writer does. The allocator benchmark's ceiling writes its rows through this class too, so the
 * ceiling is never slower than the allocator's own way of writing.
 *
 * <pre>
 *   Future<Instant> issuedAt = new BatchWriter(campaign, versions, pseudonyms).commit(conn, epoch, decisions, releasedBp, true, () -> {});
 * </pre>
 */
public final class BatchWriter {

  private final Campaign campaign;
  private final Pseudonyms pseudonyms;
  private final CampaignStore.Versions versions;
  /** Whether a batch of this writer has committed the rules it decides by to the log. */
  private boolean rulesLogged;
  /** The planner's statistics of the voucher table while it fills from empty ({@link FreshStatistics}). */
  private final FreshStatistics vouchers = new FreshStatistics("voucher");
  /** The receipts of the batch written last (committed or not): per decision, in order; empty without the log. */
  private List<JsonObject> receipts = List.of();

  /** @param versions the campaign's config and revocations versions the writer's decisions follow */
  public BatchWriter(Campaign campaign, CampaignStore.Versions versions, Pseudonyms pseudonyms) {
    this.campaign = campaign;
    this.versions = versions;
    this.pseudonyms = pseudonyms;
  }

  /** A writer of everything but the public log: only to measure what the log costs. */
  public static BatchWriter withoutLog(Campaign campaign) {
    return new BatchWriter(campaign, null, null);
  }

  /**
   * @param writeRelease whether the merchants' released counts must be raised to {@code releasedBp}
   * @param beforeCommit runs after every row is written and before COMMIT (tests crash there)
   * @return PostgreSQL's time of the transaction, which vouchers are issued at (and expire by, as
   *     redemption judges them); fails with {@link CampaignAllocator.Fenced} when another
   *     writer's epoch is current
   */
  public Future<Instant> commit(SqlConnection conn, long epoch, List<Decision> decisions, int releasedBp,
      boolean writeRelease, Runnable beforeCommit) {
    ClaimEntry last = decisions.get(decisions.size() - 1).claim();
    return commit(conn, epoch, decisions, last.streamId(), last.seq(), releasedBp, writeRelease, beforeCommit);
  }

  /**
   * @param streamId the stream offset the batch ends at (entries after the last decision may have
   *     been passed over: repeated seqs)
   * @param decidedSeq the highest seq decided so far
   */
  public Future<Instant> commit(SqlConnection conn, long epoch, List<Decision> decisions, String streamId,
      long decidedSeq, int releasedBp, boolean writeRelease, Runnable beforeCommit) {
    return commit(conn, epoch, decisions, streamId, decidedSeq, releasedBp, writeRelease, null, beforeCommit);
  }

  /**
   * A batch of a pre-queue's draw, decided in place order: its first batch reveals the seed in the
   * log, and every batch moves the draw's progress in the same transaction.
   *
   * @param placesDecided the places decided once this batch commits
   * @param reveal whether this batch is the draw's first: it reveals the seed (hex) and the beacon's value
   */
  public record DrawStep(long opensAtMs, int placesDecided, String seedHex, String beaconValue, boolean reveal) {}

  /**
   * @param draw the draw this batch belongs to, or null for claims in arrival order
   */
  public Future<Instant> commit(SqlConnection conn, long epoch, List<Decision> decisions, String streamId,
      long decidedSeq, int releasedBp, boolean writeRelease, DrawStep draw, Runnable beforeCommit) {
    return conn.begin().compose(tx -> write(conn, epoch, decisions, streamId, decidedSeq, releasedBp, writeRelease, draw)
        .compose(at -> {
          beforeCommit.run();
          return tx.commit().map(at);
        })
        .onSuccess(at -> rulesLogged = pseudonyms != null)
        .recover(failure -> rollback(tx, failure)))
        // a launch's first vouchers: the tills' redemptions are planned for the table as it grows. After
        // COMMIT, outside the transaction: a few ms some ten times in the table's life, never waiting
        // for a lock; publication waits for it
        .compose(at -> vouchers.inserted(conn, decisions.stream().filter(d -> d instanceof Decision.Confirmed).count())
            .map(at));
  }

  /**
   * The fence refused the batch: fenced off by a newer leader, or the campaign was frozen while the
   * batch was decided, and the leader decides by PostgreSQL's state again (nothing after a freeze).
   */
  private Future<Instant> notAdvanced(SqlConnection conn, long epoch) {
    return conn.preparedQuery(Queries.FROZEN_AT_EPOCH).execute(Tuple.of(campaign.id(), epoch)).compose(rows ->
        Future.failedFuture(rows.size() == 1 && rows.iterator().next().getBoolean(0)
            ? new DecisionLoop.DocumentChanged(campaign.id())
            : new CampaignAllocator.Fenced(campaign.id(), epoch)));
  }

  private static Future<Instant> rollback(Transaction tx, Throwable failure) {
    return tx.rollback().transform(ignored -> Future.failedFuture(failure));
  }

  /** When a voucher issued at {@code issuedAt} expires. */
  public Instant expiry(Instant issuedAt) {
    return issuedAt.plus(campaign.validDays(), ChronoUnit.DAYS);
  }

  /**
   * Moves the stream offset past entries that were decided by no one (a batch of repeated seqs
   * only), fenced like a batch: one statement, atomic on its own.
   */
  public Future<Instant> advance(SqlConnection conn, long epoch, String streamId, long decidedSeq, int releasedBp) {
    return conn.preparedQuery(Queries.ADVANCE).execute(Tuple.of(campaign.id(), streamId, decidedSeq, epoch, releasedBp))
        .compose(rows -> rows.rowCount() == 1
            ? Future.succeededFuture(rows.iterator().next().getOffsetDateTime(0).toInstant())
            : notAdvanced(conn, epoch));
  }

  /**
   * Freezes a pre-queue, fenced like a batch: keeps its list (see {@link claimgate.draw.Draws}) and
   * states the list's hash in the log, before anyone (this writer included) sees the seed.
   */
  public Future<Void> freezeDraw(SqlConnection conn, long epoch, String streamId, long decidedSeq, int releasedBp,
      long opensAtMs, String entries, int size, String listHash, String lastStreamId, long firstSeq, long lastSeq) {
    String campaignId = campaign.id();
    return conn.begin().compose(tx -> conn.preparedQuery(Queries.ADVANCE)
        .execute(Tuple.of(campaignId, streamId, decidedSeq, epoch, releasedBp))
        .compose(fenced -> fenced.rowCount() == 1 ? Future.succeededFuture() : notAdvanced(conn, epoch).mapEmpty())
        .compose(v -> claimgate.draw.Draws.freeze(conn, campaignId, opensAtMs, entries, size, listHash, lastStreamId, firstSeq,
            lastSeq))
        .compose(frozen -> frozen ? DecisionLog.append(conn, campaignId, List.of(DecisionLog.record("draw_list",
                new JsonObject().put("opensAt", opensAtMs).put("entries", size).put("listHash", listHash)))).mapEmpty()
            : Future.failedFuture(new IllegalStateException("the pre-queue of " + campaignId + " opening at " + opensAtMs
                + " was frozen already")))
        .compose(v -> tx.commit())
        .recover(failure -> rollback(tx, failure).mapEmpty()));
  }

  private Future<Instant> write(SqlConnection conn, long epoch, List<Decision> decisions, String streamId,
      long decidedSeq, int releasedBp, boolean writeRelease, DrawStep draw) {
    String campaignId = campaign.id();
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
    Long[] generations = new Long[n];
    String[] requests = new String[n];
    Integer[] places = new Integer[n];
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
      generations[i] = c.generation();
      requests[i] = c.requestId();
      places[i] = c.place();
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
    List<Future<?>> statements = new ArrayList<>();
    statements.add(conn.query(Queries.INDEXED_CHECKS).execute());
    // the campaign's row, then the log's head: every writer locks them in this order
    Future<RowSet<Row>> advance = conn.preparedQuery(Queries.ADVANCE)
        .execute(Tuple.of(campaignId, streamId, decidedSeq, epoch, releasedBp));
    statements.add(advance);
    Future<DecisionLog.Entry> head = pseudonyms == null ? null : DecisionLog.lockHead(conn, campaignId);
    boolean withRules = pseudonyms != null && !rulesLogged;
    if (writeRelease) {
      statements.add(conn.preparedQuery(Queries.RELEASE).execute(Tuple.of(campaignId, releasedBp)));
    }
    // with the log, each claim's admission is at head + this + 2 per claim before it (the rules
    // and the release first); the claims are queued before the log's block and head move, which
    // are sent only once the head is read, so this insert reads the head before it moves
    boolean reveal = draw != null && draw.reveal();
    Long logOffset = pseudonyms == null ? null : 1L + (withRules ? 1 : 0) + (writeRelease ? 1 : 0) + (reveal ? 1 : 0);
    statements.add(conn.preparedQuery(Queries.INSERT_CLAIMS).execute(Tuple.wrap(
        new Object[] {campaignId, epoch, tickets, seqs, streamIds, citizens, merchantLists, charged, statuses, reasons, codes,
            generations, requests, logOffset, places})));
    if (draw != null) {
      statements.add(claimgate.draw.Draws.progress(conn, campaignId, draw.opensAtMs(), draw.placesDecided()));
    }
    if (!confirmed.isEmpty()) {
      statements.add(insertVouchers(conn, confirmed));
      statements.add(conn.preparedQuery(Queries.ADD_ISSUED).execute(Tuple.of(campaignId,
          issuedDelta.keySet().toArray(String[]::new), issuedDelta.values().toArray(Integer[]::new))));
    }
    if (head != null) {
      // encoded while PostgreSQL runs the statements above; chained once the head is read
      String[] pseudonymsOf = new String[n];
      for (int i = 0; i < n; i++) {
        pseudonymsOf[i] = pseudonyms.of(campaignId, citizens[i]);
      }
      List<DecisionLog.Record> records = logRecords(decisions, pseudonymsOf, withRules, writeRelease ? releasedBp : -1,
          reveal ? draw : null);
      int leading = records.size() - 2 * decisions.size();
      statements.add(head.compose(logHead -> {
        DecisionLog.Chain chain = DecisionLog.Chain.after(logHead, records);
        receipts = receiptsOf(decisions, pseudonymsOf, chain, leading);
        return DecisionLog.write(conn, campaignId, chain);
      }));
    }
    return Future.all(statements).compose(all -> advance.result().rowCount() == 1
        ? Future.succeededFuture(advance.result().iterator().next().getOffsetDateTime(0).toInstant())
        : notAdvanced(conn, epoch));
  }

  /**
   * Each decision's receipt, as the claim's status gives it once published: where its admission
   * and its decision are in the log, the citizen's pseudonym and, in a draw, its place.
   */
  private List<JsonObject> receiptsOf(List<Decision> decisions, String[] pseudonymsOf, DecisionLog.Chain chain, int leading) {
    List<JsonObject> out = new ArrayList<>(decisions.size());
    for (int i = 0; i < decisions.size(); i++) {
      ClaimEntry c = decisions.get(i).claim();
      out.add(new JsonObject().put("pseudonym", pseudonymsOf[i])
          .put("admission", chain.entries().get(leading + 2 * i).json())
          .put("decision", chain.entries().get(leading + 2 * i + 1).json())
          .put("place", c.place() > 0 ? c.place() : null));
    }
    return out;
  }

  /** The receipts of the last batch written, per decision in order (empty when the writer keeps no log). */
  List<JsonObject> receipts() {
    return receipts;
  }

  /**
   * The rules this writer decides by (in its first batch: the campaign's config and revocations
   * versions it loaded), the round's release (when it moved), then each claim's admission and
   * decision, in stream order.
   */
  private List<DecisionLog.Record> logRecords(List<Decision> decisions, String[] pseudonymsOf, boolean withRules, int releasedBp,
      DrawStep reveal) {
    List<DecisionLog.Record> records = new ArrayList<>(2 * decisions.size() + 2);
    if (withRules) {
      records.add(DecisionLog.record("rules", new JsonObject().put("configVersion", versions.config())
          .put("revocationsVersion", versions.revocations())));
    }
    if (releasedBp >= 0) {
      records.add(DecisionLog.record("release", new JsonObject().put("releasedBp", releasedBp)));
    }
    if (reveal != null) {
      JsonObject fields = new JsonObject().put("opensAt", reveal.opensAtMs()).put("seed", reveal.seedHex());
      records.add(DecisionLog.record("draw_reveal", reveal.beaconValue() == null ? fields
          : fields.put("beacon", reveal.beaconValue())));
    }
    for (int i = 0; i < decisions.size(); i++) {
      Decision d = decisions.get(i);
      ClaimEntry c = d.claim();
      records.add(DecisionLog.admissionRecord(c.ticket(), c.seq(), c.admittedAtMs(), pseudonymsOf[i], c.merchantIds(),
          c.prequeuedFor(), c.place()));
      records.add(d instanceof Decision.Confirmed ok
          ? DecisionLog.decisionRecord(c.ticket(), "confirmed", ok.merchantId(), null)
          : DecisionLog.decisionRecord(c.ticket(), "rejected", null, ((Decision.Rejected) d).reason()));
    }
    return records;
  }

  private Future<Void> insertVouchers(SqlConnection conn, List<Decision.Confirmed> confirmed) {
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
    return conn.preparedQuery(Queries.INSERT_VOUCHERS).execute(Tuple.wrap(new Object[] {
        campaign.id(), campaign.limits().perCitizen(), campaign.limits().perCitizenPerMerchant(),
        campaign.voucherValue(), campaign.currency(), campaign.validDays(),
        codes, merchants, citizens, tickets, serials, citizenSlots, merchantSlots})).mapEmpty();
  }
}
