package claimgate.operator;

import claimgate.access.MerchantKeys;
import claimgate.campaign.CampaignFiles;
import claimgate.revocation.Revocations;
import claimgate.redis.CampaignRedis;
import claimgate.redis.RedisRevocations;
import claimgate.redis.PipelinedRedis;
import claimgate.web.ApiError;
import claimgate.web.Replies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import io.vertx.core.json.JsonArray;
import java.util.List;
import java.util.Optional;

/**
 * Operators' actions on merchants and their vouchers: a merchant key (shown once), and
 * revocation with its reason (see {@link Revocations.RevocationReason}). Each is written with its
 * audit row in one transaction.
 *
 * <p>Not thread-safe: one per verticle, used on its event loop.
 */
public final class MerchantAdmin {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MerchantAdmin.class);

  private final Pool pool;
  private final PipelinedRedis redis;
  private final MerchantKeys merchantKeys;
  private final Revocations revocations;

  public MerchantAdmin(Pool pool, PipelinedRedis redis, MerchantKeys merchantKeys, Revocations revocations) {
    this.pool = pool;
    this.redis = redis;
    this.merchantKeys = merchantKeys;
    this.revocations = revocations;
  }


  public void createMerchantKey(RoutingContext ctx) {
    String id = ctx.pathParam("campaignId");
    String merchantId = ctx.pathParam("merchantId");
    pool.withTransaction(conn -> merchantKeys.create(conn, id, merchantId)
            .compose(key -> AuditLog.write(conn, OperatorRequests.actor(ctx), "merchant.key.create", id,
                new JsonObject().put("merchantId", merchantId)).map(key)))
        .recover(failure -> Future.failedFuture(OperatorRequests.isForeignKeyViolation(failure)
            ? new ApiError(404, "unknown_merchant", "campaign " + id + " has no merchant " + merchantId)
            : failure))
        .onSuccess(key -> Replies.json(ctx, 201, new JsonObject().put("key", key)
            .put("campaignId", id).put("merchantId", merchantId)))
        .onFailure(ctx::fail);
  }


  public void revoke(RoutingContext ctx) {
    JsonObject body = Replies.body(ctx);
    JsonArray codes = body.getJsonArray("codes");
    String merchantId = body.getString("merchantId");
    if ((codes == null) == (merchantId == null)) {
      throw new ApiError(400, "invalid_request", "send either codes or merchantId");
    }
    Revocations.RevocationReason reason = Revocations.RevocationReason.of(body.getString("reason"));
    Future<JsonObject> done = codes != null
        ? pool.withTransaction(conn -> revocations.revokeCodes(conn, codes.stream().map(String::valueOf).toList(), reason)
            // filed under the campaign when the codes are of one (the usual case), else under none
            .compose(revoked -> AuditLog.write(conn, OperatorRequests.actor(ctx), "voucher.revoke",
                revoked.revocationsVersions().size() == 1 ? revoked.revocationsVersions().keySet().iterator().next() : null,
                new JsonObject()
                    .put("codes", codes).put("reason", reason.id()).put("revoked", new JsonArray(revoked.codes())))
                .map(revoked)))
            .compose(revoked -> announce(revoked).map(revocation(reason, revoked).put("codes", new JsonArray(revoked.codes()))))
        : campaignOfMerchant(body.getString("campaignId"), merchantId)
            .compose(campaignId -> pool.withTransaction(conn -> revocations.revokeMerchant(conn, campaignId, merchantId, reason)
                .compose(revoked -> AuditLog.write(conn, OperatorRequests.actor(ctx), "voucher.revoke", campaignId, new JsonObject()
                        .put("merchantId", merchantId).put("reason", reason.id()).put("revoked", revoked.codes().size())
                        .put("shopClosed", revoked.closedShop().isPresent()))
                    .map(revoked)))
                .compose(revoked -> announce(revoked).map(revocation(reason, revoked).put("campaignId", campaignId)
                    .put("merchantId", merchantId).put("shopClosed", revoked.closedShop().isPresent()))));
    done.onSuccess(result -> Replies.json(ctx, 200, result)).onFailure(ctx::fail);
  }


  /**
   * After the commit: a closed shop's settings to Redis (its contingent), and each campaign's
   * leading allocator told to take the revocations in at its next step. Either may fail with
   * Redis away; the allocator's heartbeat then finds the change in PostgreSQL.
   */
  private Future<Void> announce(Revocations.Revoked revoked) {
    List<Future<Void>> writes = new java.util.ArrayList<>();
    revoked.closedShop().ifPresent(shop -> writes.add(CampaignRedis.configure(redis,
        CampaignFiles.parseJsonUnvalidated(shop.document()), shop.configVersion(), Optional.empty())));
    revoked.revocationsVersions().forEach((campaignId, version) ->
        writes.add(RedisRevocations.revocationsWanted(redis, campaignId, version)));
    return Future.join(writes).<Void>mapEmpty().recover(failure -> {
      LOG.warn("revocation committed; Redis not told yet ({}): the allocators' heartbeat takes it in", failure.getMessage());
      return Future.succeededFuture();
    });
  }


  private static JsonObject revocation(Revocations.RevocationReason reason, Revocations.Revoked revoked) {
    int n = revoked.codes().size();
    return new JsonObject().put("revoked", n).put("reason", reason.id()).put("slotsFreed", reason.freesSlot() ? n : 0);
  }


  /** The campaign named, or the only one the merchant takes part in. */
  private Future<String> campaignOfMerchant(String campaignId, String merchantId) {
    return pool.preparedQuery(OperatorQueries.CAMPAIGNS_OF_MERCHANT).execute(Tuple.of(merchantId)).compose(rows -> {
      List<String> campaigns = new java.util.ArrayList<>();
      rows.forEach(r -> campaigns.add(r.getString(0)));
      if (campaignId != null) {
        return campaigns.contains(campaignId) ? Future.succeededFuture(campaignId)
            : Future.failedFuture(new ApiError(404, "unknown_merchant",
                "campaign " + campaignId + " has no merchant " + merchantId));
      }
      if (campaigns.size() == 1) {
        return Future.succeededFuture(campaigns.get(0));
      }
      return Future.failedFuture(campaigns.isEmpty()
          ? new ApiError(404, "unknown_merchant", "no campaign has merchant " + merchantId)
          : new ApiError(400, "invalid_request", "merchant " + merchantId
              + " takes part in several campaigns; name one as campaignId"));
    });
  }
}
