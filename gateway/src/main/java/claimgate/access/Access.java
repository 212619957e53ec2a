package claimgate.access;

import claimgate.web.ApiError;
import claimgate.web.Bearer;
import claimgate.web.ClientAddress;

import claimgate.access.MerchantKeys;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * Who may call a route: operators with the operator token (compared in constant time),
 * merchants with a live merchant key. No credential, or a wrong one, is 401; a valid credential
 * of the other role is 403. A wrong merchant key counts as a failed attempt of the address.
 */
public final class Access {

  private static final String MERCHANT = "claimgate.merchant";

  private final String operatorToken;
  private final MerchantKeys merchantKeys;
  private final RateBuckets attempts;

  public Access(String operatorToken, MerchantKeys merchantKeys, RateBuckets attempts) {
    this.operatorToken = operatorToken;
    this.merchantKeys = merchantKeys;
    this.attempts = attempts;
  }

  public Handler<RoutingContext> operator() {
    return ctx -> {
      Optional<String> token = Bearer.of(ctx.request());
      if (token.isPresent() && Bearer.matches(token.get(), operatorToken)) {
        ctx.next();
        return;
      }
      if (token.isEmpty()) {
        ctx.fail(unauthenticated("send the operator token as Authorization: Bearer <token>"));
        return;
      }
      merchantKeys.find(token.get())
          .onSuccess(merchant -> ctx.fail(merchant.isPresent()
              ? forbidden("a merchant key cannot call operator routes")
              : unauthenticated("the operator token is wrong")))
          .onFailure(ctx::fail);
    };
  }

  /**
   * Lets a live merchant key through when neither the address nor the key has run out of
   * failed attempts: for a key seen lately, both buckets in ONE Redis call; otherwise the
   * address's first, so that guessing keys costs the guesser time and not the database.
   */
  public Handler<RoutingContext> merchant() {
    return ctx -> {
      String address = address(ctx);
      Optional<String> token = Bearer.of(ctx.request());
      if (token.isPresent() && Bearer.matches(token.get(), operatorToken)) {
        ctx.fail(forbidden("the operator token cannot redeem; use a merchant key"));
        return;
      }
      Optional<MerchantKeys.Holder> recent = token.flatMap(merchantKeys::recent);
      Future<Optional<MerchantKeys.Holder>> checked = recent.isPresent()
          ? attempts.check(address, recent.get().keyHash()).map(recent)
          : attempts.check(address, null)
              .compose(v -> token.isEmpty() ? Future.succeededFuture(Optional.<MerchantKeys.Holder>empty())
                  : merchantKeys.find(token.get()))
              .compose(found -> found.isEmpty() ? Future.succeededFuture(found)
                  : attempts.check(null, found.get().keyHash()).map(found));
      checked
          .compose(merchant -> {
            if (merchant.isPresent()) {
              ctx.put(MERCHANT, merchant.get());
              return Future.succeededFuture(true);
            }
            return attempts.record(address, null, token.isPresent() ? 1 : 0).map(false);
          })
          .onSuccess(known -> {
            if (known) {
              ctx.next();
            } else {
              ctx.fail(unauthenticated("send a merchant key as Authorization: Bearer <key>"));
            }
          })
          .onFailure(ctx::fail);
    };
  }

  /** The merchant that {@link #merchant()} let through. */
  public static MerchantKeys.Holder merchant(RoutingContext ctx) {
    return ctx.get(MERCHANT);
  }

  public static String address(RoutingContext ctx) {
    return ClientAddress.of(ctx);
  }

  private static ApiError unauthenticated(String message) {
    return new ApiError(401, "unauthenticated", message);
  }

  private static ApiError forbidden(String message) {
    return new ApiError(403, "forbidden", message);
  }
}
