package claimgate.claim;

import claimgate.access.Access;
import claimgate.access.AddressRate;
import claimgate.web.ApiError;
import claimgate.web.Replies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.TimeUnit;

/**
 * A citizen following a ticket: one status read, or an event stream of its changes. Both are
 * rate-limited per client address (in the process's memory: a waiting page's poll costs Redis
 * nothing when the answer is known); streams also per ticket.
 */
public final class TicketReads {

  private static final long STREAM_RETRY_MS = 5_000;

  private final ClaimLookup lookup;
  private final ClaimEvents events;
  private final AddressRate statusReads;
  private final long deadlineMs;

  public TicketReads(ClaimLookup lookup, ClaimEvents events, AddressRate statusReads, long deadlineMs) {
    this.lookup = lookup;
    this.events = events;
    this.statusReads = statusReads;
    this.deadlineMs = deadlineMs;
  }

  /** One status read: counted against the caller's address, answered within the deadline. */
  private Future<JsonObject> read(RoutingContext ctx, String ticket) {
    return statusReads.take(Access.address(ctx))
        .compose(v -> lookup.status(ticket))
        .timeout(deadlineMs, TimeUnit.MILLISECONDS);
  }

  public void status(RoutingContext ctx) {
    read(ctx, ctx.pathParam("ticket"))
        .onSuccess(status -> Replies.json(ctx, 200, status))
        .onFailure(ctx::fail);
  }

  /**
   * A confirmed claim's voucher as a QR code (SVG) for the till's scanner; 404 {@code no_voucher}
   * while the claim has none (queued, rejected, revoked).
   */
  public void voucherImage(RoutingContext ctx) {
    read(ctx, ctx.pathParam("ticket"))
        .onSuccess(status -> {
          JsonObject voucher = "confirmed".equals(status.getString("status")) ? status.getJsonObject("voucher") : null;
          if (voucher == null) {
            ctx.fail(new ApiError(404, "no_voucher", "this claim holds no voucher (it is " + status.getString("status") + ")"));
            return;
          }
          ctx.response().putHeader("Content-Type", "image/svg+xml")
              .putHeader("Cache-Control", "private, max-age=60")
              .putHeader("Content-Disposition", "inline; filename=\"" + voucher.getString("code") + ".svg\"")
              .end(QrSvg.of(voucher.getString("code")));
        })
        .onFailure(ctx::fail);
  }

  public void stream(RoutingContext ctx) {
    String ticket = ctx.pathParam("ticket");
    if (!events.reserve(ticket)) {
      throw new ApiError(429, "throttled", "too many open event streams for this ticket",
          new JsonObject().put("retryAfterMs", STREAM_RETRY_MS), STREAM_RETRY_MS);
    }
    read(ctx, ticket)
        .onSuccess(status -> events.open(ticket, ctx.response(), status))
        .onFailure(failure -> {
          events.release(ticket);
          ctx.fail(failure);
        });
  }
}
