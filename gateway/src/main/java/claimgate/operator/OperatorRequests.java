package claimgate.operator;

import claimgate.access.Access;
import claimgate.web.ApiError;
import io.vertx.ext.web.RoutingContext;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;

/** What every operator route shares: who acts (for the audit log), and how a missing campaign answers. */
final class OperatorRequests {

  private OperatorRequests() {}

  static String actor(RoutingContext ctx) {
    return "operator@" + Access.address(ctx);
  }

  /** The one row a change on a campaign returned, or 404 {@code unknown_campaign}. */
  static Row single(RowSet<Row> rows, String campaignId) {
    if (rows.size() == 0) {
      throw unknownCampaign(campaignId);
    }
    return rows.iterator().next();
  }

  static ApiError unknownCampaign(String id) {
    return new ApiError(404, "unknown_campaign", "no campaign " + id);
  }

  static boolean isForeignKeyViolation(Throwable failure) {
    return failure instanceof PgException pg && "23503".equals(pg.getSqlState());
  }
}
