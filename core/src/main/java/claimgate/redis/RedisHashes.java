package claimgate.redis;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Whole hashes written without a moment in which readers see half of one. */
final class RedisHashes {

  private static final int CHUNK = 1000;
  private static final LuaScript RENAME_INTO_PLACE = LuaScript.load("rename_into_place.lua");

  private RedisHashes() {}

  /**
   * Writes a hash under a temporary name, pipelined in chunks. The name expires unless it is
   * renamed into place first (whoever renames it removes the expiry), so a writer that dies
   * half-way leaves nothing behind for long.
   */
  static Future<Void> writeFields(PipelinedRedis redis, String key, Map<String, ?> fields) {
    List<Future<?>> chunks = new ArrayList<>();
    List<? extends Map.Entry<String, ?>> entries = new ArrayList<>(fields.entrySet());
    for (int from = 0; from < entries.size(); from += CHUNK) {
      Request chunk = Request.cmd(Command.HSET).arg(key);
      entries.subList(from, Math.min(entries.size(), from + CHUNK)).forEach(e -> chunk.arg(e.getKey()).arg(String.valueOf(e.getValue())));
      chunks.add(redis.send(chunk));
      // after every chunk: a build that outlasts the expiry starts no new key without one
      chunks.add(redis.send(Request.cmd(Command.PEXPIRE).arg(key).arg(BUILDING_TTL_MS)));
    }
    return Future.all(chunks).mapEmpty();
  }

  /** How long a hash built under a temporary name lives if nobody renames it into place. */
  private static final long BUILDING_TTL_MS = 10 * 60 * 1000;

  /** Replaces a hash whole: built under a temporary name, then renamed over the old one. */
  static Future<Void> replaceHash(PipelinedRedis redis, String key, Map<String, ?> fields) {
    if (fields.isEmpty()) {
      return redis.send(Request.cmd(Command.UNLINK).arg(key)).mapEmpty();
    }
    String building = key + ":building:" + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong());
    return writeFields(redis, building, fields)
        .compose(written -> RENAME_INTO_PLACE.call(redis::send, List.of(building, key),
            List.of(Integer.toString(fields.size())))).mapEmpty();
  }

}
