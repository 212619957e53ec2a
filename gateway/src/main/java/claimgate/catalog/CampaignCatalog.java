package claimgate.catalog;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignStore;
import claimgate.redis.CampaignKeys;
import claimgate.redis.CampaignState;
import claimgate.redis.MerchantRecord;
import claimgate.redis.PipelinedRedis;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A gateway verticle's view of its campaigns: documents from PostgreSQL, live state (issued,
 * paused, decided seq, drain rate) from Redis, refreshed about once a second so that campaign
 * pages are served from memory and may be up to a second stale.
 *
 * <p>Not thread-safe: owned by one verticle and used on its event loop only.
 */
public final class CampaignCatalog {

  /** A campaign and what was last read of its live state, with its answer pre-rendered. */
  public record Live(Campaign campaign, Map<String, Integer> issued, boolean paused, boolean frozen, long decidedSeq,
      long generation, CampaignState.Prequeue prequeue, long readAtMs, double drainPerSecond, JsonObject detail,
      JsonObject summary, java.util.Set<String> merchantIds) {

    /** Whether the merchant takes part in the campaign (a set, not a scan of the list). */
    public boolean hasMerchant(String merchantId) {
      return merchantIds.contains(merchantId);
    }

    /**
     * Estimated wait for a claim at a position in the queue, from the decision rate the
     * allocator measured; unknown (-1) while the allocator is frozen or no leader reports its rate
     * (none leads, or it is stuck), when no estimate is true.
     * An allocator with nothing to decide has measured no rate: then its batch rate is assumed.
     */
    public long etaMs(long position) {
      if (frozen || drainPerSecond < 0) {
        return -1;
      }
      double rate = drainPerSecond >= 1 ? drainPerSecond : campaign.admission().ratePerSecond();
      return (long) Math.ceil(position * 1000.0 / Math.max(1.0, rate));
    }
  }

  private static final long MISSING_MEMO_MS = 1_000;

  private final CampaignStore store;
  private final PipelinedRedis redis;
  private Map<String, Campaign> documents = Map.of();
  private final Map<String, String> documentVersions = new HashMap<>();
  private java.util.Set<String> archived = java.util.Set.of();
  private final Map<String, String> seenInRedis = new HashMap<>();
  private final Map<String, Long> missing = new HashMap<>();
  private Future<Void> reloading;
  private final Map<String, Live> live = new HashMap<>();

  public CampaignCatalog(CampaignStore store, PipelinedRedis redis) {
    this.store = store;
    this.redis = redis;
  }

  public Optional<Live> get(String campaignId) {
    return Optional.ofNullable(live.get(campaignId));
  }

  /**
   * The campaign. One not known here is looked for in Redis, where an operator's change lands
   * before it is answered: when it is there, the documents are reloaded at once, so a campaign
   * created a moment ago through any gateway is found; an id Redis does not know (a typo, a bot)
   * costs one Redis read and never a PostgreSQL one, and one Redis knows but PostgreSQL does not
   * (a leftover key) is remembered as missing for a second.
   */
  public Future<Optional<Live>> find(String campaignId) {
    Live known = live.get(campaignId);
    if (known != null) {
      return Future.succeededFuture(Optional.of(known));
    }
    Long missedAt = missing.get(campaignId);
    if (missedAt != null && System.currentTimeMillis() - missedAt < MISSING_MEMO_MS) {
      return Future.succeededFuture(Optional.empty());
    }
    return CampaignState.read(redis, campaignId)
        .compose(state -> state.exists()
            ? reloadDocuments().map(v -> {
              Optional<Live> found = get(campaignId);
              if (found.isEmpty()) {
                if (missing.size() > 10_000) {
                  missing.clear();
                }
                missing.put(campaignId, System.currentTimeMillis());
              }
              return found;
            })
            : Future.succeededFuture(Optional.<Live>empty()));
  }

  /**
   * The campaigns this installation lists (the page's and the console's list): neither a scratch
   * campaign of a warm-up nor an archived one (a finished rehearsal).
   */
  public List<Live> all() {
    return live.values().stream().filter(l -> isListed(l.campaign().id()))
        .sorted(java.util.Comparator.comparing(l -> l.campaign().id())).toList();
  }

  public boolean isListed(String campaignId) {
    return !Campaign.isScratch(campaignId) && !archived.contains(campaignId);
  }

  /** Reloads the documents from PostgreSQL, then the live state; callers meanwhile share one reload. */
  public Future<Void> reloadDocuments() {
    if (reloading != null) {
      return reloading;
    }
    Future<Void> reload = store.loadAll().compose(campaigns -> {
      Map<String, Campaign> byId = new HashMap<>();
      java.util.Set<String> archivedIds = new java.util.HashSet<>();
      documentVersions.clear();
      campaigns.forEach(c -> {
        byId.put(c.campaign().id(), c.campaign());
        documentVersions.put(c.campaign().id(), Long.toString(c.configVersion()));
        if (c.archived()) {
          archivedIds.add(c.campaign().id());
        }
      });
      documents = byId;
      archived = archivedIds;
      live.keySet().retainAll(byId.keySet());
      return refreshLive();
    });
    reloading = reload;
    reload.onComplete(done -> reloading = null);
    return reload;
  }

  /**
   * Re-reads the live state of every campaign from Redis, keeping the old state on failure, and
   * reloads the documents when Redis shows that an operator changed one.
   */
  public Future<Void> refreshLive() {
    List<Future<Void>> reads = new ArrayList<>();
    boolean[] changed = {false};
    for (Campaign campaign : documents.values()) {
      reads.add(readLive(campaign, changed));
    }
    return Future.join(reads).compose(all -> changed[0] && reloading == null ? reloadDocuments() : Future.succeededFuture());
  }

  /** One campaign's live state: its hash in one read, what its merchants issued, its drain rate. */
  private Future<Void> readLive(Campaign campaign, boolean[] changed) {
    CampaignKeys keys = new CampaignKeys(campaign.id());
    Request issuedFields = Request.cmd(Command.HMGET).arg(keys.merchants());
    campaign.merchants().forEach(m -> issuedFields.arg(m.id()));
    Future<Response> issued = redis.send(issuedFields);
    long readAtMs = System.currentTimeMillis();
    Future<CampaignState> state = CampaignState.read(redis, campaign.id());
    Future<Response> drain = redis.send(Request.cmd(Command.HGET).arg(keys.stats()).arg(CampaignKeys.DRAIN_PER_SECOND));
    return Future.all(issued, state, drain).map(all -> {
      // reload once per change seen: a mismatch that stays must not reload every second
      CampaignState now = state.result();
      String inRedis = now.configVersion() > 0 ? Long.toString(now.configVersion()) : null;
      if (inRedis != null && !inRedis.equals(documentVersions.get(campaign.id()))
          && !inRedis.equals(seenInRedis.put(campaign.id(), inRedis))) {
        changed[0] = true;
      }
      Map<String, Integer> issuedByMerchant = new HashMap<>();
      for (int i = 0; i < campaign.merchants().size(); i++) {
        Response record = issued.result().get(i);
        if (record != null) {
          issuedByMerchant.put(campaign.merchants().get(i).id(), MerchantRecord.decode(record.toString()).issued());
        }
      }
      // no rate: no leader has reported one for a few seconds (none leads, or it is stuck)
      double drainRate = drain.result() == null ? -1 : Double.parseDouble(drain.result().toString());
      live.put(campaign.id(), render(campaign, issuedByMerchant, now.paused(), now.frozen(), now.decided(),
          now.generation(), now.prequeue(), readAtMs, drainRate));
      return null;
    });
  }

  static Live render(Campaign campaign, Map<String, Integer> issued, boolean paused, boolean frozen, long decidedSeq,
      long generation, CampaignState.Prequeue prequeue, long readAtMs, double drainPerSecond) {
    long now = Instant.now().toEpochMilli();
    int releasedBp = campaign.releasedBp(now);
    JsonArray merchants = new JsonArray();
    long remainingTotal = 0;
    for (Campaign.Merchant m : campaign.merchants()) {
      int remaining = Campaign.remaining(m.contingent(), releasedBp, issued.getOrDefault(m.id(), 0));
      remainingTotal += remaining;
      JsonObject merchant = new JsonObject().put("id", m.id()).put("name", m.name()).put("remaining", remaining);
      if (m.area() != null) {
        merchant.put("area", m.area());
      }
      if (m.category() != null) {
        merchant.put("category", m.category());
      }
      merchants.add(merchant);
    }
    String state = campaign.scheduleState(now);
    if (paused) {
      state = "paused";
    } else if (state.equals("open") && remainingTotal == 0) {
      state = "sold_out";
    }
    Campaign.Round round = campaign.openRound(now)
        .or(() -> campaign.nextRound(now))
        .orElse(campaign.rounds().get(campaign.rounds().size() - 1));
    // with a pre-queue, before a round: when it opens and is drawn, and what each shop has then
    java.util.Optional<Campaign.Round> drawn = campaign.prequeue() == null || campaign.openRound(now).isPresent()
        ? java.util.Optional.empty() : campaign.nextRound(now);
    drawn.ifPresent(next -> {
      int atOpeningBp = campaign.releasedBp(next.opensAtMs());
      for (int i = 0; i < campaign.merchants().size(); i++) {
        Campaign.Merchant m = campaign.merchants().get(i);
        merchants.getJsonObject(i).put("atOpening", Campaign.remaining(m.contingent(), atOpeningBp, issued.getOrDefault(m.id(), 0)));
      }
    });
    JsonObject summary = new JsonObject()
        .put("id", campaign.id())
        .put("name", campaign.name())
        .put("state", state)
        .put("opensAt", claimgate.campaign.Formats.instant(round.opensAt()));
    JsonObject detail = summary.copy()
        .put("closesAt", claimgate.campaign.Formats.instant(round.closesAt()))
        .put("currency", campaign.currency())
        .put("voucherValue", claimgate.campaign.Formats.money(campaign.voucherValue(), campaign.currency()))
        .put("limits", new JsonObject()
            .put("perCitizen", campaign.limits().perCitizen())
            .put("perCitizenPerMerchant", campaign.limits().perCitizenPerMerchant()))
        .put("validDays", campaign.validDays())
        .put("timeZone", campaign.zone().getId())
        .put("rounds", rounds(campaign))
        .put("merchants", merchants);
    drawn.ifPresent(next -> detail.put("prequeue", new JsonObject()
        .put("opensAt", claimgate.campaign.Formats.instant(Instant.ofEpochMilli(next.opensAtMs() - campaign.prequeue().opensBeforeMs())))
        .put("drawAt", claimgate.campaign.Formats.instant(next.opensAt()))));
    java.util.Set<String> ids = new java.util.HashSet<>();
    campaign.merchants().forEach(m -> ids.add(m.id()));
    return new Live(campaign, Map.copyOf(issued), paused, frozen, decidedSeq, generation, prequeue, readAtMs,
        drainPerSecond, detail, summary, ids);
  }

  private static JsonArray rounds(Campaign campaign) {
    JsonArray rounds = new JsonArray();
    for (Campaign.Round r : campaign.rounds()) {
      rounds.add(new JsonObject().put("opensAt", claimgate.campaign.Formats.instant(r.opensAt()))
          .put("closesAt", claimgate.campaign.Formats.instant(r.closesAt())).put("release", r.release()));
    }
    return rounds;
  }
}
