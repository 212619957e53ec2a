package claimgate.claim;

import claimgate.campaign.Campaign;
import claimgate.catalog.CampaignCatalog;
import claimgate.redis.CampaignKeys;
import claimgate.redis.CampaignState;
import claimgate.redis.PipelinedRedis;
import claimgate.redis.StreamEntries;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Who waits ahead, for a waiting claim's outlook: the claims still queued in a campaign's stream,
 * read incrementally (each entry once) at most once a second while anyone asks, and per shop the
 * seqs of the claims that named it first. A claim's outlook names, for each shop it chose, the
 * vouchers left, how many people ahead of it named that shop first, and a plain band:
 * {@code none_left} (no voucher left), {@code likely} (fewer people ahead named it first than it
 * has vouchers), {@code possible} (fewer than twice as many), {@code unlikely}. In a pre-queue
 * before its draw the places are not known: the people ahead are those expected at a random
 * place, half of the others who named the shop first, and the vouchers are those the round
 * releases at the opening.
 *
 * <p>Not thread-safe: one per verticle, used on its event loop.
 */
public final class QueueView {

  /** How old a view may be before the next request reads the stream again. */
  static final long REFRESH_MS = 1_000;
  /** A campaign nobody asked about for this long is forgotten. */
  static final long IDLE_MS = 60_000;
  private static final int READ_CHUNK = 1_000;

  /** One campaign's waiting claims, in seq order. */
  private static final class Waiting {
    String lastId = "-";
    long readAtMs;
    long askedAtMs;
    Future<Waiting> reading;
    long[] seqs = new long[256];
    String[] merchants = new String[256];
    int size;
    /** Per shop, the seqs (rising) of the claims that named it first. */
    final Map<String, long[]> firstBy = new HashMap<>();
    final Map<String, Integer> firstCount = new HashMap<>();
    /** The contingents of the campaign document last asked with (a new document, a new map). */
    Campaign contingentsOf;
    Map<String, Integer> contingents = Map.of();

    Map<String, Integer> contingents(Campaign campaign) {
      if (campaign != contingentsOf) {
        Map<String, Integer> byId = new HashMap<>();
        campaign.merchants().forEach(m -> byId.put(m.id(), m.contingent()));
        contingents = byId;
        contingentsOf = campaign;
      }
      return contingents;
    }

    void add(long seq, List<String> chosen) {
      if (size == seqs.length) {
        seqs = Arrays.copyOf(seqs, size * 2);
        merchants = Arrays.copyOf(merchants, size * 2);
      }
      seqs[size] = seq;
      merchants[size] = String.join(",", chosen);
      size++;
      String first = chosen.get(0);
      long[] list = firstBy.computeIfAbsent(first, m -> new long[16]);
      int n = firstCount.getOrDefault(first, 0);
      if (n == list.length) {
        list = Arrays.copyOf(list, n * 2);
        firstBy.put(first, list);
      }
      list[n] = seq;
      firstCount.put(first, n + 1);
    }

    /** Forgets the claims decided (seq at or below {@code decided}) once they are half of what is kept. */
    void forget(long decided) {
      int gone = below(seqs, size, decided + 1);
      if (gone < 1024 || gone * 2 < size) {
        return;
      }
      seqs = Arrays.copyOfRange(seqs, gone, Math.max(gone + 256, size));
      merchants = Arrays.copyOfRange(merchants, gone, Math.max(gone + 256, size));
      size -= gone;
      for (Map.Entry<String, long[]> e : firstBy.entrySet()) {
        int n = firstCount.get(e.getKey());
        int cut = below(e.getValue(), n, decided + 1);
        e.setValue(Arrays.copyOfRange(e.getValue(), cut, Math.max(cut + 16, n)));
        firstCount.put(e.getKey(), n - cut);
      }
    }

    /** The shops a waiting claim chose, in its order, or null when the view does not hold it. */
    List<String> chosen(long seq) {
      int at = Arrays.binarySearch(seqs, 0, size, seq);
      return at < 0 ? null : Arrays.asList(merchants[at].split(","));
    }

    /** How many claims with a seq in [from, to) named the shop first. */
    long namedFirst(String merchant, long from, long to) {
      long[] list = firstBy.get(merchant);
      if (list == null) {
        return 0;
      }
      int n = firstCount.get(merchant);
      return below(list, n, to) - below(list, n, from);
    }
  }

  /** How many of the first {@code n} (rising) values are below {@code limit}. */
  private static int below(long[] values, int n, long limit) {
    int at = Arrays.binarySearch(values, 0, n, limit);
    if (at < 0) {
      return -at - 1;
    }
    while (at > 0 && values[at - 1] == limit) {
      at--;
    }
    return at;
  }

  private final PipelinedRedis redis;
  private final Map<String, Waiting> campaigns = new HashMap<>();

  public QueueView(PipelinedRedis redis) {
    this.redis = redis;
  }

  /**
   * A waiting claim's outlook from the view as it is (it is read again in the background when it
   * is older than a second); empty when the view does not hold the claim yet.
   *
   * @param decided the seq decided so far
   * @param prequeue the pre-queue the claim is in, or null
   */
  public Optional<JsonArray> outlook(CampaignCatalog.Live live, long seq, long decided, CampaignState.Prequeue prequeue) {
    Waiting waiting = refreshed(live.campaign().id(), false);
    if (waiting == null) {
      return Optional.empty();
    }
    return Optional.ofNullable(outlook(waiting, live, seq, decided, prequeue));
  }

  /** The same, the stream read first when the view is absent or old. */
  public Future<Optional<JsonArray>> outlookNow(CampaignCatalog.Live live, long seq, long decided,
      CampaignState.Prequeue prequeue) {
    refreshed(live.campaign().id(), true);
    Waiting waiting = campaigns.get(live.campaign().id());
    if (waiting.reading.isComplete() && (waiting.size == 0 || seq > waiting.seqs[waiting.size - 1])) {
      // a claim admitted since the last read: read on now
      read(live.campaign().id(), waiting);
    }
    return waiting.reading.map(read -> Optional.ofNullable(outlook(read, live, seq, decided, prequeue)));
  }

  private JsonArray outlook(Waiting waiting, CampaignCatalog.Live live, long seq, long decided,
      CampaignState.Prequeue prequeue) {
    waiting.forget(decided);
    List<String> chosen = waiting.chosen(seq);
    if (chosen == null) {
      return null;
    }
    Campaign campaign = live.campaign();
    int releasedBp = prequeue != null ? campaign.releasedBp(prequeue.opensAtMs()) : campaign.releasedBp(System.currentTimeMillis());
    Map<String, Integer> contingents = waiting.contingents(campaign);
    JsonArray outlook = new JsonArray();
    for (String merchant : chosen) {
      Integer contingent = contingents.get(merchant);
      int remaining = contingent == null ? 0 : Campaign.remaining(contingent, releasedBp, live.issued().getOrDefault(merchant, 0));
      long ahead;
      if (prequeue != null) {
        long others = waiting.namedFirst(merchant, prequeue.firstSeq(), prequeue.lastSeq() + 1)
            - (chosen.get(0).equals(merchant) ? 1 : 0);
        ahead = (others + 1) / 2;
      } else {
        ahead = waiting.namedFirst(merchant, decided + 1, seq);
      }
      outlook.add(new JsonObject().put("merchantId", merchant).put("remaining", remaining).put("ahead", ahead)
          .put("band", band(remaining, ahead)));
    }
    return outlook;
  }

  static String band(long remaining, long ahead) {
    return remaining == 0 ? "none_left" : ahead < remaining ? "likely" : ahead < 2 * remaining ? "possible" : "unlikely";
  }

  /** The campaign's view, a read of the stream begun when it is older than a second (or absent, when asked to). */
  private Waiting refreshed(String campaignId, boolean create) {
    long now = System.currentTimeMillis();
    campaigns.values().removeIf(w -> now - w.askedAtMs > IDLE_MS && (w.reading == null || w.reading.isComplete()));
    Waiting waiting = campaigns.get(campaignId);
    if (waiting == null) {
      if (!create) {
        // the first ask starts the view; this answer goes without an outlook
        waiting = new Waiting();
        campaigns.put(campaignId, waiting);
        waiting.askedAtMs = now;
        read(campaignId, waiting);
        return null;
      }
      waiting = new Waiting();
      campaigns.put(campaignId, waiting);
    }
    waiting.askedAtMs = now;
    if ((waiting.reading == null || waiting.reading.isComplete()) && now - waiting.readAtMs > REFRESH_MS) {
      read(campaignId, waiting);
    }
    return waiting.readAtMs == 0 ? null : waiting;
  }

  private void read(String campaignId, Waiting waiting) {
    Promise<Waiting> done = Promise.promise();
    waiting.reading = done.future();
    readFrom(new CampaignKeys(campaignId), waiting).onComplete(read -> {
      waiting.readAtMs = System.currentTimeMillis();
      done.complete(waiting);
    });
  }

  private Future<Void> readFrom(CampaignKeys keys, Waiting waiting) {
    String from = waiting.lastId.equals("-") ? "-" : "(" + waiting.lastId;
    return redis.send(Request.cmd(Command.XRANGE).arg(keys.stream()).arg(from).arg("+").arg("COUNT").arg(READ_CHUNK))
        .compose(entries -> {
          if (entries == null || entries.size() == 0) {
            return Future.succeededFuture();
          }
          List<StreamEntries.Claim> claims = new ArrayList<>();
          for (Response entry : entries) {
            claims.addAll(StreamEntries.entry(entry));
            waiting.lastId = entry.get(0).toString();
          }
          for (StreamEntries.Claim c : claims) {
            // seqs rise along the stream; a repeated seq (a restore's) is kept once
            if (waiting.size == 0 || c.seq() > waiting.seqs[waiting.size - 1]) {
              waiting.add(c.seq(), c.merchantIds());
            }
          }
          return entries.size() < READ_CHUNK ? Future.succeededFuture() : readFrom(keys, waiting);
        });
  }
}
