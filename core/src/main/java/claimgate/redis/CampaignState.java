package claimgate.redis;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

/**
 * What the campaign hash holds besides the settings (see {@link CampaignKeys}): the operator's
 * flags, the admitted and decided seqs, the restore gate and its generation, the versions of the
 * settings and revocations Redis holds, and the admission rate in force. Every Java reader of the
 * hash reads it here, in ONE {@code HMGET}; the settings are written by {@link CampaignRedis},
 * the gate by {@link RedisRestore}, the revocation versions by {@link RedisRevocations}, the rest
 * by the Lua scripts.
 *
 * @param exists false when Redis holds no campaign hash (lost, or never restored)
 * @param seq the admission seq of the last admitted claim
 * @param decided the seq of the last claim whose outcome is published
 * @param server the restore gate: the Redis server's id the campaign was restored on (or
 *     {@link RedisRestore#RESTORING}); null when the gate is shut
 */
public record CampaignState(boolean exists, boolean paused, boolean frozen, long seq, long decided, long generation,
    String server, long configVersion, long revocationsWanted, long revocationsApplied, long rate, long burst,
    Prequeue prequeue) {

  /** The pre-queue admitted last: the round it waits for and its seqs, first to last. */
  public record Prequeue(long opensAtMs, long firstSeq, long lastSeq) {
    public long size() {
      return lastSeq - firstSeq + 1;
    }

    public boolean holds(long seq) {
      return firstSeq <= seq && seq <= lastSeq;
    }

    static Prequeue parse(Response field) {
      if (field == null) {
        return null;
      }
      String[] parts = field.toString().split(":");
      return new Prequeue(Long.parseLong(parts[0]), Long.parseLong(parts[1]), Long.parseLong(parts[2]));
    }
  }

  private static final String[] FIELDS = {CampaignKeys.PAUSED, CampaignKeys.FROZEN, CampaignKeys.SEQ, CampaignKeys.DECIDED,
      CampaignKeys.GENERATION, CampaignKeys.SERVER, CampaignKeys.CONFIG_VERSION, CampaignKeys.REVOCATIONS_WANTED,
      CampaignKeys.REVOCATIONS_APPLIED, CampaignKeys.RATE, CampaignKeys.BURST, CampaignKeys.PREQUEUE_ADMITTED};

  public static Future<CampaignState> read(PipelinedRedis redis, String campaignId) {
    Request hmget = Request.cmd(Command.HMGET).arg(new CampaignKeys(campaignId).config());
    for (String field : FIELDS) {
      hmget.arg(field);
    }
    return redis.send(hmget).map(CampaignState::of);
  }

  static CampaignState of(Response fields) {
    boolean exists = false;
    for (int i = 0; i < fields.size(); i++) {
      exists |= fields.get(i) != null;
    }
    return new CampaignState(exists, flag(fields.get(0)), flag(fields.get(1)), number(fields.get(2), 0),
        number(fields.get(3), 0), number(fields.get(4), 0), fields.get(5) == null ? null : fields.get(5).toString(),
        number(fields.get(6), 0), number(fields.get(7), -1), number(fields.get(8), -1), number(fields.get(9), 0),
        number(fields.get(10), 0), Prequeue.parse(fields.get(11)));
  }

  private static boolean flag(Response field) {
    return field != null && "1".equals(field.toString());
  }

  private static long number(Response field, long absent) {
    return field == null ? absent : Long.parseLong(field.toString());
  }
}
