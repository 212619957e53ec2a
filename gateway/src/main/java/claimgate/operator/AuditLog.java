package claimgate.operator;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

/**
 * Operator actions in PostgreSQL: who, what, when, on which campaign, before and after. Written
 * on the connection of the change it records, so an action and its audit row commit together.
 */
public final class AuditLog {

  static final String INSERT = """
      insert into audit (actor, action, campaign_id, detail) values ($1, $2, $3, $4::jsonb)""";
  static final String LIST = """
      select id, at, actor, action, campaign_id, detail::text as detail from audit
      where ($1::text is null or campaign_id = $1) and ($2::bigint is null or id < $2)
      order by id desc limit $3""";

  private AuditLog() {}

  public static Future<Void> write(SqlClient sql, String actor, String action, String campaignId, JsonObject detail) {
    return sql.preparedQuery(INSERT).execute(Tuple.of(actor, action, campaignId, detail)).mapEmpty();
  }

  /** {@code GET /admin/v1/audit}: newest first, optionally of one campaign, paged by {@code before}. */
  public static io.vertx.core.Handler<io.vertx.ext.web.RoutingContext> route(io.vertx.sqlclient.Pool pool) {
    return ctx -> {
      String campaignId = ctx.request().getParam("campaignId");
      String before = ctx.request().getParam("before");
      String limit = ctx.request().getParam("limit");
      list(pool, campaignId, before == null ? null : Long.valueOf(before), limit == null ? 100 : Integer.parseInt(limit))
          .onSuccess(entries -> claimgate.web.Replies.json(ctx, 200, entries))
          .onFailure(ctx::fail);
    };
  }

  /** Newest first; {@code beforeId} pages further back. */
  public static Future<JsonArray> list(SqlClient sql, String campaignId, Long beforeId, int limit) {
    return sql.preparedQuery(LIST).execute(Tuple.of(campaignId, beforeId, limit)).map(rows -> {
      JsonArray entries = new JsonArray();
      for (Row r : rows) {
        entries.add(new JsonObject()
            .put("id", r.getLong("id"))
            .put("at", claimgate.campaign.Formats.instant(r.getOffsetDateTime("at")))
            .put("actor", r.getString("actor"))
            .put("action", r.getString("action"))
            .put("campaignId", r.getString("campaign_id"))
            // as text, so that amounts keep their decimals (10.00, not 10.0)
            .put("detail", claimgate.campaign.Formats.json(r.getString("detail"))));
      }
      return entries;
    });
  }
}
