package claimgate.log;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Checks a campaign's public decision log offline, with nothing but its lines and, if given,
 * the campaign document and a receipt: the hash chain; the document against the one the log
 * states; every admission and decision against the rules in force at that point of the log
 * (each ticket admitted once and decided once after its admission, in queue order; a confirmed
 * shop among those the claim chose and within its contingent as released by the rounds so far;
 * per-citizen and per-shop limits by pseudonym); and that the receipt's records are in the log.
 * Feed it lines in order ({@link #accept}), then {@link #finish}. The first violation stops it.
 *
 * <pre>
 *   LogVerifier v = new LogVerifier(document, receipt);
 *   lines.forEach(v::accept);
 *   LogVerifier.Result r = v.finish();   // r.ok(), r.message(), r.figures()
 * </pre>
 *
 * <p>Not yet checked: the draw of a pre-queue, that no one was passed over for a shop that still
 * had stock, and nothing decided while frozen; revocations are not yet in the log, so a campaign
 * whose revocations freed slots may show more confirmations for a citizen than the limit.
 */
public final class LogVerifier {

  /** The verdict: ok with the figures, or the first violation and the index of its record. */
  public record Result(boolean ok, long index, String message, Map<String, Object> figures) {}

  private static final Set<String> REASONS = Set.of("sold_out", "limit_reached", "not_eligible", "round_closed", "expired");

  private final JsonObject givenDocument;
  private final JsonObject receipt;
  private long index;
  private String prev = DecisionLog.GENESIS;
  private String violation;
  private long violationAt;

  private JsonObject document;
  private final Map<String, JsonObject> admitted = new HashMap<>();
  private final Set<String> decided = new HashSet<>();
  private final Map<String, Integer> heldByCitizen = new HashMap<>();
  private final Map<String, Integer> heldAtShop = new HashMap<>();
  private final Map<String, Integer> issued = new HashMap<>();
  private final Map<Long, String> receiptHashes = new HashMap<>();
  private final Map<String, Long> events = new TreeMap<>();
  private int releasedBp;
  private long lastSeq;
  private long confirmed;
  private final Map<String, Long> rejected = new TreeMap<>();

  /**
   * @param givenDocument the campaign document as published (JSON), or null: only the log's own
   * @param receipt a citizen's receipt ({@code admission} and {@code decision}, each {index, hash}), or null
   */
  public LogVerifier(JsonObject givenDocument, JsonObject receipt) {
    this.givenDocument = givenDocument;
    this.receipt = receipt;
    if (receipt != null) {
      for (String part : new String[] {"admission", "decision"}) {
        JsonObject entry = receipt.getJsonObject(part);
        if (entry != null) {
          receiptHashes.put(entry.getLong("index"), entry.getString("hash"));
        }
      }
    }
  }

  /** Checks the next line of the log; after a violation, nothing more. */
  public void accept(String line) {
    if (violation != null) {
      return;
    }
    index++;
    JsonObject record;
    try {
      record = new JsonObject(line);
    } catch (DecodeException e) {
      fail("the record is not JSON");
      return;
    }
    if (record.getValue("index") == null || !Long.valueOf(index).equals(record.getLong("index"))) {
      fail("the record's index is " + record.getValue("index") + ", expected " + index + " (a record is missing or out of place)");
      return;
    }
    if (!prev.equals(record.getString("prev"))) {
      // the record before this one no longer hashes to what this one holds for it: that record
      // was changed (or, less likely, this one's prev was)
      violation = index == 1 ? "the first record's prev is not " + DecisionLog.GENESIS
          : "record " + (index - 1) + " does not hash to the prev that record " + index + " holds for it: it was changed";
      violationAt = Math.max(1, index - 1);
      return;
    }
    prev = DecisionLog.hash(line);
    String expected = receiptHashes.get(index);
    if (expected != null && !expected.equals(prev)) {
      fail("the receipt names this record with hash " + expected + " but its hash is " + prev);
      return;
    }
    check(record);
  }

  private void check(JsonObject record) {
    String type = record.getString("type", "");
    events.merge(type, 1L, Long::sum);
    switch (type) {
      case "campaign" -> document = record.getJsonObject("document");
      case "release" -> releasedBp = Math.max(releasedBp, record.getInteger("releasedBp"));
      case "admission" -> admission(record);
      case "decision" -> decision(record);
      default -> {
        // pause, resume, freeze, unfreeze, archive: stated, not yet judged
      }
    }
  }

  private void admission(JsonObject record) {
    String ticket = record.getString("ticket");
    if (document == null) {
      fail("an admission before the campaign's document is in the log");
    } else if (admitted.containsKey(ticket)) {
      fail("ticket " + ticket + " is admitted twice");
    } else if (record.getLong("seq", 0L) <= lastSeq) {
      fail("admission seq " + record.getLong("seq") + " does not follow " + lastSeq + ": the queue's order is broken");
    } else {
      lastSeq = record.getLong("seq");
      admitted.put(ticket, record);
    }
  }

  private void decision(JsonObject record) {
    String ticket = record.getString("ticket");
    JsonObject admission = admitted.get(ticket);
    if (admission == null) {
      fail("ticket " + ticket + " is decided before it is admitted");
      return;
    }
    if (!decided.add(ticket)) {
      fail("ticket " + ticket + " is decided twice");
      return;
    }
    String outcome = record.getString("outcome");
    if ("rejected".equals(outcome)) {
      String reason = record.getString("reason");
      if (!REASONS.contains(reason)) {
        fail("ticket " + ticket + " is rejected for an unknown reason: " + reason);
        return;
      }
      rejected.merge(reason, 1L, Long::sum);
      return;
    }
    if (!"confirmed".equals(outcome)) {
      fail("ticket " + ticket + " has an unknown outcome: " + outcome);
      return;
    }
    String merchant = record.getString("merchant");
    JsonArray chosen = admission.getJsonArray("merchants");
    if (chosen == null || !chosen.contains(merchant)) {
      fail("ticket " + ticket + " is confirmed at " + merchant + ", which the claim did not choose");
      return;
    }
    Integer contingent = contingent(merchant);
    if (contingent == null) {
      fail("ticket " + ticket + " is confirmed at " + merchant + ", which the campaign does not have");
      return;
    }
    long released = (long) contingent * releasedBp / 10_000;
    int taken = issued.merge(merchant, 1, Integer::sum);
    if (taken > released) {
      fail(merchant + " confirms its voucher " + taken + " with " + released + " released of " + contingent);
      return;
    }
    String citizen = admission.getString("citizen");
    JsonObject limits = document.getJsonObject("limits");
    int held = heldByCitizen.merge(citizen, 1, Integer::sum);
    int heldHere = heldAtShop.merge(citizen + " " + merchant, 1, Integer::sum);
    if (held > limits.getInteger("perCitizen")) {
      fail("citizen " + citizen + " holds " + held + " vouchers, over the limit of " + limits.getInteger("perCitizen"));
      return;
    }
    if (heldHere > limits.getInteger("perCitizenPerMerchant")) {
      fail("citizen " + citizen + " holds " + heldHere + " vouchers at " + merchant + ", over the limit of "
          + limits.getInteger("perCitizenPerMerchant"));
      return;
    }
    confirmed++;
  }

  private Integer contingent(String merchant) {
    for (Object m : document.getJsonArray("merchants", new JsonArray())) {
      JsonObject shop = (JsonObject) m;
      if (merchant.equals(shop.getString("id"))) {
        return shop.getInteger("contingent");
      }
    }
    return null;
  }

  private void fail(String message) {
    violation = message;
    violationAt = index;
  }

  /** The verdict on everything accepted. */
  public Result finish() {
    Map<String, Object> figures = new java.util.LinkedHashMap<>();
    figures.put("records", index);
    figures.put("head", prev);
    figures.put("admissions", (long) admitted.size());
    figures.put("confirmed", confirmed);
    figures.put("rejected", rejected);
    figures.put("events", events);
    if (violation != null) {
      return new Result(false, violationAt, violation, figures);
    }
    if (givenDocument != null && (document == null || !document.equals(givenDocument))) {
      return new Result(false, index, document == null ? "the log states no campaign document"
          : "the campaign document given is not the one the log states last", figures);
    }
    if (receipt != null) {
      for (Map.Entry<Long, String> part : receiptHashes.entrySet()) {
        if (part.getKey() > index) {
          return new Result(false, index, "the receipt names record " + part.getKey() + ", beyond the log's end", figures);
        }
      }
      if (receiptHashes.size() < 2) {
        return new Result(false, index, "the receipt names no admission and decision", figures);
      }
    }
    return new Result(true, index, "ok", figures);
  }
}
