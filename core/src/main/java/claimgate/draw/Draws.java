package claimgate.draw;

import claimgate.campaign.Campaign;
import claimgate.log.DecisionLog;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The pre-queue's draws in PostgreSQL (table {@code draw}): a seed per round, committed to the
 * public log when the campaign is applied; the frozen list and the places decided once the round
 * opens. The only reader and writer of the table.
 */
public final class Draws {

  static final String INSERT_SEED = """
      insert into draw (campaign_id, opens_at_ms, seed, seed_hash, beacon_name) values ($1, $2, $3, $4, $5)
      on conflict (campaign_id, opens_at_ms) do nothing returning opens_at_ms""";
  static final String SELECT = """
      select opens_at_ms, seed, seed_hash, beacon_name, beacon_value, entries, size, list_hash, last_stream_id, first_seq,
        last_seq, places_decided
      from draw where campaign_id = $1 and opens_at_ms = $2""";
  static final String FREEZE = """
      update draw set entries = $3, size = $4, list_hash = $5, last_stream_id = $6, first_seq = $7, last_seq = $8,
        frozen_at = now()
      where campaign_id = $1 and opens_at_ms = $2 and list_hash is null""";
  static final String PROGRESS = "update draw set places_decided = $3 where campaign_id = $1 and opens_at_ms = $2";
  /** Only once the pre-queue is frozen (its list's hash published): the list is fixed before the beacon is known. */
  static final String ENTER_BEACON = """
      update draw set beacon_value = $3 where campaign_id = $1 and opens_at_ms = $2 and beacon_name is not null
        and beacon_value is null and list_hash is not null returning opens_at_ms""";
  static final String LATEST_UNDER_WAY = """
      select opens_at_ms from draw where campaign_id = $1 and list_hash is not null and places_decided > 0
      order by opens_at_ms desc limit 1""";
  static final String UNFINISHED = """
      select opens_at_ms from draw where campaign_id = $1 and list_hash is not null and places_decided < size
      order by opens_at_ms limit 1""";
  static final String PUBLIC = """
      select opens_at_ms, seed_hash, beacon_name, beacon_value, list_hash, size, places_decided,
        case when places_decided > 0 then seed end as seed
      from draw where campaign_id = $1 order by opens_at_ms""";

  private Draws() {}

  /**
   * A round's draw as PostgreSQL holds it.
   *
   * @param entries the frozen list's lines (see the table), null before the opening
   */
  public record Stored(long opensAtMs, byte[] seed, String seedHash, String beaconName, String beaconValue,
      String entries, int size, String listHash, String lastStreamId, long firstSeq, long lastSeq, int placesDecided) {

    public boolean frozen() {
      return listHash != null;
    }

    public boolean finished() {
      return frozen() && placesDecided >= size;
    }

    /** Whether the draw can take place: no outside randomness was named, or it was entered. */
    public boolean ready() {
      return beaconName == null || beaconValue != null;
    }
  }

  /**
   * Makes a seed for each round of {@code campaign} that has none yet (a round is known by its
   * opening), inside the caller's transaction, and answers the log records of their commitments.
   * Nothing for a campaign without a pre-queue.
   */
  public static Future<List<DecisionLog.Record>> commit(SqlClient tx, Campaign campaign) {
    if (campaign.prequeue() == null) {
      return Future.succeededFuture(List.of());
    }
    List<Future<Optional<DecisionLog.Record>>> made = new ArrayList<>();
    for (Campaign.Round round : campaign.rounds()) {
      byte[] seed = Draw.newSeed();
      String hash = Draw.commitment(seed);
      long opens = round.opensAtMs();
      String beacon = campaign.prequeue().beacon();
      made.add(tx.preparedQuery(INSERT_SEED).execute(Tuple.of(campaign.id(), opens, io.vertx.core.buffer.Buffer.buffer(seed),
          hash, beacon)).map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(DecisionLog.record("draw_commitment",
              commitmentFields(opens, hash, beacon, campaign.prequeue().opensBeforeMs())))));
    }
    return Future.all(made).map(all -> made.stream().map(Future::result).flatMap(Optional::stream).toList());
  }

  private static JsonObject commitmentFields(long opensAtMs, String seedHash, String beacon, long opensBeforeMs) {
    JsonObject fields = new JsonObject().put("opensAt", opensAtMs).put("prequeueOpensAt", opensAtMs - opensBeforeMs)
        .put("seedHash", seedHash);
    return beacon == null ? fields : fields.put("beacon", beacon);
  }

  public static Future<Optional<Stored>> load(SqlClient sql, String campaignId, long opensAtMs) {
    return sql.preparedQuery(SELECT).execute(Tuple.of(campaignId, opensAtMs)).map(rows -> {
      if (rows.size() == 0) {
        return Optional.empty();
      }
      Row r = rows.iterator().next();
      return Optional.of(new Stored(r.getLong("opens_at_ms"), r.getBuffer("seed").getBytes(), r.getString("seed_hash"),
          r.getString("beacon_name"), r.getString("beacon_value"), r.getString("entries"),
          r.getInteger("size") == null ? 0 : r.getInteger("size"), r.getString("list_hash"), r.getString("last_stream_id"),
          r.getLong("first_seq") == null ? 0 : r.getLong("first_seq"), r.getLong("last_seq") == null ? 0 : r.getLong("last_seq"),
          r.getInteger("places_decided")));
    });
  }

  /** The opening of a frozen draw whose places are not all decided yet (a leader died during it). */
  public static Future<Optional<Long>> unfinished(SqlClient sql, String campaignId) {
    return sql.preparedQuery(UNFINISHED).execute(Tuple.of(campaignId)).map(rows -> rows.size() == 0
        ? Optional.<Long>empty() : Optional.of(rows.iterator().next().getLong(0)));
  }

  /** Keeps the frozen list, inside the caller's (fenced) transaction; false when it was frozen before. */
  public static Future<Boolean> freeze(SqlClient tx, String campaignId, long opensAtMs, String entries, int size,
      String listHash, String lastStreamId, long firstSeq, long lastSeq) {
    return tx.preparedQuery(FREEZE).execute(Tuple.wrap(new Object[] {campaignId, opensAtMs, entries, size, listHash,
        lastStreamId, firstSeq, lastSeq})).map(rows -> rows.rowCount() == 1);
  }

  /** The latest draw with places decided (finished or not): a new leader publishes what its predecessor did not. */
  public static Future<Optional<Stored>> latestUnderWay(SqlClient sql, String campaignId) {
    return sql.preparedQuery(LATEST_UNDER_WAY).execute(Tuple.of(campaignId)).compose(rows -> rows.size() == 0
        ? Future.succeededFuture(Optional.<Stored>empty()) : load(sql, campaignId, rows.iterator().next().getLong(0)));
  }

  /** The places decided so far, inside the batch's transaction. */
  public static Future<Void> progress(SqlClient tx, String campaignId, long opensAtMs, int placesDecided) {
    return tx.preparedQuery(PROGRESS).execute(Tuple.of(campaignId, opensAtMs, placesDecided)).mapEmpty();
  }

  /**
   * An operator enters the outside randomness of a round's draw, once, after its pre-queue was
   * frozen. False when the round's draw names none, it was entered before, or the list is not frozen yet.
   */
  public static Future<Boolean> enterBeacon(SqlClient sql, String campaignId, long opensAtMs, String value) {
    return sql.preparedQuery(ENTER_BEACON).execute(Tuple.of(campaignId, opensAtMs, value)).map(rows -> rows.size() == 1);
  }

  /**
   * What anyone may see of a campaign's draws: the commitments, and once a draw is under way its
   * list's hash, its seed and its beacon. An array of objects, one per round.
   */
  public static Future<io.vertx.core.json.JsonArray> published(SqlClient sql, String campaignId) {
    return sql.preparedQuery(PUBLIC).execute(Tuple.of(campaignId)).map(rows -> {
      io.vertx.core.json.JsonArray draws = new io.vertx.core.json.JsonArray();
      for (Row r : rows) {
        JsonObject d = new JsonObject().put("opensAt", claimgate.campaign.Formats.instant(
            java.time.Instant.ofEpochMilli(r.getLong("opens_at_ms")))).put("seedCommitment", r.getString("seed_hash"));
        if (r.getString("beacon_name") != null) {
          d.put("beacon", new JsonObject().put("name", r.getString("beacon_name")).put("value", r.getString("beacon_value")));
        }
        if (r.getString("list_hash") != null) {
          d.put("listHash", r.getString("list_hash")).put("entries", r.getInteger("size"))
              .put("placesDecided", r.getInteger("places_decided"));
        }
        if (r.getBuffer("seed") != null) {
          d.put("seed", Draw.hex(r.getBuffer("seed").getBytes()));
        }
        draws.add(d);
      }
      return draws;
    });
  }
}
