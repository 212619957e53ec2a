package claimgate.allocation;

import claimgate.draw.Draw;
import claimgate.draw.Draws;
import claimgate.redis.CampaignKeys;
import claimgate.redis.PipelinedRedis;
import claimgate.redis.StreamEntries;
import claimgate.ticket.Tickets;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A pre-queue's draw as the leader serves it: the frozen list read from the stream at the opening
 * (every entry admitted for that opening, which Redis's clock ended atomically), kept in
 * PostgreSQL, and served in the order {@link Draw#order} gives. Holds the places decided so far.
 *
 * <p>Single-writer contract: used on the allocator's decision thread only.
 */
final class PrequeueDraw {

  /** Stream entries read per call while the list is read (up to some 6,400 claims parsed at a time). */
  private static final int READ_CHUNK = 100;

  private final Draws.Stored stored;
  private final List<ClaimEntry> frozen;
  private List<ClaimEntry> order;
  private int placesDecided;

  PrequeueDraw(Draws.Stored stored, List<ClaimEntry> frozen) {
    this.stored = stored;
    this.frozen = frozen;
    this.placesDecided = stored.placesDecided();
  }

  /** The draw as PostgreSQL keeps it (a new leader continues it from there). */
  static PrequeueDraw of(Draws.Stored stored, String campaignId, Tickets tickets) {
    return new PrequeueDraw(stored, decode(stored.entries(), campaignId, stored.opensAtMs(), tickets));
  }

  Draws.Stored stored() {
    return stored;
  }

  long opensAtMs() {
    return stored.opensAtMs();
  }

  int placesDecided() {
    return placesDecided;
  }

  int size() {
    return frozen.size();
  }

  /** With the beacon's value, once entered: the draw needs it before its first place. */
  PrequeueDraw withStored(Draws.Stored reloaded) {
    PrequeueDraw draw = new PrequeueDraw(reloaded, frozen);
    draw.placesDecided = placesDecided;
    // the order follows the beacon, which this may have brought
    return draw;
  }

  /**
   * Computes the order of service (an HMAC per claim and a sort: a tenth of a second for 50,000),
   * off the decision thread, before the draw is served.
   */
  PrequeueDraw ordered() {
    // a beacon named in advance and not entered yet: no order before it is
    if (order == null && stored.ready()) {
      Map<String, ClaimEntry> byTicket = new HashMap<>();
      frozen.forEach(c -> byTicket.put(c.ticket(), c));
      List<String> drawn = Draw.order(stored.seed(), stored.beaconValue(), frozen.stream().map(ClaimEntry::ticket).toList());
      order = new ArrayList<>(drawn.size());
      for (int i = 0; i < drawn.size(); i++) {
        order.add(byTicket.get(drawn.get(i)).atPlace(i + 1));
      }
    }
    return this;
  }

  /** The next places to decide, at most {@code max}, each with its place. */
  List<ClaimEntry> next(int max) {
    ordered();
    return order.subList(placesDecided, Math.min(order.size(), placesDecided + max));
  }

  void decided(int places) {
    placesDecided += places;
  }

  /**
   * Reads the pre-queue of the opening at {@code opensAtMs} from the stream after {@code offset}:
   * the entries that carry that opening, up to the first that does not or the stream's end. Call
   * it once Redis's clock has passed the opening, on the connection that read that clock: no
   * entry can join the pre-queue after that.
   */
  static Future<List<ClaimEntry>> readFrozen(PipelinedRedis redis, CampaignKeys keys, String offset, long opensAtMs,
      Tickets tickets) {
    return readFrom(redis, keys, offset, opensAtMs, tickets, new ArrayList<>());
  }

  private static Future<List<ClaimEntry>> readFrom(PipelinedRedis redis, CampaignKeys keys, String after, long opensAtMs,
      Tickets tickets, List<ClaimEntry> list) {
    Request range = Request.cmd(Command.XRANGE).arg(keys.stream()).arg("(" + after).arg("+").arg("COUNT").arg(READ_CHUNK);
    return redis.send(range).compose(entries -> {
      String last = null;
      for (Response entry : entries) {
        List<StreamEntries.Claim> claims = StreamEntries.entry(entry);
        if (claims.isEmpty() || claims.get(0).prequeuedFor() != opensAtMs) {
          return Future.succeededFuture(list);
        }
        for (StreamEntries.Claim c : claims) {
          list.add(new ClaimEntry(c.streamId(), c.generation(), c.seq(), tickets.issue(keys.campaignId(), c.generation(), c.seq()),
              c.citizenId(), c.merchantIds(), c.chargedMerchant(), c.admittedAtMs(), c.tier(), c.requestId(), opensAtMs, 0));
        }
        last = claims.get(0).streamId();
      }
      return entries.size() < READ_CHUNK || last == null ? Future.succeededFuture(list)
          : readFrom(redis, keys, last, opensAtMs, tickets, list);
    });
  }

  /** The frozen list as the draw table keeps it: one line per claim, in seq order, its admission time last. */
  static String encode(List<ClaimEntry> list) {
    StringBuilder text = new StringBuilder(list.size() * 96);
    for (ClaimEntry c : list) {
      if (text.length() > 0) {
        text.append('\n');
      }
      text.append(c.streamId()).append('\t').append(c.generation()).append('\t').append(c.seq()).append('\t')
          .append(c.citizenId()).append('\t').append(String.join(",", c.merchantIds())).append('\t')
          .append(c.chargedMerchant()).append('\t').append(c.tier() == null ? "" : c.tier()).append('\t')
          .append(c.requestId() == null ? "" : c.requestId()).append('\t').append(c.admittedAtMs());
    }
    return text.toString();
  }

  static List<ClaimEntry> decode(String text, String campaignId, long opensAtMs, Tickets tickets) {
    List<ClaimEntry> list = new ArrayList<>();
    if (text == null || text.isEmpty()) {
      return list;
    }
    for (String line : text.split("\n")) {
      String[] f = line.split("\t", -1);
      long generation = Long.parseLong(f[1]);
      long seq = Long.parseLong(f[2]);
      list.add(new ClaimEntry(f[0], generation, seq, tickets.issue(campaignId, generation, seq), f[3],
          // its admission time; a list frozen before it was kept is timed by its stream ids
          Arrays.asList(f[4].split(",")), f[5], f.length > 8 ? Long.parseLong(f[8]) : StreamEntries.timeOf(f[0]),
          f[6].isEmpty() ? null : Integer.valueOf(f[6]),
          f[7].isEmpty() ? null : f[7], opensAtMs, 0));
    }
    return list;
  }

  /** The list's hash, as the log states it: its tickets in seq order. */
  static String listHash(List<ClaimEntry> list) {
    return Draw.listHash(list.stream().map(ClaimEntry::ticket).toList());
  }
}
