package claimgate.system;

import static claimgate.system.LiveStack.get;

import claimgate.log.DecisionLog;
import claimgate.verify.LogVerifier;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/** A campaign's public log as anyone reads it through the API, verified, and forged the way a forger would. */
public final class PublicLog {

  private PublicLog() {}

  /** The log through the public API, in pages of {@code limit}. */
  public static List<String> export(String campaignId, int limit) {
    List<String> all = new ArrayList<>();
    Long after = 0L;
    while (after != null) {
      JsonObject page = get("/api/v1/campaigns/" + campaignId + "/log?after=" + after + "&limit=" + limit).json();
      page.getJsonArray("records").forEach(line -> all.add((String) line));
      after = page.getLong("next");
    }
    return all;
  }

  public static LogVerifier.Result verify(List<String> log, JsonObject document, JsonObject receipt) {
    LogVerifier verifier = new LogVerifier(document, receipt);
    log.forEach(verifier::accept);
    return verifier.finish();
  }

  /** The index of the n-th record of a type (1-based). */
  public static int indexOf(List<String> log, String type, int n) {
    int seen = 0;
    for (int i = 0; i < log.size(); i++) {
      if (type.equals(new JsonObject(log.get(i)).getString("type")) && ++seen == n) {
        return i + 1;
      }
    }
    throw new AssertionError("no " + type + " #" + n);
  }

  /**
   * The records with {@code change} applied (given each record's original index and its fields)
   * and every index and prev made sound again: a forger's log, whose chain holds.
   */
  public static List<String> rechain(List<String> log, BiFunction<Integer, JsonObject, JsonObject> change) {
    List<String> out = new ArrayList<>();
    String prev = DecisionLog.GENESIS;
    int index = 0;
    for (String line : log) {
      JsonObject record = new JsonObject(line);
      int original = record.getInteger("index");
      record.remove("index");
      record.remove("prev");
      JsonObject fields = change.apply(original, record);
      fields.remove("index");
      fields.remove("prev");
      String rechained = DecisionLog.line(++index, prev, fields);
      out.add(rechained);
      prev = DecisionLog.hash(rechained);
    }
    return out;
  }
}
