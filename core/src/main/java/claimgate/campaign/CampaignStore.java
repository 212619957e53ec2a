package claimgate.campaign;

import claimgate.keys.CampaignKeys;
import claimgate.keys.PipelinedRedis;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Campaigns in PostgreSQL (the document, merchants, eligibility) and their admission settings in
 * Redis. Applying a document that would break an invariant, such as a contingent below what is
 * already issued, fails with {@link CampaignException} and changes nothing.
 */
public final class CampaignStore {

  static final String UPSERT_CAMPAIGN = """
      insert into campaign (id, document) values ($1, $2::jsonb)
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
  static final String SELECT_ALL = "select document from campaign order by id";
  static final String SELECT_ONE = "select document from campaign where id = $1";

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
        .execute(Tuple.of(campaign.id(), new JsonObject(CampaignFiles.toJson(campaign))))
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
    Object doc = row.getValue(0);
    String json = doc instanceof JsonObject o ? o.encode() : String.valueOf(doc);
    return CampaignFiles.parseJsonUnvalidated(json);
  }

  /**
   * Writes the admission settings and contingents the admission script reads and, when given,
   * replaces the eligibility list it checks.
   */
  public static Future<Void> configureRedis(PipelinedRedis redis, Campaign campaign,
      Optional<Map<String, Integer>> eligible) {
    CampaignKeys keys = new CampaignKeys(campaign.id());
    Campaign.Admission a = campaign.admission();
    Request config = Request.cmd(Command.HSET).arg(keys.config())
        .arg("rate").arg(a.ratePerSecond())
        .arg("burst").arg(a.burst())
        .arg("maxPending").arg(a.maxPendingPerCitizen())
        .arg("capFactor").arg(Double.toString(a.capFactorOrDefault()))
        .arg("addrRate").arg(a.perAddressRateOrDefault())
        .arg("addrBurst").arg(a.perAddressBurstOrDefault())
        .arg("perCitizen").arg(campaign.limits().perCitizen())
        .arg("rounds").arg(roundsSpec(campaign))
        .arg("version").arg(allocationVersion(campaign))
        .arg("document").arg(documentVersion(campaign));
    Request contingents = Request.cmd(Command.HSET).arg(keys.contingent());
    campaign.merchants().forEach(m -> contingents.arg(m.id()).arg(m.contingent()));
    List<Future<?>> writes = new ArrayList<>(List.of(redis.send(config), redis.send(contingents)));
    if (campaign.eligibility() == null) {
      writes.add(redis.send(Request.cmd(Command.HDEL).arg(keys.config()).arg("minTier")));
    } else {
      int minTier = campaign.eligibility().minTier() == null ? 0 : campaign.eligibility().minTier();
      writes.add(redis.send(Request.cmd(Command.HSET).arg(keys.config()).arg("minTier").arg(minTier)));
    }
    eligible.ifPresent(list -> {
      writes.add(redis.send(Request.cmd(Command.DEL).arg(keys.eligible())));
      List<Map.Entry<String, Integer>> entries = new ArrayList<>(list.entrySet());
      for (int from = 0; from < entries.size(); from += 1000) {
        Request chunk = Request.cmd(Command.HSET).arg(keys.eligible());
        entries.subList(from, Math.min(entries.size(), from + 1000))
            .forEach(e -> chunk.arg(e.getKey()).arg(e.getValue()));
        writes.add(redis.send(chunk));
      }
    });
    return Future.all(writes).mapEmpty();
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

  /** "opensMs:closesMs:cumulativeBp;..." as the admission script reads it. */
  static String roundsSpec(Campaign campaign) {
    StringBuilder spec = new StringBuilder();
    int cumulative = 0;
    for (Campaign.Round r : campaign.rounds()) {
      cumulative = Math.min(Campaign.FULL_RELEASE_BP, cumulative + r.releaseBp());
      spec.append(r.opensAtMs()).append(':').append(r.closesAtMs()).append(':').append(cumulative).append(';');
    }
    return spec.toString();
  }
}
