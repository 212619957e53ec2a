package claimgate.redis;

import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The claim stream's entries, as {@code admit.lua} writes them: ONE entry per admitted batch,
 * fields {@code g} (the generation of the campaign's Redis state), {@code f} (the seq of its
 * first claim), {@code t} (Redis's time the script judged the batch at, unix ms), for a
 * pre-queue's entry {@code o} (the opening it waits for) and {@code d} (one line per claim:
 * citizen, merchants, charged merchant, tier, request id, separated by tabs). The only Java reader
 * and writer of that layout.
 *
 * <p>A claim's admission time is {@code t}, not the entry id's time part: Redis before 7.2 takes an
 * {@code XADD *} id's time when the XADD runs, at the end of the script, a millisecond or more
 * after the script read the clock it judged the opening and the rounds by (Redis 7.2 freezes the
 * clock for a script). A batch judged a moment before an opening could otherwise carry an id after
 * it, and the public log would show a pre-queue's claim admitted after its opening. Entries
 * without {@code t} (written before it, or by {@link #append}) are timed by their id.
 */
public final class StreamEntries {

  /**
   * One admitted claim.
   *
   * @param streamId the id of the entry that holds it
   * @param chargedMerchant the merchant whose queue admission counted the claim in
   * @param tier the tier a verified identity token gave the citizen, or null
   * @param requestId the request that made it ({@link CitizenRecord#requestId})
   * @param prequeuedFor the opening (unix ms) whose pre-queue the claim joined, 0 when it did not
   * @param judgedAtMs Redis's time the admission script judged the claim at (field {@code t}), 0
   *     for an entry without it
   */
  public record Claim(String streamId, long generation, long seq, String citizenId, List<String> merchantIds,
      String chargedMerchant, Integer tier, String requestId, long prequeuedFor, long judgedAtMs) {

    /** Redis's time of admission: the time the script judged the claim at, else the entry id's. */
    public long admittedAtMs() {
      return judgedAtMs > 0 ? judgedAtMs : timeOf(streamId);
    }
  }

  /** A claim to append (tests and benchmarks feed streams the way admission does). */
  public record Line(String citizenId, List<String> merchantIds, String chargedMerchant, Integer tier, String requestId) {

    /** A claim without an idempotency key: its request id comes from its body. */
    public Line(String citizenId, List<String> merchantIds, String chargedMerchant, Integer tier) {
      this(citizenId, merchantIds, chargedMerchant, tier, CitizenRecord.requestId(null, String.join(",", merchantIds)));
    }
  }

  private StreamEntries() {}

  public static long timeOf(String streamId) {
    int dash = streamId.indexOf('-');
    return Long.parseLong(dash < 0 ? streamId : streamId.substring(0, dash));
  }

  /** The entries of an XREAD answer (RESP2 or RESP3), each as its list of claims, in order. */
  public static List<List<Claim>> read(Response response) {
    if (response == null) {
      return List.of();
    }
    // RESP3 answers a map {stream: entries}, RESP2 an array [[stream, entries]]
    Response entries = response.getKeys() != null && !response.getKeys().isEmpty()
        ? response.get(response.getKeys().iterator().next())
        : response.get(0).get(1);
    List<List<Claim>> batches = new ArrayList<>(entries.size());
    for (Response entry : entries) {
      batches.add(entry(entry));
    }
    return batches;
  }

  /** The claims of one entry as XRANGE or XREAD gives it: [id, [field, value, ...]]. */
  public static List<Claim> entry(Response entry) {
    Response fields = entry.get(1);
    String generation = null;
    String first = null;
    String data = null;
    long prequeuedFor = 0;
    long judgedAtMs = 0;
    for (int i = 0; i + 1 < fields.size(); i += 2) {
      switch (fields.get(i).toString()) {
        case "g" -> generation = fields.get(i + 1).toString();
        case "f" -> first = fields.get(i + 1).toString();
        case "d" -> data = fields.get(i + 1).toString();
        case "o" -> prequeuedFor = Long.parseLong(fields.get(i + 1).toString());
        case "t" -> judgedAtMs = Long.parseLong(fields.get(i + 1).toString());
        default -> { }
      }
    }
    return decode(entry.get(0).toString(), Long.parseLong(generation), Long.parseLong(first), data, prequeuedFor,
        judgedAtMs);
  }

  static List<Claim> decode(String streamId, long generation, long firstSeq, String data, long prequeuedFor,
      long judgedAtMs) {
    String[] lines = data.split("\n", -1);
    List<Claim> claims = new ArrayList<>(lines.length);
    for (int i = 0; i < lines.length; i++) {
      String[] f = lines[i].split("\t", -1);
      claims.add(new Claim(streamId, generation, firstSeq + i, f[0], Arrays.asList(f[1].split(",")), f[2],
          f[3].isEmpty() ? null : Integer.valueOf(f[3]), f[4], prequeuedFor, judgedAtMs));
    }
    return claims;
  }

  /** An XADD of one entry holding {@code lines}, the first with seq {@code firstSeq}. */
  public static Request append(CampaignKeys keys, String id, long generation, long firstSeq, List<Line> lines) {
    return append(keys, id, generation, firstSeq, lines, 0);
  }

  /** The same for a pre-queue's entry: its claims wait for the opening at {@code prequeuedFor} (unix ms). */
  public static Request append(CampaignKeys keys, String id, long generation, long firstSeq, List<Line> lines,
      long prequeuedFor) {
    StringBuilder data = new StringBuilder();
    for (Line line : lines) {
      if (data.length() > 0) {
        data.append('\n');
      }
      data.append(line.citizenId()).append('\t').append(String.join(",", line.merchantIds())).append('\t')
          .append(line.chargedMerchant()).append('\t').append(line.tier() == null ? "" : line.tier()).append('\t')
          .append(line.requestId());
    }
    Request add = Request.cmd(Command.XADD).arg(keys.stream()).arg(id).arg("g").arg(generation).arg("f").arg(firstSeq);
    if (prequeuedFor > 0) {
      add.arg("o").arg(prequeuedFor);
    }
    return add.arg("d").arg(data.toString());
  }
}
