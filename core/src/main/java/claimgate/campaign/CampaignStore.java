package claimgate.campaign;

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
 * derived state ({@link claimgate.redis.CampaignRedis}) is built from. Applying a document that
 * would break an invariant, such as a contingent below what is already issued, fails with
 * {@link CampaignException} and changes nothing.
 */
public final class CampaignStore {

  /** The document goes as text and PostgreSQL parses it: a client-side decode could change its numbers' scale. */
  static final String UPSERT_CAMPAIGN = """
      insert into campaign (id, document) values ($1, $2::text::jsonb)
      on conflict (id) do update set document = excluded.document, updated_at = now()""";
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
  static final String SELECT_ALL = "select document::text from campaign order by id";
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

  /** Writes the campaign and, when given, replaces its eligibility list; one transaction. */
  public Future<Campaign> apply(Campaign campaign, Optional<Map<String, Integer>> eligible) {
    return pool.withTransaction(conn -> apply(conn, campaign, eligible)).map(campaign);
  }

  /** The same on the caller's connection, inside the caller's transaction. */
  public static Future<Void> apply(SqlConnection conn, Campaign campaign, Optional<Map<String, Integer>> eligible) {
    return write(conn, campaign, eligible).recover(failure -> Future.failedFuture(explain(campaign, failure)));
  }

  private static Future<Void> write(SqlConnection conn, Campaign campaign, Optional<Map<String, Integer>> eligible) {
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
    Future<Void> written = conn.preparedQuery(UPSERT_CAMPAIGN)
        .execute(Tuple.of(campaign.id(), CampaignFiles.toJson(campaign)))
        .compose(r -> conn.preparedQuery(MERCHANTS_MISSING).execute(Tuple.of(campaign.id(), (Object) idArray)))
        .compose(missing -> missing.size() == 0
            ? Future.succeededFuture()
            : Future.failedFuture(new CampaignException("campaign " + campaign.id() + ": merchant "
                + missing.iterator().next().getString(0) + " cannot be removed once the campaign exists")))
        .compose(v -> conn.preparedQuery(UPSERT_MERCHANTS).execute(Tuple.of(campaign.id(), idArray,
            ordinals.toArray(Integer[]::new), names.toArray(String[]::new), contingents.toArray(Integer[]::new))))
        .mapEmpty();
    if (eligible.isEmpty()) {
      return written;
    }
    Map<String, Integer> list = eligible.get();
    return written
        .compose(v -> conn.preparedQuery(DELETE_ELIGIBLE).execute(Tuple.of(campaign.id())))
        .compose(v -> conn.preparedQuery(INSERT_ELIGIBLE).execute(Tuple.of(campaign.id(),
            list.keySet().toArray(String[]::new), list.values().toArray(Integer[]::new))))
        .mapEmpty();
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

  public Future<List<Campaign>> loadAll() {
    return pool.query(SELECT_ALL).execute().map(rows -> {
      List<Campaign> campaigns = new ArrayList<>();
      for (Row row : rows) {
        campaigns.add(document(row));
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

  /**
   * A fingerprint of what the allocator decides by (everything but the admission settings): an
   * allocator that sees it change in Redis reloads the campaign from PostgreSQL.
   */
  public static String allocationVersion(Campaign campaign) {
    return fingerprint(CampaignFiles.toJson(campaign.withAdmission(null)));
  }

  /** A fingerprint of the whole document: a gateway that sees it change in Redis reloads it. */
  public static String documentVersion(Campaign campaign) {
    return fingerprint(CampaignFiles.toJson(campaign));
  }

  private static String fingerprint(String document) {
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
          .digest(document.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(digest, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
