package claimgate.allocation;

import claimgate.redis.CampaignKeys;
import claimgate.redis.CitizenRecord;
import claimgate.redis.LuaScript;
import claimgate.redis.PipelinedRedis;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Redis side of committed decisions, sent only after COMMIT as one {@code publish.lua} call:
 * outcomes for the status endpoint, queue counters released, what each citizen of the batch now
 * holds and what each merchant has issued (absolute, so a repeat is harmless), the decided seq,
 * and the stream trimmed below the offset; the outcomes also go out on the decisions channel.
 */
final class Publication {

  static final LuaScript PUBLISH = LuaScript.load("publish.lua");

  private final Map<String, Integer> decidedByCitizen = new LinkedHashMap<>();
  private final Map<String, Integer> decidedByMerchant = new LinkedHashMap<>();
  private final Map<String, Integer> issued = new LinkedHashMap<>();
  private final Map<String, String[]> holdings = new LinkedHashMap<>();
  private final List<String> outcomes = new ArrayList<>();
  private long lastSeq;
  private String offset = "0-0";
  /** For a batch of a draw that is not its last: {@code d<opensAtMs>:<places decided>}; else null. */
  private String drawProgress;

  void add(String ticket, long seq, String streamId, String citizenId, String chargedMerchant, JsonObject outcome) {
    decidedByCitizen.merge(citizenId, 1, Integer::sum);
    decidedByMerchant.merge(chargedMerchant, 1, Integer::sum);
    outcomes.add(ticket);
    outcomes.add(outcome.encode());
    lastSeq = Math.max(lastSeq, seq);
    offset = streamId;
  }

  /** A claim that left the queue undecided (a repeated seq): its queue counters are released, nothing else. */
  void released(String citizenId, String chargedMerchant) {
    decidedByCitizen.merge(citizenId, 1, Integer::sum);
    decidedByMerchant.merge(chargedMerchant, 1, Integer::sum);
  }

  void issued(String merchantId, int count) {
    issued.put(merchantId, count);
  }

  /** What a citizen of the batch holds, as committed: in all and per merchant. */
  void held(String citizenId, int held, Map<String, Integer> heldAt) {
    holdings.put(citizenId, new String[] {Integer.toString(held), CitizenRecord.holdings(heldAt)});
  }

  long lastSeq() {
    return lastSeq;
  }

  /** A batch of a draw, not its last: it moves the draw's progress in Redis, not the decided seq. */
  Publication inDraw(long opensAtMs, int placesDecided) {
    drawProgress = "d" + opensAtMs + ":" + placesDecided;
    return this;
  }

  /**
   * A draw's last batch: the decided seq and the stream move past the whole pre-queue, and every
   * one of its {@code places} counts as published.
   */
  Publication endingDraw(long opensAtMs, int places, long lastSeqOfDraw, String streamIdAfterDraw) {
    lastSeq = Math.max(lastSeq, lastSeqOfDraw);
    offset = streamIdAfterDraw;
    drawProgress = "e" + opensAtMs + ":" + places + ":" + lastSeq;
    return this;
  }

  static JsonObject confirmed(String code, String merchantId, BigDecimal value, String currency, Instant expiresAt) {
    return new JsonObject().put("status", "confirmed").put("voucher", new JsonObject()
        .put("code", code).put("merchantId", merchantId).put("value", claimgate.campaign.Formats.money(value, currency))
        .put("currency", currency).put("expiresAt", claimgate.campaign.Formats.instant(expiresAt)));
  }

  static JsonObject rejected(String reason) {
    return new JsonObject().put("status", "rejected").put("reason", reason);
  }

  /** @param forgetAtMs when Redis may forget the outcomes (status then comes from PostgreSQL) */
  Future<Void> send(PipelinedRedis redis, CampaignKeys keys, long forgetAtMs) {
    List<String> args = new ArrayList<>();
    args.add(drawProgress != null ? drawProgress : Long.toString(lastSeq));
    args.add(offset);
    args.add(Long.toString(forgetAtMs));
    args.add(Integer.toString(decidedByCitizen.size()));
    decidedByCitizen.forEach((citizen, n) -> {
      String[] held = holdings.get(citizen);
      args.add(citizen);
      args.add(Integer.toString(n));
      args.add(held[0]);
      args.add(held[1]);
    });
    for (Map<String, Integer> map : List.of(decidedByMerchant, issued)) {
      args.add(Integer.toString(map.size()));
      map.forEach((k, v) -> {
        args.add(k);
        args.add(Integer.toString(v));
      });
    }
    args.add(Integer.toString(outcomes.size() / 2));
    args.addAll(outcomes);
    // a warm-up's scratch campaign is nobody's: its decisions are not published to the gateways
    args.add(claimgate.campaign.Campaign.isScratch(keys.campaignId()) ? "" : CampaignKeys.DECISIONS_CHANNEL);
    args.add(keys.campaignId());
    return PUBLISH.call(redis::send, keys.publishKeys(), args).mapEmpty();
  }
}
