package claimgate.redemption;

import claimgate.access.MerchantKeys;

import claimgate.web.ApiError;
import claimgate.voucher.VoucherCodes;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * Redemption and lookup of vouchers (invariant 7). A code is verified (check symbol,
 * then HMAC tag) before any database read; redemption is ONE conditional UPDATE that succeeds
 * only for an issued, unrevoked, unexpired voucher of this merchant not yet redeemed, so
 * concurrent attempts redeem it once. A refusal is explained by one read afterwards. Redemptions
 * at the till that arrive together share one such UPDATE ({@link #redeemNow}).
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
  /** {@link #REDEEM} for many redemptions now: each row of the batch answers with its index. */
  static final String REDEEM_NOW = """
      update voucher v set redeemed_at = now(), redeemed_request = r.request
      from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[]) as r(code, campaign_id, merchant_id, request, i)
      where v.code = r.code and v.campaign_id = r.campaign_id and v.merchant_id = r.merchant_id
        and v.redeemed_at is null and v.revoked_at is null and v.expires_at > now()
      returning r.i, v.merchant_id, v.value, v.currency, v.redeemed_at""";
  static final String SELECT = """
      select merchant_id, value, currency, redeemed_at, redeemed_request, revoked_at, expires_at, expires_at <= now() as expired,
             issued_at
      from voucher where code = $1 and campaign_id = $2""";

  /** PostgreSQL's SQLSTATE for a statement ended to break a deadlock. */
  private static final String DEADLOCK_DETECTED = "40P01";
  private static final int DEADLOCK_RETRIES = 3;

  /** Vouchers taken while a till was offline are accepted this long after they were taken. */
  public static final int OFFLINE_WINDOW_HOURS = 72;

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

  /** A redemption at the till, now: the typed code and the request that redeems it. */
  public record Now(MerchantKeys.Holder merchant, String typed, String requestKey) {}

  /**
   * Redeems each code as {@link #redeem} would (at null), the valid ones in ONE statement: a
   * voucher named twice is taken once, by one of its requests; the others are refused or, for a
   * repeat of that request, answered alike, by the read that explains every code not redeemed.
   * Answers in the order of {@code requests}.
   */
  public Future<List<Outcome>> redeemNow(SqlClient sql, List<Now> requests) {
    int n = requests.size();
    Outcome[] outcomes = new Outcome[n];
    String[] canonical = new String[n];
    List<Integer> indexes = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Now request = requests.get(i);
      VoucherCodes.Parsed parsed = codes.parse(request.typed(), request.merchant().campaignId());
      if (!(parsed instanceof VoucherCodes.Parsed.Valid)) {
        outcomes[i] = refusal(parsed);
        continue;
      }
      canonical[i] = VoucherCodes.canonical(request.typed());
      indexes.add(i);
    }
    if (indexes.isEmpty()) {
      return Future.succeededFuture(List.of(outcomes));
    }
    // in code order: statements of other gateways (or a full batch beside this one) that name the
    // same vouchers lock their rows in the same order, so they wait for each other instead of
    // deadlocking
    indexes.sort(java.util.Comparator.comparing(i -> canonical[i]));
    int m = indexes.size();
    String[] codeArg = new String[m];
    String[] campaignArg = new String[m];
    String[] merchantArg = new String[m];
    String[] keyArg = new String[m];
    for (int k = 0; k < m; k++) {
      int i = indexes.get(k);
      Now request = requests.get(i);
      codeArg[k] = canonical[i];
      campaignArg[k] = request.merchant().campaignId();
      merchantArg[k] = request.merchant().merchantId();
      keyArg[k] = request.requestKey();
    }
    Tuple args = Tuple.of(codeArg, campaignArg, merchantArg, keyArg, indexes.toArray(Integer[]::new));
    return redeemAll(sql, args, DEADLOCK_RETRIES)
        .compose(rows -> {
          for (Row row : rows) {
            int i = row.getInteger(0);
            outcomes[i] = redeemed(canonical[i], row);
          }
          List<Future<Outcome>> explained = new ArrayList<>();
          for (int i : indexes) {
            if (outcomes[i] == null) {
              int at = i;
              Now request = requests.get(i);
              explained.add(explain(sql, request.merchant(), canonical[i], null, request.requestKey())
                  .onSuccess(outcome -> outcomes[at] = outcome));
            }
          }
          return Future.all(explained).map(all -> List.of(outcomes));
        });
  }

  /**
   * {@link #REDEEM_NOW}, run again when PostgreSQL ended it to break a deadlock: it then wrote
   * nothing (a statement on its own is its own transaction). Code order makes a deadlock between
   * two such statements unlikely, not impossible: another transaction (an operator's revocation)
   * may lock the same vouchers in another order.
   */
  private static Future<io.vertx.sqlclient.RowSet<Row>> redeemAll(SqlClient sql, Tuple args, int retries) {
    return sql.preparedQuery(REDEEM_NOW).execute(args)
        .recover(failure -> retries > 0 && failure instanceof io.vertx.pgclient.PgException pg
            && DEADLOCK_DETECTED.equals(pg.getSqlState())
            ? redeemAll(sql, args, retries - 1)
            : Future.failedFuture(failure));
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
