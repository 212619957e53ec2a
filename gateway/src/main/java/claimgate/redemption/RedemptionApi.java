package claimgate.redemption;

import claimgate.access.MerchantKeys;
import claimgate.gateway.GroupCommit;

import claimgate.access.Access;
import claimgate.web.ApiError;
import claimgate.web.ContractValidation;
import claimgate.access.RateBuckets;
import claimgate.web.Replies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Merchants' routes: redeem one voucher, redeem an offline backlog, look a voucher up. Every
 * route runs behind {@link Access#merchant}, which has checked the failed attempts of the address
 * and of the key. Refusals that look like guessing count against both ({@link RateBuckets}).
 */
public final class RedemptionApi {

  /** Offline redemption times may run ahead of ours by this much (clock skew of a till). */
  private static final long MAX_CLOCK_SKEW_SECONDS = 300;

  private final Pool pool;
  private final Vouchers vouchers;
  private final GroupCommit<Vouchers.Now, Vouchers.Outcome> redeemNow;
  private final RateBuckets attempts;

  /** @param redeemNow redemptions at the till, gathered into one statement ({@link Vouchers#redeemNow}) */
  public RedemptionApi(Pool pool, Vouchers vouchers, GroupCommit<Vouchers.Now, Vouchers.Outcome> redeemNow,
      RateBuckets attempts) {
    this.pool = pool;
    this.vouchers = vouchers;
    this.redeemNow = redeemNow;
    this.attempts = attempts;
  }

  public void redeem(RoutingContext ctx) {
    MerchantKeys.Holder merchant = Access.merchant(ctx);
    String code = ContractValidation.leanBody(ctx, RedeemBody.class).code();
    String key = ctx.request().getHeader("Idempotency-Key");
    String address = Access.address(ctx);
    redeemNow.submit("", new Vouchers.Now(merchant, code, key == null ? null : caller(merchant) + "k:" + key))
        .compose(outcome -> outcome instanceof Vouchers.Outcome.Refused no
            ? attempts.record(address, merchant.keyHash(), no.attempt() ? 1 : 0)
                .transform(recorded -> Future.<JsonObject>failedFuture(no.error()))
            : Future.succeededFuture(((Vouchers.Outcome.Redeemed) outcome).body()))
        .onSuccess(body -> Replies.json(ctx, 200, body))
        .onFailure(ctx::fail);
  }

  public void redeemBatch(RoutingContext ctx) {
    MerchantKeys.Holder merchant = Access.merchant(ctx);
    JsonArray items = Replies.body(ctx).getJsonArray("items");
    // the answer stored with an offline redemption belongs to the key and the device that sent it
    String device = Replies.body(ctx).getString("deviceId", "");
    String address = Access.address(ctx);
    OffsetDateTime latest = OffsetDateTime.now().plusSeconds(MAX_CLOCK_SKEW_SECONDS);
    // one connection, statements pipelined in input order; a code given twice in one batch is
    // one voucher taken once: the later item is refused
    pool.withConnection(conn -> {
      List<Future<JsonObject>> results = new ArrayList<>(items.size());
      java.util.Set<String> seen = new java.util.HashSet<>();
      for (int i = 0; i < items.size(); i++) {
        JsonObject item = items.getJsonObject(i);
        String code = item.getString("code");
        if (!seen.add(vouchers.sameness(code))) {
          results.add(Future.succeededFuture(itemError(code, "already_redeemed", "this code appears earlier in this batch")));
          continue;
        }
        results.add(redeemItem(code, item.getString("redeemedAt"), latest,
            at -> vouchers.redeem(conn, merchant, code, at, caller(merchant) + "b:" + device + "@" + at.toInstant())));
      }
      return Future.all(results).map(all -> {
        JsonArray out = new JsonArray();
        results.forEach(r -> out.add(r.result()));
        return out;
      });
    })
        .compose(results -> {
          int guesses = (int) results.stream().map(JsonObject.class::cast)
              .filter(r -> r.getBoolean("attempt", false)).count();
          results.forEach(r -> ((JsonObject) r).remove("attempt"));
          return attempts.record(address, merchant.keyHash(), guesses).map(results);
        })
        .onSuccess(results -> Replies.json(ctx, 200, new JsonObject().put("results", results)))
        .onFailure(ctx::fail);
  }

  private static Future<JsonObject> redeemItem(String code, String redeemedAt, OffsetDateTime latest,
      java.util.function.Function<OffsetDateTime, Future<Vouchers.Outcome>> redeem) {
    OffsetDateTime at;
    try {
      at = OffsetDateTime.parse(redeemedAt);
    } catch (DateTimeParseException e) {
      return Future.succeededFuture(itemError(code, "invalid_request", isLocal(redeemedAt)
          ? "redeemedAt needs an offset from UTC (2027-04-12T10:15:00+02:00 or ...Z): a local time is ambiguous"
          : "redeemedAt is not an ISO-8601 date-time with an offset"));
    }
    if (at.isAfter(latest)) {
      return Future.succeededFuture(itemError(code, "invalid_request", "redeemedAt is in the future"));
    }
    return redeem.apply(at).map(outcome -> outcome instanceof Vouchers.Outcome.Refused no
        ? no.error().body().put("code", code).put("status", "refused").put("attempt", no.attempt())
        : ((Vouchers.Outcome.Redeemed) outcome).body());
  }

  private static boolean isLocal(String value) {
    try {
      java.time.LocalDateTime.parse(value);
      return true;
    } catch (DateTimeParseException e) {
      return false;
    }
  }

  /** Stored answers belong to their caller: the merchant key (one per till) is part of the request. */
  private static String caller(MerchantKeys.Holder merchant) {
    return merchant.keyHash().substring(0, 16) + ":";
  }

  private static JsonObject itemError(String code, String error, String message) {
    return new JsonObject().put("code", code).put("status", "refused").put("error", error).put("message", message);
  }

  public void getVoucher(RoutingContext ctx) {
    MerchantKeys.Holder merchant = Access.merchant(ctx);
    String address = Access.address(ctx);
    vouchers.lookup(pool, merchant, ctx.pathParam("code"))
        .recover(failure -> failure instanceof ApiError api && api.status() != 429
            ? attempts.record(address, merchant.keyHash(), 1).transform(r -> Future.failedFuture(failure))
            : Future.failedFuture(failure))
        .onSuccess(body -> Replies.json(ctx, 200, body))
        .onFailure(ctx::fail);
  }
}
