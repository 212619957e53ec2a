package claimgate.campaign;

import claimgate.log.DecisionLog;

import io.vertx.core.Future;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Campaigns in PostgreSQL (the document, merchants, eligibility): the truth that Redis's
 * derived state ({@code claimgate.redis.CampaignRedis}) is built from. Applying a document that
 * would break an invariant, such as a contingent below what is already issued, fails with
 * {@link CampaignException} and changes nothing.
 */
public final class CampaignStore {

  /** The document goes as text and PostgreSQL parses it: a client-side decode could change its numbers' scale. */
  static final String UPSERT_CAMPAIGN = """
      insert into campaign (id, document) values ($1, $2::text::jsonb)
      on conflict (id) do update set document = excluded.document, config_version = campaign.config_version + 1,
        updated_at = now()
      returning config_version""";
  static final String UPSERT_MERCHANTS = """
      insert into merchant (campaign_id, id, ordinal, name, contingent)
      select $1, m.id, m.ordinal, m.name, m.contingent
      from unnest($2::text[], $3::int[], $4::text[], $5::int[]) as m(id, ordinal, name, contingent)
      on conflict (campaign_id, id) do update
        set name = excluded.name, contingent = excluded.contingent, ordinal = excluded.ordinal""";
  static final String MERCHANTS_MISSING = """
      select id from merchant where campaign_id = $1 and not (id = any($2::text[])) limit 1""";
  static final String DELETE_ELIGIBLE = "delete from eligible where campaign_id = $1";
  static final String INSERT_ELIGIBLE = """
      insert into eligible (campaign_id, citizen_id, tier)
      select $1, e.citizen, e.tier from unnest($2::text[], $3::int[]) as e(citizen, tier)""";
  // the document as jsonb prints it: decoded by the client, its numbers could lose their scale (10.00 to 10.0)
  static final String SELECT_ALL = "select document::text, config_version, archived_at is not null from campaign order by id";
  static final String NEXT_GENERATION = """
      update campaign set redis_generation = redis_generation + 1, updated_at = now()
      where id = $1 and ($2::bigint is null or writer_epoch = $2) returning redis_generation""";
  static final String RECORD_GENERATION = """
      insert into redis_generation (campaign_id, generation, surviving_seq) values ($1, $2, $3)""";
  static final String SELECT_ONE = "select document::text from campaign where id = $1";

  private final Pool pool;

  public CampaignStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * Writes the campaign and, when given, replaces its eligibility list; one transaction. Every
   * write bumps the campaign's config version, which its derived state in Redis carries.
   *
   * @return the campaign's config version after the write
   */
  public Future<Long> apply(Campaign campaign, Optional<Map<String, Integer>> eligible) {
    return pool.withTransaction(conn -> apply(conn, campaign, eligible));
  }

  /**
   * The same on the caller's connection, inside the caller's transaction. The public decision log
   * states the new document (without its eligibility list) and its version in the same
   * transaction, after the campaign's row is written (the order every writer of the log keeps),
   * followed by the seed commitments of its rounds' draws made now (a campaign with a pre-queue).
   */
  public static Future<Long> apply(SqlConnection conn, Campaign campaign, Optional<Map<String, Integer>> eligible) {
    return write(conn, campaign, eligible).recover(failure -> Future.failedFuture(explain(campaign, failure)))
        .compose(version -> claimgate.draw.Draws.commit(conn, campaign).compose(commitments -> {
          List<DecisionLog.Record> records = new ArrayList<>();
          records.add(DecisionLog.record("campaign", new io.vertx.core.json.JsonObject().put("version", version)
              .put("document", CampaignFiles.published(campaign))));
          // a new round's draw: the SHA-256 of its seed, published before its pre-queue opens
          records.addAll(commitments);
          return DecisionLog.append(conn, campaign.id(), records).map(version);
        }));
  }

  /**
   * A campaign's versions, as {@link #VERSIONS} reads them.
   *
   * @param revocations bumped by each transaction that revokes vouchers of the campaign
   */
  public record Versions(long flags, long config, boolean paused, boolean frozen, long revocations) {}

  static final String VERSIONS = """
      select flags_version, config_version, paused, frozen, revocations_version from campaign where id = $1""";

  public static Future<Versions> versions(SqlClient sql, String campaignId) {
    return sql.preparedQuery(VERSIONS).execute(Tuple.of(campaignId)).map(rows -> {
      Row r = rows.iterator().next();
      return new Versions(r.getLong(0), r.getLong(1), r.getBoolean(2), r.getBoolean(3), r.getLong(4));
    });
  }

  private static Future<Long> write(SqlConnection conn, Campaign campaign, Optional<Map<String, Integer>> eligible) {
    List<String> ids = new ArrayList<>();
    List<Integer> ordinals = new ArrayList<>();
    List<String> names = new ArrayList<>();
    List<Integer> contingents = new ArrayList<>();
    for (int i = 0; i < campaign.merchants().size(); i++) {
      Campaign.Merchant m = campaign.merchants().get(i);
      ids.add(m.id());
      ordinals.add(i);
      names.add(m.name());
      contingents.add(m.contingent());
    }
    String[] idArray = ids.toArray(String[]::new);
    long[] version = new long[1];
    Future<Long> written = conn.preparedQuery(UPSERT_CAMPAIGN)
        .execute(Tuple.of(campaign.id(), CampaignFiles.toJson(campaign)))
        .compose(r -> {
          version[0] = r.iterator().next().getLong(0);
          return conn.preparedQuery(MERCHANTS_MISSING).execute(Tuple.of(campaign.id(), (Object) idArray));
        })
        .compose(missing -> missing.size() == 0
            ? Future.succeededFuture()
            : Future.failedFuture(new CampaignException("campaign " + campaign.id() + ": merchant "
                + missing.iterator().next().getString(0) + " cannot be removed once the campaign exists")))
        .compose(v -> conn.preparedQuery(UPSERT_MERCHANTS).execute(Tuple.of(campaign.id(), idArray,
            ordinals.toArray(Integer[]::new), names.toArray(String[]::new), contingents.toArray(Integer[]::new))))
        .map(r -> version[0]);
    if (eligible.isEmpty()) {
      return written;
    }
    Map<String, Integer> list = eligible.get();
    return written
        .compose(v -> conn.preparedQuery(DELETE_ELIGIBLE).execute(Tuple.of(campaign.id())))
        .compose(v -> conn.preparedQuery(INSERT_ELIGIBLE).execute(Tuple.of(campaign.id(),
            list.keySet().toArray(String[]::new), list.values().toArray(Integer[]::new))))
        .map(r -> version[0]);
  }

  private static Throwable explain(Campaign campaign, Throwable failure) {
    if (failure instanceof PgException pg && "23514".equals(pg.getSqlState())) {
      return new CampaignException("campaign " + campaign.id()
          + ": a contingent cannot be lowered below the vouchers already issued or released");
    }
    return failure;
  }

  /**
   * Opens the next generation of a campaign's Redis state and records which seqs survived into
   * it; fenced by the writer epoch when one is given (the allocator's restore). Empty when the
   * epoch has moved on.
   */
  public static Future<Optional<Long>> openGeneration(SqlClient sql, String campaignId, Long epoch, long survivingSeq) {
    return sql.preparedQuery(NEXT_GENERATION).execute(Tuple.of(campaignId, epoch)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.succeededFuture(Optional.<Long>empty());
      }
      long generation = rows.iterator().next().getLong(0);
      return sql.preparedQuery(RECORD_GENERATION).execute(Tuple.of(campaignId, generation, survivingSeq))
          .map(Optional.of(generation));
    });
  }

  /**
   * A stored campaign and the version of its document; an archived one (a finished rehearsal) is
   * still decided and checked, but no longer listed.
   */
  public record Stored(Campaign campaign, long configVersion, boolean archived) {}

  public Future<List<Stored>> loadAll() {
    return pool.query(SELECT_ALL).execute().map(rows -> {
      List<Stored> campaigns = new ArrayList<>();
      for (Row row : rows) {
        campaigns.add(new Stored(document(row), row.getLong(1), row.getBoolean(2)));
      }
      return campaigns;
    });
  }


  public Future<Optional<Campaign>> load(String id) {
    return pool.preparedQuery(SELECT_ONE).execute(Tuple.of(id)).map(rows ->
        rows.size() == 0 ? Optional.empty() : Optional.of(document(rows.iterator().next())));
  }

  private static Campaign document(Row row) {
    return CampaignFiles.parseJsonUnvalidated(row.getString(0));
  }
}
