package claimgate.revocation;

import claimgate.campaign.CampaignFiles;
import claimgate.log.DecisionLog;
import claimgate.voucher.VoucherCodes;
import claimgate.web.ApiError;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Revocation of vouchers, by code or by merchant, with its reason, in the caller's transaction:
 * the campaigns are locked first (the allocator's order), their revocations version is bumped
 * so the leading allocator takes the change in, and a shop that leaves is closed.
 */
public final class Revocations {

  private final VoucherCodes codes;

  public Revocations(VoucherCodes codes) {
    this.codes = codes;
  }

  /**
   * Why a voucher is revoked. Fraud keeps the citizen's slot and the shop's stock used; a
   * withdrawal or a mistake frees the citizen's slot, so they may claim again. Revoking single
   * codes that way returns each voucher to its shop's stock; a shop that leaves the programme
   * (every voucher of a merchant revoked as a withdrawal) is closed: its contingent becomes what
   * it has redeemed, so it issues nothing more.
   */
  public enum RevocationReason {
    FRAUD, WITHDRAWAL, MISTAKE;

    public boolean freesSlot() {
      return this != FRAUD;
    }

    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The reason named, or 400 naming the field. */
    public static RevocationReason of(String id) {
      for (RevocationReason r : values()) {
        if (r.id().equals(id)) {
          return r;
        }
      }
      throw new ApiError(400, "invalid_request", "reason must be one of fraud, withdrawal, mistake");
    }
  }

  /**
   * What a revocation did: the codes revoked, each campaign's revocations version after it (the
   * allocator brings Redis in line with the revocations newer than the last it applied), and a
   * closed shop's campaign document with its config version.
   */
  public record Revoked(List<String> codes, Map<String, Long> revocationsVersions, Optional<ClosedShop> closedShop) {}

  /** The campaign document after a shop left (its contingent lowered to what it redeemed), at its config version. */
  public record ClosedShop(String campaignId, String document, long configVersion) {}

  /** The campaigns of the codes, locked in id order before their vouchers and merchants (the allocator's order). */
  static final String LOCK_CAMPAIGNS_OF_CODES = """
      select id from campaign where id in (select campaign_id from voucher where code = any($1::text[]))
      order by id for no key update""";
  static final String LOCK_CAMPAIGN = "select id from campaign where id = $1 for no key update";
  static final String BUMP_REVOCATIONS = """
      update campaign set revocations_version = revocations_version + 1, updated_at = now()
      where id = any($1::text[]) returning id, revocations_version""";

  /**
   * Revokes the vouchers {@code which} selects that are issued and not redeemed, with the reason
   * ($2), marked with their campaign's (just bumped) revocations version; when it frees slots ($3)
   * the vouchers give up their slot numbers and their shops' issued counts drop.
   */
  private static String revoking(String which) {
    return """
        with revoked as (
          update voucher v set revoked_at = now(), revoke_reason = $2,
            revoked_in = (select c.revocations_version from campaign c where c.id = v.campaign_id),
            citizen_slot = case when $3 then null else citizen_slot end,
            merchant_slot = case when $3 then null else merchant_slot end
          where %s and revoked_at is null and redeemed_at is null
          returning code, campaign_id, merchant_id, ticket),
        freed as (
          update merchant m set issued = m.issued - f.n
          from (select campaign_id, merchant_id, count(*)::int as n from revoked where $3
                group by campaign_id, merchant_id) f
          where m.campaign_id = f.campaign_id and m.id = f.merchant_id)
        select code, campaign_id, ticket from revoked""".formatted(which);
  }

  static final String REVOKE_CODES = revoking("code = any($1::text[])");
  static final String REVOKE_MERCHANT = revoking("campaign_id = $1 and merchant_id = $4");

  /**
   * A shop that left: its contingent becomes what it still holds issued (its redeemed vouchers),
   * in its row and in the campaign's document, a document change like any other.
   */
  static final String CLOSE_SHOP = """
      with shop as (
        update merchant set contingent = issued, released = least(released, issued)
        where campaign_id = $1 and id = $2 returning issued)
      update campaign c set document = jsonb_set(c.document,
          array['merchants', (select (e.ord - 1)::text from jsonb_array_elements(c.document -> 'merchants')
                                with ordinality as e(m, ord) where e.m ->> 'id' = $2), 'contingent'],
          to_jsonb((select issued from shop))),
        config_version = c.config_version + 1, updated_at = now()
      where c.id = $1 returning c.document::text as document, c.config_version""";

  /**
   * Revokes the listed codes that are issued and not redeemed. Runs in the caller's transaction:
   * the codes' campaigns are locked first.
   */
  public Future<Revoked> revokeCodes(SqlClient sql, List<String> typedCodes, RevocationReason reason) {
    List<String> canonical = new ArrayList<>(typedCodes.size());
    for (String typed : typedCodes) {
      String code = codes.wellFormed(typed).orElseThrow(() ->
          new ApiError(400, "invalid_code", "'" + typed + "' is not a well-formed voucher code"));
      canonical.add(code);
    }
    Object[] codeArray = canonical.toArray(String[]::new);
    return sql.preparedQuery(LOCK_CAMPAIGNS_OF_CODES).execute(Tuple.of(codeArray))
        .compose(locked -> bump(sql, firstColumn(locked)))
        .compose(versions -> sql.preparedQuery(REVOKE_CODES).execute(Tuple.of(codeArray, reason.id(), reason.freesSlot()))
            .compose(rows -> logged(sql, rows, versions, reason, Optional.empty())
                .map(v -> new Revoked(firstColumn(rows), versions, Optional.empty()))));
  }

  /**
   * Revokes every unredeemed voucher of a merchant; as a withdrawal, the shop leaves: it is
   * closed ({@link #CLOSE_SHOP}). Runs in the caller's transaction.
   */
  public Future<Revoked> revokeMerchant(SqlClient sql, String campaignId, String merchantId, RevocationReason reason) {
    return sql.preparedQuery(LOCK_CAMPAIGN).execute(Tuple.of(campaignId))
        .compose(locked -> bump(sql, List.of(campaignId)))
        .compose(versions -> sql.preparedQuery(REVOKE_MERCHANT)
            .execute(Tuple.of(campaignId, reason.id(), reason.freesSlot(), merchantId))
            .compose(rows -> reason != RevocationReason.WITHDRAWAL
                ? logged(sql, rows, versions, reason, Optional.empty())
                    .map(v -> new Revoked(firstColumn(rows), versions, Optional.empty()))
                : sql.preparedQuery(CLOSE_SHOP).execute(Tuple.of(campaignId, merchantId)).compose(closed -> {
                  Row doc = closed.iterator().next();
                  Optional<ClosedShop> shop = Optional.of(
                      new ClosedShop(campaignId, doc.getString("document"), doc.getLong("config_version")));
                  return logged(sql, rows, versions, reason, shop).map(v -> new Revoked(firstColumn(rows), versions, shop));
                })));
  }

  /**
   * The public log of each campaign touched states, in this transaction, the tickets whose
   * vouchers were revoked, why, whether their slots were freed and at which revocations version
   * (the allocator decides by it from its next rules record); a closed shop's new document too.
   */
  private static Future<Void> logged(SqlClient sql, RowSet<Row> revoked, Map<String, Long> versions,
      RevocationReason reason, Optional<ClosedShop> closedShop) {
    Map<String, JsonArray> tickets = new java.util.TreeMap<>();
    revoked.forEach(r -> tickets.computeIfAbsent(r.getString(1), id -> new JsonArray()).add(r.getString(2)));
    List<Future<?>> appended = new ArrayList<>();
    for (Map.Entry<String, Long> campaign : versions.entrySet()) {
      List<DecisionLog.Record> records = new ArrayList<>();
      records.add(DecisionLog.record("revocation", new JsonObject().put("version", campaign.getValue())
          .put("reason", reason.id()).put("slotFreed", reason.freesSlot())
          .put("tickets", tickets.getOrDefault(campaign.getKey(), new JsonArray()))));
      closedShop.filter(shop -> shop.campaignId().equals(campaign.getKey())).ifPresent(shop -> records.add(
          DecisionLog.record("campaign", new JsonObject().put("version", shop.configVersion())
              .put("document", CampaignFiles.published(CampaignFiles.parseJsonUnvalidated(shop.document()))))));
      appended.add(DecisionLog.append(sql, campaign.getKey(), records));
    }
    return Future.all(appended).mapEmpty();
  }

  private static Future<Map<String, Long>> bump(SqlClient sql, List<String> campaignIds) {
    return sql.preparedQuery(BUMP_REVOCATIONS).execute(Tuple.of((Object) campaignIds.toArray(String[]::new)))
        .map(rows -> {
          Map<String, Long> versions = new java.util.TreeMap<>();
          rows.forEach(r -> versions.put(r.getString(0), r.getLong(1)));
          return versions;
        });
  }

  private static List<String> firstColumn(RowSet<Row> rows) {
    List<String> revoked = new ArrayList<>();
    rows.forEach(r -> revoked.add(r.getString(0)));
    return revoked;
  }

}
