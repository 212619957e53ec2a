package claimgate.redis;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Revocations in Redis: the hint that PostgreSQL holds new ones, the version applied, and the
 * leading allocator's write of what citizens hold and merchants issued after them.
 */
public final class RedisRevocations {

  private static final int CHUNK = 1000;
  private static final LuaScript REVOKED = LuaScript.load("revoked.lua");

  private RedisRevocations() {}

  /**
   * Tells the leading allocator that PostgreSQL holds revocations up to {@code version}: it takes
   * them in at its next step (its heartbeat would, a little later). A hint only: what is applied
   * is read from PostgreSQL.
   */
  public static Future<Void> revocationsWanted(PipelinedRedis redis, String campaignId, long version) {
    return redis.send(Request.cmd(Command.HSET).arg(new CampaignKeys(campaignId).config())
        .arg(CampaignKeys.REVOCATIONS_WANTED).arg(version)).mapEmpty();
  }

  /** The revocations version whose revocations Redis holds applied (-1: none). */
  public static Future<Long> revocationsApplied(PipelinedRedis redis, String campaignId) {
    return CampaignState.read(redis, campaignId).map(CampaignState::revocationsApplied);
  }

  /**
   * Brings Redis in line with the campaign's revocations, as the leading allocator's ledger
   * (rebuilt from PostgreSQL) has them: what the given citizens hold, what every merchant has
   * issued, and the revoked tickets' published outcomes removed (their status is then read from
   * PostgreSQL). Sent in chunks, one after the other; each is absolute, so a repeat is harmless,
   * and the last records {@code version} as applied. A chunk is skipped when Redis has taken
   * publications past {@code decidedSeq}: a newer leader's, whose ledger is ahead of this one.
   *
   * @param decidedSeq the seq up to which the caller's ledger holds decisions
   * @param version the revocations version the caller's ledger holds
   * @param holdings citizenId to merchantId to vouchers held there, for the citizens to write
   * @param issued merchantId to vouchers issued
   * @param tickets the revoked vouchers' tickets
   */
  public static Future<Void> applyRevocations(PipelinedRedis redis, String campaignId, long decidedSeq, long version,
      Map<String, Map<String, Integer>> holdings, Map<String, Integer> issued, List<String> tickets) {
    CampaignKeys keys = new CampaignKeys(campaignId);
    List<String> scriptKeys = List.of(keys.config(), keys.citizens(), keys.merchants(), keys.outcomes());
    Future<?> calls = Future.succeededFuture();
    List<Map.Entry<String, Map<String, Integer>>> citizens = new ArrayList<>(holdings.entrySet());
    int chunks = Math.max(1, Math.max((citizens.size() + CHUNK - 1) / CHUNK, (tickets.size() + CHUNK - 1) / CHUNK));
    for (int c = 0; c < chunks; c++) {
      List<String> args = new ArrayList<>();
      args.add(Long.toString(decidedSeq));
      args.add(c == chunks - 1 ? Long.toString(version) : "");
      List<Map.Entry<String, Map<String, Integer>>> part =
          citizens.subList(Math.min(citizens.size(), c * CHUNK), Math.min(citizens.size(), (c + 1) * CHUNK));
      args.add(Integer.toString(part.size()));
      for (Map.Entry<String, Map<String, Integer>> citizen : part) {
        args.add(citizen.getKey());
        args.add(Integer.toString(CitizenRecord.total(citizen.getValue())));
        args.add(CitizenRecord.holdings(citizen.getValue()));
      }
      Map<String, Integer> merchants = c == 0 ? issued : Map.of();
      args.add(Integer.toString(merchants.size()));
      merchants.forEach((merchant, n) -> {
        args.add(merchant);
        args.add(Integer.toString(n));
      });
      List<String> ticketPart = tickets.subList(Math.min(tickets.size(), c * CHUNK),
          Math.min(tickets.size(), (c + 1) * CHUNK));
      args.add(Integer.toString(ticketPart.size()));
      args.addAll(ticketPart);
      args.add(CampaignKeys.DECISIONS_CHANNEL);
      args.add(campaignId);
      calls = calls.compose(previous -> REVOKED.call(redis::send, scriptKeys, args));
    }
    return calls.mapEmpty();
  }

}
