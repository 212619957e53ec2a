package claimgate.allocation;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignFiles;
import claimgate.campaign.CampaignStore;
import claimgate.redis.CampaignKeys;
import claimgate.redis.CampaignState;
import claimgate.redis.CampaignRedis;
import claimgate.redis.RedisRevocations;
import claimgate.redis.RedisRestore;
import claimgate.redis.CitizenRecord;
import claimgate.redis.PipelinedRedis;
import claimgate.voucher.VoucherCodes;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a new leader does before its first decision: rebuild the ledger from PostgreSQL, bring
 * Redis's derived state (admission settings, issued counts, the seq floor, the operator's flags)
 * back in line with it, and publish the decisions the previous leader committed but did not
 * publish. A standby runs {@link #load} once ahead of time as a rehearsal, so that the code a
 * takeover runs is loaded and warm when the lock comes.
 */
final class Recovery {

  private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);
  private static final int REPUBLISH_CHUNK = 1000;

  /** The campaign as the election (or a reload) found it in PostgreSQL, and the ledger rebuilt from it. */
  record State(Campaign campaign, CampaignStore.Versions versions, String offset, long decidedSeq,
      SingleWriterLedger ledger) {}

  private final String campaignId;
  private final CampaignKeys keys;
  private final VoucherCodes codes;
  private final String name;

  Recovery(String campaignId, VoucherCodes codes, String name) {
    this.campaignId = campaignId;
    this.keys = new CampaignKeys(campaignId);
    this.codes = codes;
    this.name = name;
  }

  /** Reads the campaign row on {@code pg}, then rebuilds the ledger from it. */
  Future<State> load(SqlConnection pg) {
    return pg.preparedQuery(Queries.CAMPAIGN_STATE).execute(Tuple.of(campaignId))
        .compose(rows -> load(pg, rows.iterator().next()));
  }

  /** Rebuilds the ledger from a campaign row (as the election returned it) and the rows it owns. */
  Future<State> load(SqlConnection pg, Row row) {
    Campaign campaign = CampaignFiles.parseJsonUnvalidated(row.getString("document"));
    int releasedBp = row.getInteger("released_bp");
    Future<RowSet<Row>> merchants = pg.preparedQuery(Queries.MERCHANTS).execute(Tuple.of(campaignId));
    Future<RowSet<Row>> holdings = pg.preparedQuery(Queries.HOLDINGS).execute(Tuple.of(campaignId));
    Future<RowSet<Row>> eligible = campaign.eligibility() == null ? Future.succeededFuture(null)
        : pg.preparedQuery(Queries.ELIGIBLE).execute(Tuple.of(campaignId));
    Future<RowSet<Row>> serial = pg.preparedQuery(Queries.NEXT_SERIAL).execute(Tuple.of(campaignId));
    Future<RowSet<Row>> slots = pg.preparedQuery(Queries.SLOTS_OF_FREED).execute(Tuple.of(campaignId));
    // the reads above are statements of their own: a revocation or a document change committed
    // among them would leave the ledger torn between two versions (and the log's rules naming the
    // older one). Read last, the versions tell: unchanged, every read above saw the row's state.
    Future<RowSet<Row>> after = pg.preparedQuery(Queries.VERSIONS_NOW).execute(Tuple.of(campaignId));
    return Future.all(List.of(merchants, holdings, eligible, serial, slots, after)).compose(all -> {
      Row now = after.result().iterator().next();
      if (now.getLong(0).longValue() != row.getLong("config_version").longValue()
          || now.getLong(1).longValue() != row.getLong("revocations_version").longValue()) {
        return load(pg);
      }
      return Future.succeededFuture(ledger(campaign, row, releasedBp, merchants, holdings, eligible, serial, slots));
    });
  }

  private State ledger(Campaign campaign, Row row, int releasedBp, Future<RowSet<Row>> merchants,
      Future<RowSet<Row>> holdings, Future<RowSet<Row>> eligible, Future<RowSet<Row>> serial, Future<RowSet<Row>> slots) {
    Map<String, Integer> issued = new HashMap<>();
    merchants.result().forEach(r -> issued.put(r.getString(0), r.getInteger(1)));
    Map<String, Map<String, Integer>> held = new HashMap<>();
    holdings.result().forEach(r -> held.computeIfAbsent(r.getString(0), c -> new HashMap<>()).put(r.getString(1), r.getInteger(2)));
    Map<String, Integer> eligibleTiers = null;
    if (eligible.result() != null) {
      eligibleTiers = new HashMap<>();
      for (Row r : eligible.result()) {
        eligibleTiers.put(r.getString(0), r.getInteger(1));
      }
    }
    Map<String, BitSet> citizenSlots = new HashMap<>();
    Map<String, BitSet> merchantSlots = new HashMap<>();
    for (Row r : slots.result()) {
      citizenSlots.computeIfAbsent(r.getString(0), c -> new BitSet()).set(r.getInteger(2));
      merchantSlots.computeIfAbsent(SingleWriterLedger.atMerchant(r.getString(0), r.getString(1)), c -> new BitSet())
          .set(r.getInteger(3));
    }
    SingleWriterLedger ledger = new SingleWriterLedger(campaign, codes, issued, held, eligibleTiers,
        serial.result().iterator().next().getLong(0), releasedBp, citizenSlots, merchantSlots);
    return new State(campaign, new CampaignStore.Versions(row.getLong("flags_version"), row.getLong("config_version"),
        row.getBoolean("paused"), row.getBoolean("frozen"), row.getLong("revocations_version")), row.getString("stream_offset"), row.getLong("decided_seq"),
        ledger);
  }

  /**
   * Makes Redis agree with PostgreSQL before the first decision: when the campaign's gate is
   * open on this server, Redis has lost nothing since the last restore and is left as it is;
   * otherwise (Redis restarted, another server took over, the campaign is new here) it is
   * rebuilt from PostgreSQL in a new generation, fenced by this leader's epoch.
   *
   * <p>The rebuild runs inside a transaction that holds the campaign row's lock, with the row read
   * again under it: operators' actions take that lock too, so none lands between the read and the
   * rebuild and is then written over with what the election saw (a pause undone by a restore).
   * An action waits for the rebuild, then reaches Redis with a newer version. Completes with the
   * campaign as the rebuild wrote it (the election's state when nothing changed meanwhile).
   */
  Future<State> prepareRedis(SqlConnection pg, PipelinedRedis redis, State state, long epoch) {
    return CampaignRedis.intact(redis, campaignId).compose(intact -> intact ? Future.succeededFuture(state)
        : pg.begin().compose(tx -> restoreLocked(pg, redis, state, epoch)
            .compose(restored -> tx.commit().map(restored))
            .onFailure(failure -> tx.rollback()))
        // the gate opens once PostgreSQL knows the generation: a rollback leaves it shut
        .compose(restored -> RedisRestore.open(redis, campaignId, restored.generation()).map(restored.state())));
  }

  /** The campaign as rebuilt, and the generation its gate opens in. */
  private record Rebuilt(State state, RedisRestore.Restored generation) {}

  private Future<Rebuilt> restoreLocked(SqlConnection pg, PipelinedRedis redis, State election, long epoch) {
    return pg.query(Queries.RESTORE_TIMEOUT).execute()
        .compose(set -> pg.preparedQuery(Queries.CAMPAIGN_STATE_LOCKED).execute(Tuple.of(campaignId)))
        .compose(rows -> {
          Row row = rows.iterator().next();
          boolean unchanged = row.getLong("flags_version") == election.versions().flags()
              && row.getLong("config_version") == election.versions().config()
              && row.getLong("revocations_version") == election.versions().revocations();
          return unchanged ? Future.succeededFuture(election) : load(pg, row);
        })
        .compose(state -> Future.all(recentRequests(pg), drawUnderWay(pg)).compose(read -> RedisRestore.rebuildClosed(redis,
                new RedisRestore.Snapshot(state.campaign(), state.versions(), state.ledger().issuedByMerchant(),
                    state.ledger().holdings(), state.offset(), state.decidedSeq(), state.ledger().eligibleList(),
                    read.resultAt(0), read.resultAt(1)),
                surviving -> openGeneration(pg, epoch, surviving)))
            .map(restored -> {
              LOG.info("{} restored Redis's state of {} from PostgreSQL: generation {}, claims up to seq {} survive",
                  name, campaignId, restored.generation(), restored.survivingSeq());
              return new Rebuilt(state, restored);
            }));
  }

  /** A draw frozen and not served whole, with the claims of its list still waiting; null when none is. */
  private Future<RedisRestore.DrawUnderWay> drawUnderWay(SqlConnection pg) {
    return claimgate.draw.Draws.unfinished(pg, campaignId).compose(found -> found.isEmpty()
        ? Future.succeededFuture((RedisRestore.DrawUnderWay) null)
        : claimgate.draw.Draws.load(pg, campaignId, found.get()).compose(stored -> {
          claimgate.draw.Draws.Stored draw = stored.orElseThrow();
          io.vertx.core.Context context = io.vertx.core.Vertx.currentContext();
          return pg.preparedQuery(Queries.DECIDED_SEQS).execute(Tuple.of(campaignId, draw.firstSeq(), draw.lastSeq()))
              // the list decoded on a worker: 50,000 claims are too long for the allocator's event loop
              .compose(rows -> context.owner().executeBlocking(() -> {
                java.util.Set<Long> decided = new java.util.HashSet<>();
                rows.forEach(r -> decided.add(r.getLong(0)));
                List<claimgate.redis.StreamEntries.Claim> waiting = new java.util.ArrayList<>();
                for (ClaimEntry c : PrequeueDraw.decode(draw.entries(), campaignId, draw.opensAtMs(), new claimgate.ticket.Tickets(codes))) {
                  if (!decided.contains(c.seq())) {
                    waiting.add(new claimgate.redis.StreamEntries.Claim(c.streamId(), c.generation(), c.seq(), c.citizenId(),
                        c.merchantIds(), c.chargedMerchant(), c.tier(), c.requestId(), c.prequeuedFor(), c.admittedAtMs()));
                  }
                }
                return new RedisRestore.DrawUnderWay(draw.opensAtMs(), draw.firstSeq(), draw.lastSeq(), draw.placesDecided(),
                    waiting);
              }, false))
              .compose(read -> {
                io.vertx.core.Promise<RedisRestore.DrawUnderWay> back = io.vertx.core.Promise.promise();
                context.runOnContext(v -> back.complete(read));
                return back.future();
              });
        }));
  }

  private Future<Map<String, List<CitizenRecord.Request>>> recentRequests(SqlConnection pg) {
    return pg.preparedQuery(Queries.RECENT_REQUESTS).execute(Tuple.of(campaignId, CitizenRecord.REMEMBERED))
        .map(rows -> {
          Map<String, List<CitizenRecord.Request>> requests = new HashMap<>();
          for (Row r : rows) {
            requests.computeIfAbsent(r.getString(0), c -> new java.util.ArrayList<>()).add(new CitizenRecord.Request(
                r.getString(1), r.getLong(2), r.getLong(3), CitizenRecord.fingerprint(r.getString(4))));
          }
          return requests;
        });
  }

  private Future<Long> openGeneration(SqlConnection pg, long epoch, long survivingSeq) {
    return CampaignStore.openGeneration(pg, campaignId, epoch, survivingSeq).compose(generation -> generation
        .map(Future::succeededFuture)
        .orElseGet(() -> Future.failedFuture(new CampaignAllocator.Fenced(campaignId, epoch))));
  }

  /**
   * Brings Redis in line with what operators changed in PostgreSQL and this leader's ledger now
   * holds: the revocations (what their citizens hold, the merchants' issued counts, the revoked
   * tickets' outcomes), then the admission settings when Redis holds an older version of them
   * (an operator's own write that did not reach Redis). Runs when a leader starts and whenever it
   * reloads the campaign.
   */
  Future<Void> alignRedis(SqlConnection pg, PipelinedRedis redis, State state) {
    SingleWriterLedger ledger = state.ledger();
    long version = state.versions().revocations();
    return RedisRevocations.revocationsApplied(redis, campaignId)
        .compose(applied -> applied >= version ? Future.succeededFuture()
            : pg.preparedQuery(Queries.REVOKED).execute(Tuple.of(campaignId, applied)).compose(rows -> {
              Map<String, Map<String, Integer>> holdings = new HashMap<>();
              List<String> tickets = new java.util.ArrayList<>(rows.size());
              for (Row r : rows) {
                holdings.put(r.getString(0), ledger.heldAt(r.getString(0)));
                tickets.add(r.getString(1));
              }
              return RedisRevocations.applyRevocations(redis, campaignId, state.decidedSeq(), version, holdings,
                  ledger.issuedByMerchant(), tickets);
            }))
        .compose(v -> CampaignRedis.held(redis, campaignId))
        .compose(held -> held.configVersion() < state.versions().config()
            ? CampaignRedis.configure(redis, state.campaign(), state.versions().config(), ledger.eligibleList())
            : Future.succeededFuture());
  }

  /** Loads the scripts a leader calls into Redis's cache, so the first calls need no second trip. */
  Future<Void> loadScripts(PipelinedRedis redis) {
    return Publication.PUBLISH.preload(redis::send);
  }

  /**
   * Publishes decisions committed after the seq Redis knows: the last leader may have died first.
   * A draw's decisions first, by place after the places Redis has (see {@code publish.lua}).
   */
  Future<Void> republishCommitted(SqlConnection pg, PipelinedRedis redis, State state) {
    // in commit order: the claims before the latest draw, the draw, then the claims after it
    return claimgate.draw.Draws.latestUnderWay(pg, campaignId).compose(draw -> {
      long beforeDraw = draw.map(d -> d.firstSeq() - 1).orElse(Long.MAX_VALUE);
      return republishRegular(pg, redis, state, beforeDraw)
          .compose(v -> draw.isPresent() ? republishDraw(pg, redis, state, draw.get()) : Future.succeededFuture())
          .compose(v -> draw.isPresent() ? republishRegular(pg, redis, state, Long.MAX_VALUE) : Future.succeededFuture());
    });
  }

  /** The decisions in arrival order after the seq Redis has published, up to {@code upToSeq}. */
  private Future<Void> republishRegular(SqlConnection pg, PipelinedRedis redis, State state, long upToSeq) {
    return CampaignState.read(redis, campaignId).compose(now -> {
      long publishedSeq = now.decided();
      return publishedSeq >= Math.min(state.decidedSeq(), upToSeq) ? Future.succeededFuture()
          : republishFrom(pg, redis, state, publishedSeq, upToSeq);
    });
  }

  /** A draw's decided places after those Redis has, by place (see {@code publish.lua}'s draw mode). */
  private Future<Void> republishDraw(SqlConnection pg, PipelinedRedis redis, State state, claimgate.draw.Draws.Stored draw) {
    return redis.send(Request.cmd(Command.HMGET).arg(keys.config()).arg(claimgate.redis.CampaignKeys.DRAWN)
            .arg(claimgate.redis.CampaignKeys.DECIDED))
        .compose(fields -> {
          String drawn = fields.get(0) == null ? "" : fields.get(0).toString();
          long decided = fields.get(1) == null ? 0 : fields.get(1).toLong();
          if (decided >= draw.lastSeq()) {
            return Future.succeededFuture();
          }
          int published = drawn.startsWith(draw.opensAtMs() + ":") ? Integer.parseInt(drawn.substring(drawn.indexOf(':') + 1)) : 0;
          return republishPlaces(pg, redis, state, draw, published);
        });
  }

  private Future<Void> republishPlaces(SqlConnection pg, PipelinedRedis redis, State state, claimgate.draw.Draws.Stored draw,
      int afterPlace) {
    boolean finished = draw.placesDecided() >= draw.size();
    if (afterPlace >= draw.placesDecided() && !finished) {
      return Future.succeededFuture();
    }
    return pg.preparedQuery(Queries.DRAWN_SINCE).execute(Tuple.wrap(new Object[] {campaignId, draw.firstSeq(), draw.lastSeq(),
            afterPlace, draw.placesDecided(), REPUBLISH_CHUNK}))
        .compose(rows -> {
          Publication publication = publicationOf(rows, state.ledger());
          int upTo = afterPlace + rows.size();
          if (finished && upTo >= draw.placesDecided()) {
            publication.endingDraw(draw.opensAtMs(), draw.size(), draw.lastSeq(), draw.lastStreamId());
          } else {
            publication.inDraw(draw.opensAtMs(), upTo);
          }
          LOG.info("{} republishes places {} to {} of the draw of {} at {}", name, afterPlace + 1, upTo, campaignId,
              draw.opensAtMs());
          return publication.send(redis, keys, CampaignRedis.forgetAtMs(state.campaign()))
              .compose(v -> upTo >= draw.placesDecided() ? Future.succeededFuture()
                  : republishPlaces(pg, redis, state, draw, upTo));
        });
  }

  private static Publication publicationOf(RowSet<Row> rows, SingleWriterLedger ledger) {
    Publication publication = new Publication();
    for (Row r : rows) {
      String code = r.getString("code");
      JsonObject outcome = code == null
          ? Publication.rejected(r.getString("reason"))
          : Publication.confirmed(code, r.getString("merchant_id"), r.getBigDecimal("value"),
              r.getString("currency"), r.getOffsetDateTime("expires_at").toInstant());
      String citizen = r.getString("citizen_id");
      publication.add(r.getString("ticket"), r.getLong("seq"), r.getString("stream_id"), citizen,
          r.getString("charged_merchant"), outcome);
      publication.held(citizen, ledger.held(citizen), ledger.heldAt(citizen));
      if (code != null) {
        publication.issued(r.getString("merchant_id"), ledger.issued(r.getString("merchant_id")));
      }
    }
    return publication;
  }

  private Future<Void> republishFrom(SqlConnection pg, PipelinedRedis redis, State state, long afterSeq, long upToSeq) {
    SingleWriterLedger ledger = state.ledger();
    return pg.preparedQuery(Queries.DECIDED_SINCE).execute(Tuple.of(campaignId, afterSeq, REPUBLISH_CHUNK, upToSeq))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.succeededFuture();
          }
          Publication publication = publicationOf(rows, ledger);
          LOG.info("{} republishes {} committed decisions of {} after seq {}", name, rows.size(), campaignId, afterSeq);
          long last = publication.lastSeq();
          return publication.send(redis, keys, CampaignRedis.forgetAtMs(state.campaign()))
              .compose(v -> republishFrom(pg, redis, state, last, upToSeq));
        });
  }
}
