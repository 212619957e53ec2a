package claimgate.log;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A campaign's public decision log in PostgreSQL: an append-only, hash-chained list of records,
 * each appended in the transaction of the decision it records. A record is one line of JSON
 * that begins with its {@code index} (1, 2, ...) and {@code prev}, the hash of the record before
 * it (64 zeros before the first), followed by its fields; its hash is the lowercase hex SHA-256
 * of the line's UTF-8 bytes. Anyone holding the lines can recompute the chain
 * ({@link LogVerifier}); changing, dropping, inserting or reordering a record breaks it there.
 *
 * <pre>
 *   DecisionLog.append(tx, campaignId, List.of(DecisionLog.record("pause"))).onSuccess(entries -> ...);
 * </pre>
 */
public final class DecisionLog {

  /** Where one record sits: its index and hash, as a receipt names it. */
  public record Entry(long index, String hash) {
    public JsonObject json() {
      return new JsonObject().put("index", index).put("hash", hash);
    }
  }

  /** One record to append: its fields, and the ticket it concerns (null for campaign events). */
  public record Record(JsonObject fields, String ticket) {}

  /** The hash before the first record. */
  public static final String GENESIS = "0".repeat(64);

  /** The most records one page serves. */
  public static final int MAX_PAGE = 1_000;

  /** Locks the campaign's head (creating it) and reads it: writers append one at a time. */
  static final String LOCK_HEAD = """
      insert into decision_log_head (campaign_id, idx, hash) values ($1, 0, $2)
      on conflict (campaign_id) do update set idx = decision_log_head.idx
      returning idx, hash""";
  static final String INSERT = """
      insert into decision_log (campaign_id, idx, record, hash, ticket)
      select $1, * from unnest($2::bigint[], $3::text[], $4::text[], $5::text[])""";
  static final String MOVE_HEAD = "update decision_log_head set idx = $2, hash = $3 where campaign_id = $1";
  static final String PAGE = """
      select record from decision_log where campaign_id = $1 and idx > $2 order by idx limit $3""";
  static final String HEAD = "select idx, hash from decision_log_head where campaign_id = $1";
  static final String TICKET = """
      select idx, hash, record from decision_log where campaign_id = $1 and ticket = $2 order by idx""";

  private DecisionLog() {}

  /** A campaign event's record: {@code {"type": type}} and the fields given, in their order. */
  public static Record record(String type, Map<String, Object> fields) {
    JsonObject json = new JsonObject().put("type", type);
    fields.forEach(json::put);
    return new Record(json, null);
  }

  /**
   * Appends the records in order within the caller's transaction (the head stays locked until it
   * ends). Answers each record's entry.
   */
  public static Future<List<Entry>> append(SqlClient tx, String campaignId, List<Record> records) {
    if (records.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return tx.preparedQuery(LOCK_HEAD).execute(Tuple.of(campaignId, GENESIS)).compose(rows -> {
      Row head = rows.iterator().next();
      long index = head.getLong(0);
      String prev = head.getString(1);
      int n = records.size();
      Long[] indexes = new Long[n];
      String[] lines = new String[n];
      String[] hashes = new String[n];
      String[] tickets = new String[n];
      List<Entry> entries = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        index++;
        lines[i] = line(index, prev, records.get(i).fields());
        prev = hash(lines[i]);
        indexes[i] = index;
        hashes[i] = prev;
        tickets[i] = records.get(i).ticket();
        entries.add(new Entry(index, prev));
      }
      return Future.all(
              tx.preparedQuery(INSERT).execute(Tuple.of(campaignId, indexes, lines, hashes, tickets)),
              tx.preparedQuery(MOVE_HEAD).execute(Tuple.of(campaignId, index, prev)))
          .map(entries);
    });
  }

  /** The record's line: its index and prev first, then its fields. */
  public static String line(long index, String prev, JsonObject fields) {
    JsonObject line = new JsonObject().put("index", index).put("prev", prev);
    fields.forEach(field -> line.put(field.getKey(), field.getValue()));
    return line.encode();
  }

  /** The lowercase hex SHA-256 of the line's UTF-8 bytes. */
  public static String hash(String line) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(line.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /** Up to {@code limit} records after index {@code after}, as their lines. */
  public static Future<List<String>> page(SqlClient sql, String campaignId, long after, int limit) {
    return sql.preparedQuery(PAGE).execute(Tuple.of(campaignId, after, limit)).map(rows -> {
      List<String> lines = new ArrayList<>(rows.size());
      rows.forEach(row -> lines.add(row.getString(0)));
      return lines;
    });
  }

  /** The last record's entry; empty before the first. */
  public static Future<Optional<Entry>> head(SqlClient sql, String campaignId) {
    return sql.preparedQuery(HEAD).execute(Tuple.of(campaignId)).map(rows -> rows.size() == 0
        ? Optional.<Entry>empty()
        : Optional.of(new Entry(rows.iterator().next().getLong(0), rows.iterator().next().getString(1))));
  }

  /**
   * A ticket's receipt: where its admission and its decision are in the log and the citizen's
   * pseudonym; empty until the ticket is decided.
   */
  public static Future<Optional<JsonObject>> receipt(SqlClient sql, String campaignId, String ticket) {
    return sql.preparedQuery(TICKET).execute(Tuple.of(campaignId, ticket)).map(rows -> {
      JsonObject receipt = new JsonObject();
      for (Row row : rows) {
        JsonObject record = new JsonObject(row.getString(2));
        receipt.put(record.getString("type"), new Entry(row.getLong(0), row.getString(1)).json());
        if (record.containsKey("citizen")) {
          receipt.put("pseudonym", record.getString("citizen"));
        }
      }
      return receipt.containsKey("admission") && receipt.containsKey("decision") ? Optional.of(receipt) : Optional.empty();
    });
  }

  /** The fields of a claim's admission record. */
  public static JsonObject admission(String ticket, long seq, String pseudonym, List<String> merchants) {
    return new JsonObject().put("type", "admission").put("ticket", ticket).put("seq", seq).put("citizen", pseudonym)
        .put("merchants", new JsonArray(new ArrayList<>(merchants)));
  }

  /** The fields of a claim's decision record: the outcome and its shop or reason, never the code. */
  public static JsonObject decision(String ticket, String outcome, String merchant, String reason) {
    JsonObject json = new JsonObject().put("type", "decision").put("ticket", ticket).put("outcome", outcome);
    if (merchant != null) {
      json.put("merchant", merchant);
    }
    if (reason != null) {
      json.put("reason", reason);
    }
    return json;
  }
}
