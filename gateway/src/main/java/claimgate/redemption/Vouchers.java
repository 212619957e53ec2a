package claimgate.redemption;

import claimgate.access.MerchantKeys;

import claimgate.web.ApiError;
import claimgate.voucher.VoucherCodes;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Redemption, lookup and revocation of vouchers (invariant 7). A code is verified (check symbol,
 * then HMAC tag) before any database read; redemption is ONE conditional UPDATE that succeeds
 * only for an issued, unrevoked, unexpired voucher of this merchant not yet redeemed, so
 * concurrent attempts redeem it once. A refusal is explained by one read afterwards.
 */
public final class Vouchers {

  /**
   * Redeems when the voucher is issued, unrevoked, unexpired (at the redemption's time), this
   * merchant's and not redeemed; an offline time must lie after the voucher was issued and within
   * the offline window ($6 hours) before now, so nobody can back-date past an expiry.
   */
  static final String REDEEM = """
      update voucher set redeemed_at = coalesce($4, now()), redeemed_request = $5
      where code = $1 and campaign_id = $2 and merchant_id = $3
        and redeemed_at is null and revoked_at is null and expires_at > coalesce($4, now())
        and ($4::timestamptz is null or ($4 >= issued_at and $4 >= now() - make_interval(hours => $6)))
      returning merchant_id, value, currency, redeemed_at""";
  static final String SELECT = """
      select merchant_id, value, currency, redeemed_at, redeemed_request, revoked_at, expires_at, expires_at <= now() as expired,
             issued_at
      from voucher where code = $1 and campaign_id = $2""";

  /** Vouchers taken while a till was offline are accepted this long after they were taken. */
  public static final int OFFLINE_WINDOW_HOURS = 72;

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
      order by id for update""";
  static final String LOCK_CAMPAIGN = "select id from campaign where id = $1 for update";
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
          returning code, campaign_id, merchant_id),
        freed as (
          update merchant m set issued = m.issued - f.n
          from (select campaign_id, merchant_id, count(*)::int as n from revoked where $3
                group by campaign_id, merchant_id) f
          where m.campaign_id = f.campaign_id and m.id = f.merchant_id)
        select code from revoked""".formatted(which);
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

  /** The outcome of one redemption attempt. */
  public sealed interface Outcome {
    /** @param value with its currency's decimals */
    record Redeemed(String code, String merchantId, BigDecimal value, OffsetDateTime redeemedAt) implements Outcome {
      public JsonObject body() {
        return new JsonObject().put("status", "redeemed").put("code", code).put("merchantId", merchantId)
            .put("value", value).put("redeemedAt", claimgate.campaign.Formats.instant(redeemedAt));
      }
    }

    /** Refused; {@code attempt} is true when the refusal counts as a failed (guessing) attempt. */
    record Refused(ApiError error, boolean attempt) implements Outcome {}
  }

  private final VoucherCodes codes;

  public Vouchers(VoucherCodes codes) {
    this.codes = codes;
  }

  /**
   * Redeems a typed code for the merchant.
   *
   * @param at when it was redeemed (an offline backlog), or null: now
   * @param requestKey the request that redeems, its caller included: a repeat of it by the same
   *     caller answers as the first did; any other caller is told the voucher is redeemed
   */
  public Future<Outcome> redeem(SqlClient sql, MerchantKeys.Holder merchant, String typed, OffsetDateTime at,
      String requestKey) {
    VoucherCodes.Parsed parsed = codes.parse(typed, merchant.campaignId());
    if (!(parsed instanceof VoucherCodes.Parsed.Valid)) {
      return Future.succeededFuture(refusal(parsed));
    }
    String code = VoucherCodes.canonical(typed);
    return sql.preparedQuery(REDEEM)
        .execute(Tuple.of(code, merchant.campaignId(), merchant.merchantId(), at, requestKey, OFFLINE_WINDOW_HOURS))
        .compose(rows -> rows.size() == 1
            ? Future.succeededFuture(redeemed(code, rows.iterator().next()))
            : explain(sql, merchant, code, at, requestKey));
  }

  private Future<Outcome> explain(SqlClient sql, MerchantKeys.Holder merchant, String code, OffsetDateTime at,
      String requestKey) {
    return sql.preparedQuery(SELECT).execute(Tuple.of(code, merchant.campaignId())).map(rows -> {
      if (rows.size() == 0) {
        return new Outcome.Refused(unknownCode(), true);
      }
      Row v = rows.iterator().next();
      if (!v.getString("merchant_id").equals(merchant.merchantId())) {
        return new Outcome.Refused(wrongMerchant(), true);
      }
      OffsetDateTime redeemedAt = v.getOffsetDateTime("redeemed_at");
      if (redeemedAt != null) {
        if (requestKey != null && requestKey.equals(v.getString("redeemed_request"))) {
          return redeemed(code, v);
        }
        return new Outcome.Refused(new ApiError(409, "already_redeemed", "this voucher was already redeemed",
            new JsonObject().put("redeemedAt", claimgate.campaign.Formats.instant(redeemedAt)), null), false);
      }
      if (v.getOffsetDateTime("revoked_at") != null) {
        return new Outcome.Refused(new ApiError(410, "revoked", "this voucher was revoked"), false);
      }
      if (at != null && at.isBefore(v.getOffsetDateTime("issued_at"))) {
        return new Outcome.Refused(new ApiError(400, "invalid_request",
            "redeemedAt is before the voucher was issued (" + v.getOffsetDateTime("issued_at").toInstant() + ")"), false);
      }
      if (at != null && at.isBefore(OffsetDateTime.now().minusHours(OFFLINE_WINDOW_HOURS))) {
        return new Outcome.Refused(new ApiError(400, "invalid_request", "redeemedAt is more than "
            + OFFLINE_WINDOW_HOURS + " h ago: vouchers taken offline are accepted within " + OFFLINE_WINDOW_HOURS + " h"), false);
      }
      return new Outcome.Refused(new ApiError(410, "expired", "this voucher expired at "
          + v.getOffsetDateTime("expires_at").toInstant()), false);
    });
  }

  private static Outcome.Redeemed redeemed(String code, Row row) {
    return new Outcome.Redeemed(code, row.getString("merchant_id"),
        claimgate.campaign.Formats.money(row.getBigDecimal("value"), row.getString("currency")),
        row.getOffsetDateTime("redeemed_at"));
  }

  /** What makes two typed codes the same voucher: their canonical form when well formed, else the text. */
  public String sameness(String typed) {
    return codes.wellFormed(typed).orElse(typed);
  }

  /** The voucher's state for its merchant, without redeeming it. */
  public Future<JsonObject> lookup(SqlClient sql, MerchantKeys.Holder merchant, String typed) {
    VoucherCodes.Parsed parsed = codes.parse(typed, merchant.campaignId());
    if (!(parsed instanceof VoucherCodes.Parsed.Valid)) {
      return Future.failedFuture(((Outcome.Refused) refusal(parsed)).error());
    }
    String code = VoucherCodes.canonical(typed);
    return sql.preparedQuery(SELECT).execute(Tuple.of(code, merchant.campaignId())).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(unknownCode());
      }
      Row v = rows.iterator().next();
      if (!v.getString("merchant_id").equals(merchant.merchantId())) {
        return Future.failedFuture(wrongMerchant());
      }
      OffsetDateTime redeemedAt = v.getOffsetDateTime("redeemed_at");
      String status = redeemedAt != null ? "redeemed"
          : v.getOffsetDateTime("revoked_at") != null ? "revoked"
          : v.getBoolean("expired") ? "expired" : "issued";
      JsonObject body = new JsonObject().put("code", code).put("merchantId", v.getString("merchant_id"))
          .put("value", claimgate.campaign.Formats.money(v.getBigDecimal("value"), v.getString("currency")))
          .put("status", status)
          .put("expiresAt", claimgate.campaign.Formats.instant(v.getOffsetDateTime("expires_at")));
      if (redeemedAt != null) {
        body.put("redeemedAt", claimgate.campaign.Formats.instant(redeemedAt));
      }
      return Future.succeededFuture(body);
    });
  }

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
            .map(rows -> new Revoked(firstColumn(rows), versions, Optional.empty())));
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
                ? Future.succeededFuture(new Revoked(firstColumn(rows), versions, Optional.empty()))
                : sql.preparedQuery(CLOSE_SHOP).execute(Tuple.of(campaignId, merchantId)).map(closed -> {
                  Row doc = closed.iterator().next();
                  return new Revoked(firstColumn(rows), versions, Optional.of(
                      new ClosedShop(campaignId, doc.getString("document"), doc.getLong("config_version"))));
                })));
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

  private static Outcome refusal(VoucherCodes.Parsed parsed) {
    if (parsed instanceof VoucherCodes.Parsed.Malformed malformed) {
      return new Outcome.Refused(new ApiError(400, "invalid_code", malformed.message()), true);
    }
    return new Outcome.Refused(unknownCode(), true);
  }

  private static ApiError wrongMerchant() {
    return new ApiError(403, "wrong_merchant", "this voucher belongs to another merchant");
  }

  private static ApiError unknownCode() {
    // forged and never issued answer alike: the answer tells an attacker nothing
    return new ApiError(404, "unknown_code", "no such voucher");
  }
}
