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
import java.util.Optional;

/**
 * A campaign's public decision log in PostgreSQL: an append-only, hash-chained list of records,
 * each appended in the transaction of the decision it records. A record is one line of JSON
 * that begins with its {@code index} (1, 2, ...) and {@code prev}, the hash of the record before
 * it (64 zeros before the first), followed by its fields; its hash is the lowercase hex SHA-256
 * of the line's UTF-8 bytes. Anyone holding the lines can recompute the chain
 * ({@code claimgate verify}); changing, dropping, inserting or reordering a record breaks it there.
 *
 * <pre>
 *   DecisionLog.append(tx, campaignId, List.of(DecisionLog.record("pause", new JsonObject()))).onSuccess(entries -> ...);
 * </pre>
 */
public final class DecisionLog {

  /** Where one record sits: its index and hash, as a receipt names it. */
  public record Entry(long index, String hash) {
    public JsonObject json() {
      return new JsonObject().put("index", index).put("hash", hash);
    }
  }

  /**
   * One record to append: its fields as a JSON object's text, encoded before the head is known
   * (index and prev are put in front when it is chained).
   */
  public record Record(String fields) {
    public Record(JsonObject fields) {
      this(fields.encode());
    }
  }

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
      insert into decision_log_block (campaign_id, first_idx, last_idx, lines) values ($1, $2, $3, $4)""";
  static final String MOVE_HEAD = "update decision_log_head set idx = $2, hash = $3 where campaign_id = $1";
  /** The blocks holding records after $2: at most $3 of them, since a block holds one record or more. */
  static final String PAGE = """
      select first_idx, lines from decision_log_block
      where campaign_id = $1 and first_idx >= coalesce((select max(first_idx) from decision_log_block
                                                         where campaign_id = $1 and first_idx <= $2 + 1), 1)
      order by first_idx limit $3""";
  static final String HEAD = "select idx, hash from decision_log_head where campaign_id = $1";
  static final String CLAIM_INDEX = "select log_index from claim where ticket = $1 and campaign_id = $2";
  static final String BLOCK_OF = """
      select first_idx, lines from decision_log_block where campaign_id = $1 and first_idx <= $2
      order by first_idx desc limit 1""";

  /** What the log holds of a claim. */
  public sealed interface Receipt {
    /** Not decided yet (or never queued). */
    record Undecided() implements Receipt {}

    /** Decided before this installation kept a public log: it has no record. */
    record NotLogged() implements Receipt {}

    /** Its admission and decision records, and the citizen's pseudonym. */
    record Found(JsonObject receipt) implements Receipt {}
  }

  private DecisionLog() {}

  /** A campaign event's record: {@code {"type": type}} and the fields given, in their order. */
  public static Record record(String type, JsonObject fields) {
    JsonObject json = new JsonObject().put("type", type);
    fields.forEach(field -> json.put(field.getKey(), field.getValue()));
    return new Record(json);
  }

  /**
   * Appends the records in order within the caller's transaction (the head stays locked until it
   * ends). Answers each record's entry.
   */
  public static Future<List<Entry>> append(SqlClient tx, String campaignId, List<Record> records) {
    if (records.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return lockHead(tx, campaignId).compose(head -> {
      Chain chain = Chain.after(head, records);
      return write(tx, campaignId, chain).map(chain.entries());
    });
  }

  /**
   * Locks the campaign's head in the caller's transaction (creating it before the first record)
   * and reads it: the entry the next record follows (index 0 and {@link #GENESIS} at first).
   */
  public static Future<Entry> lockHead(SqlClient tx, String campaignId) {
    return tx.preparedQuery(LOCK_HEAD).execute(Tuple.of(campaignId, GENESIS))
        .map(rows -> new Entry(rows.iterator().next().getLong(0), rows.iterator().next().getString(1)));
  }

  /** Records chained after a head: their lines and entries, not yet written. */
  public record Chain(Entry head, List<String> lines, List<Entry> entries) {
    public static Chain after(Entry head, List<Record> records) {
      List<String> lines = new ArrayList<>(records.size());
      List<Entry> entries = new ArrayList<>(records.size());
      long index = head.index();
      String prev = head.hash();
      for (Record record : records) {
        String line = line(++index, prev, record.fields());
        prev = hash(line);
        lines.add(line);
        entries.add(new Entry(index, prev));
      }
      return new Chain(head, lines, entries);
    }

    Entry last() {
      return entries.get(entries.size() - 1);
    }
  }

  /** Writes the chained records as one block and moves the head past them (the head must be locked). */
  public static Future<Void> write(SqlClient tx, String campaignId, Chain chain) {
    Entry last = chain.last();
    return Future.all(
            tx.preparedQuery(INSERT).execute(Tuple.of(campaignId, chain.head().index() + 1, last.index(),
                String.join("\n", chain.lines()))),
            tx.preparedQuery(MOVE_HEAD).execute(Tuple.of(campaignId, last.index(), last.hash())))
        .mapEmpty();
  }

  /** The record's line: its index and prev first, then its fields. */
  public static String line(long index, String prev, JsonObject fields) {
    return line(index, prev, fields.encode());
  }

  private static String line(long index, String prev, String fields) {
    if (!fields.startsWith("{\"")) {
      throw new IllegalArgumentException("a record's fields are a JSON object with at least a type: " + fields);
    }
    return new StringBuilder(fields.length() + 100).append("{\"index\":").append(index).append(",\"prev\":\"")
        .append(prev).append("\",").append(fields, 1, fields.length()).toString();
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
      List<String> lines = new ArrayList<>(limit);
      for (Row block : rows) {
        long index = block.getLong(0);
        for (String line : block.getString(1).split("\n")) {
          if (index > after && lines.size() < limit) {
            lines.add(line);
          }
          index++;
        }
      }
      return lines;
    });
  }

  /** Every record of the campaign's log, in order, page by page, to {@code each}. */
  public static Future<Void> readAll(SqlClient sql, String campaignId, java.util.function.Consumer<String> each) {
    return readFrom(sql, campaignId, 0, each);
  }

  private static Future<Void> readFrom(SqlClient sql, String campaignId, long after, java.util.function.Consumer<String> each) {
    return page(sql, campaignId, after, MAX_PAGE).compose(lines -> {
      lines.forEach(each);
      return lines.isEmpty() ? Future.succeededFuture() : readFrom(sql, campaignId, after + lines.size(), each);
    });
  }

  /** The last record's entry; empty before the first. */
  public static Future<Optional<Entry>> head(SqlClient sql, String campaignId) {
    return sql.preparedQuery(HEAD).execute(Tuple.of(campaignId)).map(rows -> rows.size() == 0
        ? Optional.<Entry>empty()
        : Optional.of(new Entry(rows.iterator().next().getLong(0), rows.iterator().next().getString(1))));
  }

  /**
   * A decided claim's receipt: where its admission and its decision (the record after) are in the
   * log, with their hashes, and the citizen's pseudonym.
   */
  public static Future<Receipt> receipt(SqlClient sql, String campaignId, String ticket) {
    return sql.preparedQuery(CLAIM_INDEX).execute(Tuple.of(ticket, campaignId)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.succeededFuture(new Receipt.Undecided());
      }
      Long admission = rows.iterator().next().getLong(0);
      if (admission == null) {
        return Future.succeededFuture(new Receipt.NotLogged());
      }
      return sql.preparedQuery(BLOCK_OF).execute(Tuple.of(campaignId, admission)).compose(blocks -> {
        if (blocks.size() == 0) {
          return Future.failedFuture(new IllegalStateException("claim " + ticket + " names log record " + admission
              + ", which no block of campaign " + campaignId + " holds"));
        }
        Row block = blocks.iterator().next();
        String[] lines = block.getString(1).split("\n");
        int at = (int) (admission - block.getLong(0));
        JsonObject admitted = at + 1 < lines.length ? new JsonObject(lines[at]) : null;
        if (admitted == null || !ticket.equals(admitted.getString("ticket"))
            || !ticket.equals(new JsonObject(lines[at + 1]).getString("ticket"))) {
          return Future.failedFuture(new IllegalStateException("log records " + admission + " and " + (admission + 1)
              + " of campaign " + campaignId + " are not claim " + ticket + "'s admission and decision"));
        }
        return Future.succeededFuture(new Receipt.Found(new JsonObject()
            .put("admission", new Entry(admission, hash(lines[at])).json())
            .put("decision", new Entry(admission + 1, hash(lines[at + 1])).json())
            .put("pseudonym", admitted.getString("citizen"))
            .put("place", admitted.getInteger("place"))));
      });
    });
  }

  /** The fields of a claim's admission record. */
  public static JsonObject admission(String ticket, long seq, long admittedAtMs, String pseudonym, List<String> merchants) {
    return new JsonObject(admissionFields(ticket, seq, admittedAtMs, pseudonym, merchants, 0, 0));
  }

  /** The same for a claim of a pre-queue: the opening it waited for and its place in the draw. */
  public static JsonObject drawnAdmission(String ticket, long seq, long admittedAtMs, String pseudonym,
      List<String> merchants, long drawnAtMs, int place) {
    return new JsonObject(admissionFields(ticket, seq, admittedAtMs, pseudonym, merchants, drawnAtMs, place));
  }

  /**
   * A claim's admission record as the allocator writes it, thousands a batch: its JSON written
   * directly, field by field in the documented order (what {@link #admission} parses back).
   *
   * @param place its place in a pre-queue's draw, 0 when it arrived after the opening
   */
  public static Record admissionRecord(String ticket, long seq, long admittedAtMs, String pseudonym, List<String> merchants,
      long drawnAtMs, int place) {
    return new Record(admissionFields(ticket, seq, admittedAtMs, pseudonym, merchants, drawnAtMs, place));
  }

  private static String admissionFields(String ticket, long seq, long admittedAtMs, String pseudonym, List<String> merchants,
      long drawnAtMs, int place) {
    StringBuilder json = new StringBuilder(160).append("{\"type\":\"admission\",\"ticket\":");
    quoted(json, ticket).append(",\"seq\":").append(seq).append(",\"at\":").append(admittedAtMs).append(",\"citizen\":");
    quoted(json, pseudonym).append(",\"merchants\":[");
    for (int i = 0; i < merchants.size(); i++) {
      quoted(i == 0 ? json : json.append(','), merchants.get(i));
    }
    json.append(']');
    if (place > 0) {
      json.append(",\"drawAt\":").append(drawnAtMs).append(",\"place\":").append(place);
    }
    return json.append('}').toString();
  }

  /** A claim's decision record as the allocator writes it (what {@link #decision} parses back). */
  public static Record decisionRecord(String ticket, String outcome, String merchant, String reason) {
    return new Record(decisionFields(ticket, outcome, merchant, reason));
  }

  private static String decisionFields(String ticket, String outcome, String merchant, String reason) {
    StringBuilder json = new StringBuilder(120).append("{\"type\":\"decision\",\"ticket\":");
    quoted(json, ticket).append(",\"outcome\":");
    quoted(json, outcome);
    if (merchant != null) {
      quoted(json.append(",\"merchant\":"), merchant);
    }
    if (reason != null) {
      quoted(json.append(",\"reason\":"), reason);
    }
    return json.append('}').toString();
  }

  /** A JSON string: quotes, backslashes and control characters escaped, everything else as it is. */
  private static StringBuilder quoted(StringBuilder json, String value) {
    json.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\') {
        json.append('\\').append(c);
      } else if (c < 0x20) {
        json.append(String.format("\\u%04x", (int) c));
      } else {
        json.append(c);
      }
    }
    return json.append('"');
  }

  /** The fields of a claim's decision record: the outcome and its shop or reason, never the code. */
  public static JsonObject decision(String ticket, String outcome, String merchant, String reason) {
    return new JsonObject(decisionFields(ticket, outcome, merchant, reason));
  }
}
