package claimgate.access;

import claimgate.web.Bearer;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Merchant API keys: made by an operator, shown once, stored as their SHA-256. A key is bound to
 * one merchant of one campaign. Lookups are cached for {@code cacheMs}, so a revoked key may
 * work that long on a gateway that has seen it.
 *
 * <p>Not thread-safe: one per verticle, used on its event loop.
 */
public final class MerchantKeys {

  /** The merchant a key belongs to. */
  public record Holder(String campaignId, String merchantId, String keyHash) {}

  static final String INSERT = "insert into merchant_key (key_hash, campaign_id, merchant_id) values ($1, $2, $3)";
  static final String FIND = """
      select campaign_id, merchant_id from merchant_key where key_hash = $1 and revoked_at is null""";
  private static final String KEY_PREFIX = "cgm_";

  private record Cached(Optional<Holder> holder, long atMs) {}

  private final Pool pool;
  private final long cacheMs;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Cached> cache = new HashMap<>();

  public MerchantKeys(Pool pool, long cacheMs) {
    this.pool = pool;
    this.cacheMs = cacheMs;
  }

  /** Creates a key for the merchant on {@code sql} (part of the caller's transaction); returns the key. */
  public Future<String> create(SqlClient sql, String campaignId, String merchantId) {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    String key = KEY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    return sql.preparedQuery(INSERT).execute(Tuple.of(Bearer.hash(key), campaignId, merchantId)).map(key);
  }

  /** The merchant holding a presented key, when this gateway found it live within {@code cacheMs}. */
  public Optional<Holder> recent(String presentedKey) {
    return presentedKey.startsWith(KEY_PREFIX) ? cached(Bearer.hash(presentedKey)) : Optional.empty();
  }

  private Optional<Holder> cached(String hash) {
    Cached cached = cache.get(hash);
    return cached != null && System.currentTimeMillis() - cached.atMs() < cacheMs ? cached.holder() : Optional.empty();
  }

  /** The merchant holding a presented key, if it is a live key. */
  public Future<Optional<Holder>> find(String presentedKey) {
    if (!presentedKey.startsWith(KEY_PREFIX)) {
      return Future.succeededFuture(Optional.empty());
    }
    // hashed once: a key not cached goes on to the database with the same hash
    String hash = Bearer.hash(presentedKey);
    Optional<Holder> recent = cached(hash);
    if (recent.isPresent()) {
      return Future.succeededFuture(recent);
    }
    long now = System.currentTimeMillis();
    return pool.preparedQuery(FIND).execute(Tuple.of(hash)).map(rows -> {
      Optional<Holder> holder = Optional.empty();
      for (Row row : rows) {
        holder = Optional.of(new Holder(row.getString(0), row.getString(1), hash));
      }
      if (holder.isPresent()) {
        // only known keys are cached: random guesses must not grow the map
        if (cache.size() > 100_000) {
          cache.clear();
        }
        cache.put(hash, new Cached(holder, now));
      }
      return holder;
    });
  }
}
