package claimgate.verify;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignException;
import claimgate.campaign.CampaignFiles;
import claimgate.draw.Draw;
import claimgate.log.DecisionLog;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Checks a campaign's public decision log offline, with nothing but its lines and, if given, the
 * campaign document and a receipt. It recomputes the hash chain, then replays the allocation:
 * every claim, in the log's order, is decided again by the rules the allocator stated it decided
 * by (its {@code rules} record names the document version and the revocations it had taken in),
 * exactly as the allocator decides (the round open at admission, the citizen's limit, then the
 * first chosen shop with released stock and room under the per-shop limit), and the log's outcome
 * must be that one. So nobody was passed over for a shop that still had stock, no shop gave more
 * than it had released, and no pseudonym holds more than the limits. Eligibility lists are
 * private: a {@code not_eligible} is taken as stated when the campaign has one. The first
 * violation stops it.
 *
 * <pre>
 *   LogVerifier v = new LogVerifier(document, receipt);
 *   lines.forEach(v::accept);
 *   LogVerifier.Result r = v.finish();   // r.ok(), r.index(), r.message(), r.figures()
 * </pre>
 *
 * <p>A pre-queue's draw: the seed revealed must hash to the commitment published before, the
 * frozen list's claims (those admitted with that opening's {@code drawAt}) must hash to the list
 * hash published before the seed, and they must be served first, in the order
 * {@link Draw#order} gives, each with its place, before any claim that arrived after the opening.
 * Nothing is decided between a {@code freeze} and its {@code unfreeze}.
 */
public final class LogVerifier {

  /** The verdict: ok with the figures, or the first violation and the index of its record. */
  public record Result(boolean ok, long index, String message, Map<String, Object> figures) {}

  /** A revocation stated in the log, taken in by the allocator at its next rules record. */
  private record Revocation(long version, boolean slotFreed, List<String> tickets) {}

  /** Where a confirmed claim's voucher is: whose and at which shop. */
  private record Voucher(String citizen, String merchant) {}

  /** A round's draw as the log states it, step by step. */
  private static final class DrawState {
    final String seedHash;
    final String beaconName;
    Integer entries;
    String listHash;
    byte[] seed;
    String beacon;
    /** The drawn admissions in log order: ticket, seq, and the index of the record. */
    final List<String> tickets = new ArrayList<>();
    final List<Long> seqs = new ArrayList<>();
    final List<Long> indexes = new ArrayList<>();

    DrawState(String seedHash, String beaconName) {
      this.seedHash = seedHash;
      this.beaconName = beaconName;
    }

    boolean served() {
      return entries != null && tickets.size() == entries;
    }
  }

  private final JsonObject givenDocument;
  private final JsonObject receipt;
  private final Map<Long, String> receiptHashes = new HashMap<>();
  private long index;
  private String prev = DecisionLog.GENESIS;
  private String violation;
  private long violationAt;

  private final Map<Long, JsonObject> stated = new LinkedHashMap<>();
  private final TreeMap<Long, Campaign> documents = new TreeMap<>();
  private Campaign rules;
  private final List<Revocation> revocations = new ArrayList<>();
  private final Map<String, JsonObject> admitted = new HashMap<>();
  private final Set<String> decided = new HashSet<>();
  private final Map<String, Voucher> vouchers = new HashMap<>();
  private final Map<String, Integer> issued = new HashMap<>();
  private final Map<String, Integer> held = new HashMap<>();
  private final Map<String, Integer> heldAt = new HashMap<>();
  private int releasedBp;
  private long lastSeq;
  private final TreeMap<Long, DrawState> draws = new TreeMap<>();
  private boolean frozen;
  /** The latest admission time of a claim served in arrival order so far (not from a pre-queue). */
  private long latestArrival = Long.MIN_VALUE;
  private long drawsServed;
  private long confirmed;
  private final Map<String, Long> rejected = new TreeMap<>();
  private final Map<String, Long> events = new TreeMap<>();

  /**
   * @param givenDocument the campaign document as published (JSON, without its eligibility list), or null
   * @param receipt a citizen's receipt ({@code ticket}, {@code pseudonym}, {@code admission} and
   *     {@code decision}, each {index, hash}), or null
   */
  public LogVerifier(JsonObject givenDocument, JsonObject receipt) {
    this.givenDocument = givenDocument;
    this.receipt = receipt;
    if (receipt != null) {
      for (String part : new String[] {"admission", "decision"}) {
        JsonObject entry = receipt.getJsonObject(part);
        if (entry != null && entry.getLong("index") != null) {
          receiptHashes.put(entry.getLong("index"), entry.getString("hash"));
        }
      }
    }
  }

  /** Verifies a campaign's log as PostgreSQL holds it, page by page (an installation's own check). */
  public static io.vertx.core.Future<Result> ofCampaign(io.vertx.sqlclient.SqlClient sql, String campaignId) {
    LogVerifier verifier = new LogVerifier(null, null);
    return DecisionLog.readAll(sql, campaignId, verifier::accept).map(done -> verifier.finish());
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
    try {
      check(record);
    } catch (RuntimeException malformed) {
      fail("the record is not one this log holds: " + malformed.getMessage());
    }
  }

  private void check(JsonObject record) {
    String type = record.getString("type", "");
    events.merge(type, 1L, Long::sum);
    switch (type) {
      case "campaign" -> campaign(record);
      case "rules" -> rules(record);
      case "revocation" -> revocations.add(new Revocation(record.getLong("version"), record.getBoolean("slotFreed"),
          record.getJsonArray("tickets").stream().map(String.class::cast).toList()));
      case "admission" -> admission(record);
      case "decision" -> decision(record);
      case "draw_commitment" -> {
        if (draws.putIfAbsent(record.getLong("opensAt"), new DrawState(record.getString("seedHash"), record.getString("beacon")))
            != null) {
          fail("a second seed is committed for the opening at " + record.getLong("opensAt") + ": the first one stands");
        }
      }
      case "draw_list" -> drawList(record);
      case "draw_reveal" -> drawReveal(record);
      case "freeze" -> frozen = true;
      case "unfreeze" -> frozen = false;
      case "release", "pause", "resume", "archive" -> {
        // stated for everyone to see; a release is recomputed from the rounds and each admission's time
      }
      default -> fail("unknown record type " + type);
    }
  }

  private void campaign(JsonObject record) {
    JsonObject document = record.getJsonObject("document");
    stated.put(record.getLong("version"), document);
    try {
      documents.put(record.getLong("version"), CampaignFiles.parseJsonUnvalidated(document.encode()));
    } catch (CampaignException e) {
      fail("the campaign document is unreadable: " + e.getMessage());
    }
  }

  /** The allocator decides from here by the document of this version and the revocations up to this one. */
  private void rules(JsonObject record) {
    Map.Entry<Long, Campaign> document = documents.floorEntry(record.getLong("configVersion"));
    if (document == null) {
      fail(documents.isEmpty()
          ? "the log begins after the campaign did (it was created before this installation kept a log): it cannot be verified"
          : "the allocator decides by version " + record.getLong("configVersion") + " of a document the log never stated");
      return;
    }
    rules = document.getValue();
    long upTo = record.getLong("revocationsVersion");
    for (Iterator<Revocation> it = revocations.iterator(); it.hasNext(); ) {
      Revocation r = it.next();
      if (r.version() <= upTo) {
        if (r.slotFreed()) {
          r.tickets().forEach(this::free);
        }
        it.remove();
      }
    }
  }

  /** A revoked voucher whose slot was freed: its shop and its citizen have it no more. */
  private void free(String ticket) {
    Voucher v = vouchers.remove(ticket);
    if (v != null) {
      issued.merge(v.merchant(), -1, Integer::sum);
      held.merge(v.citizen(), -1, Integer::sum);
      heldAt.merge(v.citizen() + " " + v.merchant(), -1, Integer::sum);
    }
  }

  private void drawList(JsonObject record) {
    DrawState draw = draws.get(record.getLong("opensAt"));
    if (draw == null) {
      fail("a pre-queue is frozen for an opening at " + record.getLong("opensAt") + " whose seed was never committed");
    } else if (draw.entries != null) {
      fail("the pre-queue of the opening at " + record.getLong("opensAt") + " is frozen twice");
    } else if (latestArrival >= record.getLong("opensAt")) {
      fail("a claim that arrived after the opening at " + record.getLong("opensAt")
          + " was served before that opening's pre-queue was frozen");
    } else {
      draw.entries = record.getInteger("entries");
      draw.listHash = record.getString("listHash");
    }
  }

  private void drawReveal(JsonObject record) {
    DrawState draw = draws.get(record.getLong("opensAt"));
    if (draw == null || draw.entries == null) {
      fail("a seed is revealed for the opening at " + record.getLong("opensAt") + " before its pre-queue's list was frozen"
          + " and its hash published");
      return;
    }
    if (draw.seed != null) {
      fail("the seed of the opening at " + record.getLong("opensAt") + " is revealed twice");
      return;
    }
    byte[] seed = Draw.unhex(record.getString("seed"));
    if (!Draw.commitment(seed).equals(draw.seedHash)) {
      fail("the seed revealed does not hash to the commitment " + draw.seedHash + " published before the pre-queue opened");
      return;
    }
    String beacon = record.getString("beacon");
    if ((draw.beaconName == null) != (beacon == null)) {
      fail(draw.beaconName == null ? "the draw takes outside randomness that was never named in advance"
          : "the draw leaves out the outside randomness named in advance (" + draw.beaconName + ")");
      return;
    }
    draw.seed = seed;
    draw.beacon = beacon;
  }

  /** Whether a pre-queue frozen at an opening at or before {@code atMs} still has places to serve. */
  private boolean unservedDrawBefore(long atMs) {
    for (Map.Entry<Long, DrawState> d : draws.headMap(atMs, true).entrySet()) {
      if (d.getValue().entries != null && !d.getValue().served()) {
        return true;
      }
    }
    return false;
  }

  /** A claim of a pre-queue: in its draw's order, at its place; the whole list checked with the last one. */
  private void drawnAdmission(JsonObject record) {
    long drawAt = record.getLong("drawAt");
    DrawState draw = draws.get(drawAt);
    if (draw == null || draw.seed == null) {
      fail("ticket " + record.getString("ticket") + " is served from a pre-queue whose draw's seed was not revealed");
      return;
    }
    if (draw.served()) {
      fail("the draw of the opening at " + drawAt + " serves more claims than its frozen list holds (" + draw.entries + ")");
      return;
    }
    if (record.getLong("at") >= drawAt) {
      fail("ticket " + record.getString("ticket") + " is in the pre-queue but was admitted after the opening");
      return;
    }
    int place = draw.tickets.size() + 1;
    if (!Integer.valueOf(place).equals(record.getInteger("place"))) {
      fail("ticket " + record.getString("ticket") + " states place " + record.getInteger("place") + " but is served "
          + place + (place == 1 ? "st" : "th") + " in its draw");
      return;
    }
    draw.tickets.add(record.getString("ticket"));
    draw.seqs.add(record.getLong("seq"));
    draw.indexes.add(index);
    if (draw.served()) {
      checkDraw(draw);
    }
  }

  /** The list served is the one frozen, and in the order its seed gives. */
  private void checkDraw(DrawState draw) {
    List<Integer> bySeq = new ArrayList<>();
    for (int i = 0; i < draw.tickets.size(); i++) {
      bySeq.add(i);
    }
    bySeq.sort((a, b) -> Long.compare(draw.seqs.get(a), draw.seqs.get(b)));
    List<String> admitted = bySeq.stream().map(draw.tickets::get).toList();
    if (!Draw.listHash(admitted).equals(draw.listHash)) {
      fail("the claims served in the draw are not the frozen list whose hash " + draw.listHash + " was published");
      return;
    }
    List<String> order = Draw.order(draw.seed, draw.beacon, admitted);
    for (int i = 0; i < order.size(); i++) {
      if (!order.get(i).equals(draw.tickets.get(i))) {
        violation = "place " + (i + 1) + " of the draw belongs to ticket " + order.get(i) + " by the seed, but ticket "
            + draw.tickets.get(i) + " is served there";
        violationAt = draw.indexes.get(i);
        return;
      }
    }
    drawsServed++;
    // arrivals after the opening follow the whole list
    lastSeq = Math.max(lastSeq, draw.seqs.stream().mapToLong(Long::longValue).max().orElse(lastSeq));
  }

  private void admission(JsonObject record) {
    String ticket = record.getString("ticket");
    if (admitted.containsKey(ticket)) {
      fail("ticket " + ticket + " is admitted twice");
    } else if (record.getValue("drawAt") != null) {
      drawnAdmission(record);
      if (violation == null) {
        admitted.put(ticket, record);
      }
    } else if (unservedDrawBefore(record.getLong("at"))) {
      fail("ticket " + ticket + " arrived after an opening but is served before that opening's pre-queue is through");
    } else if (record.getLong("seq") <= lastSeq) {
      fail("admission seq " + record.getLong("seq") + " does not follow " + lastSeq + ": the queue's order is broken");
    } else {
      lastSeq = record.getLong("seq");
      latestArrival = Math.max(latestArrival, record.getLong("at"));
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
    if (frozen) {
      fail("ticket " + ticket + " is decided while the campaign is frozen");
      return;
    }
    if (rules == null) {
      fail("ticket " + ticket + " is decided before the allocator stated the rules it decides by");
      return;
    }
    String stated = "confirmed".equals(record.getString("outcome")) ? "confirmed at " + record.getString("merchant")
        : "rejected".equals(record.getString("outcome")) ? "rejected (" + record.getString("reason") + ")"
        : "an unknown outcome " + record.getString("outcome");
    if (stated.equals("rejected (not_eligible)") && rules.eligibility() != null) {
      // the list is private: the log's word is taken
      rejected.merge("not_eligible", 1L, Long::sum);
      return;
    }
    String due = decide(admission);
    if (!stated.equals(due)) {
      fail("ticket " + ticket + " is " + stated + ", but by the campaign's rules at that point it is " + due);
      return;
    }
    if (record.getString("outcome").equals("confirmed")) {
      String citizen = admission.getString("citizen");
      String merchant = record.getString("merchant");
      issued.merge(merchant, 1, Integer::sum);
      held.merge(citizen, 1, Integer::sum);
      heldAt.merge(citizen + " " + merchant, 1, Integer::sum);
      vouchers.put(ticket, new Voucher(citizen, merchant));
      confirmed++;
    } else {
      rejected.merge(record.getString("reason"), 1L, Long::sum);
    }
  }

  /** The outcome the allocator's rules give the claim now, in the words of {@code decision}. */
  private String decide(JsonObject admission) {
    // a pre-queue's claim is judged at the opening it waited for
    long at = admission.getValue("drawAt") != null ? admission.getLong("drawAt") : admission.getLong("at");
    if (rules.openRound(at).isEmpty()) {
      return "rejected (round_closed)";
    }
    String citizen = admission.getString("citizen");
    if (held.getOrDefault(citizen, 0) >= rules.limits().perCitizen()) {
      return "rejected (limit_reached)";
    }
    releasedBp = Math.max(releasedBp, rules.releasedBp(at));
    Map<String, Integer> contingents = new LinkedHashMap<>();
    rules.merchants().forEach(m -> contingents.put(m.id(), m.contingent()));
    boolean blockedByShopLimit = false;
    for (Object chosen : admission.getJsonArray("merchants", new JsonArray())) {
      Integer contingent = contingents.get((String) chosen);
      if (contingent == null || Campaign.remaining(contingent, releasedBp, issued.getOrDefault((String) chosen, 0)) == 0) {
        continue;
      }
      if (heldAt.getOrDefault(citizen + " " + chosen, 0) >= rules.limits().perCitizenPerMerchant()) {
        blockedByShopLimit = true;
        continue;
      }
      return "confirmed at " + chosen;
    }
    return blockedByShopLimit ? "rejected (limit_reached)" : "rejected (sold_out)";
  }

  private void fail(String message) {
    violation = message;
    violationAt = index;
  }

  /** The verdict on everything accepted. */
  public Result finish() {
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("records", index);
    figures.put("head", prev);
    figures.put("admissions", (long) admitted.size());
    figures.put("confirmed", confirmed);
    figures.put("rejected", rejected);
    figures.put("events", events);
    if (!draws.isEmpty()) {
      figures.put("draws", drawsServed);
    }
    if (violation != null) {
      return new Result(false, violationAt, violation, figures);
    }
    for (Map.Entry<Long, DrawState> d : draws.entrySet()) {
      if (d.getValue().entries != null && !d.getValue().served() && d.getValue().seed != null) {
        // a log read while its draw is being served ends here: not a violation, but said
        figures.put("drawUnderWay", d.getKey());
      }
    }
    if (givenDocument != null) {
      Long version = stated.entrySet().stream().filter(e -> e.getValue().equals(givenDocument)).map(Map.Entry::getKey)
          .reduce((first, later) -> later).orElse(null);
      if (version == null) {
        return new Result(false, index, stated.isEmpty() ? "the log states no campaign document"
            : "the campaign document given is none of those the log states", figures);
      }
      figures.put("documentVersion", version);
    }
    if (receipt != null) {
      String problem = receiptProblem();
      if (problem != null) {
        return new Result(false, index, problem, figures);
      }
    }
    return new Result(true, index, "ok", figures);
  }

  /** Why the receipt is not this log's record of its claim, or null when it is. */
  private String receiptProblem() {
    JsonObject admission = receipt.getJsonObject("admission");
    JsonObject decision = receipt.getJsonObject("decision");
    if (admission == null || decision == null || admission.getLong("index") == null || decision.getLong("index") == null) {
      return "the receipt names no admission and decision";
    }
    if (decision.getLong("index") != admission.getLong("index") + 1) {
      return "the receipt's decision is not the record after its admission";
    }
    if (decision.getLong("index") > index) {
      return "the receipt names record " + decision.getLong("index") + ", beyond the log's end";
    }
    JsonObject admitted = this.admitted.get(receipt.getString("ticket"));
    if (admitted == null || admitted.getLong("index").longValue() != admission.getLong("index")) {
      return "the receipt's admission is not the log's admission of ticket " + receipt.getString("ticket");
    }
    if (!admitted.getString("citizen").equals(receipt.getString("pseudonym"))) {
      return "the receipt's pseudonym is not the one the log gives the claim";
    }
    return null;
  }
}
