package claimgate.allocation;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Runs one {@link CampaignAllocator} per campaign found in PostgreSQL, all on this verticle's
 * event loop: the single decision thread. Deploy exactly ONE instance per process; start a
 * second process for a hot standby, which takes over a campaign when its leader dies.
 */
public final class AllocatorVerticle extends VerticleBase {

  private final AllocatorConfig config;
  private final String name;
  /** Null: every campaign; else only this one (a warm-up's scratch campaign). */
  private final String only;
  /** Written on the decision thread; the health check reads it from another. */
  private final Map<String, CampaignAllocator> allocators = new java.util.concurrent.ConcurrentHashMap<>();
  private Pool pool;

  public AllocatorVerticle(AllocatorConfig config) {
    this(config, "allocator-" + UUID.randomUUID().toString().substring(0, 8));
  }

  public AllocatorVerticle(AllocatorConfig config, String name) {
    this(config, name, null);
  }

  private AllocatorVerticle(AllocatorConfig config, String name, String only) {
    this.config = config;
    this.name = name;
    this.only = only;
  }

  /** An allocator of one campaign alone (a warm-up drives it through a scratch campaign). */
  public static AllocatorVerticle only(AllocatorConfig config, String campaignId) {
    return new AllocatorVerticle(config, "warmup-allocator", campaignId);
  }

  @Override
  public Future<?> start() {
    pool = config.stores().database().pool(vertx, 1);
    vertx.setPeriodic(config.election().discoveryMs(), id -> context.runOnContext(v -> discover()));
    return discover().otherwiseEmpty();
  }

  private Future<Void> discover() {
    return pool.preparedQuery(Queries.CAMPAIGN_IDS).execute(io.vertx.sqlclient.Tuple.of(only)).map(rows -> {
      for (Row row : rows) {
        allocators.computeIfAbsent(row.getString(0), id -> {
          CampaignAllocator allocator = new CampaignAllocator(context, config, id, name);
          allocator.start();
          return allocator;
        });
      }
      return null;
    });
  }

  /** True when this process leads the campaign; read on the verticle's context. */
  public boolean leads(String campaignId) {
    CampaignAllocator allocator = allocators.get(campaignId);
    return allocator != null && allocator.isLeader();
  }

  /**
   * The campaigns this process leads whose decision loop began no step for longer than
   * {@code thresholdMs} (a decision thread that is stuck or blocked), with how long. A loop steps
   * at least once per stream read's block time while it leads, frozen or not. Any thread.
   */
  public Map<String, Long> stalledLeadersMs(long thresholdMs) {
    long now = System.nanoTime();
    Map<String, Long> stalled = new java.util.TreeMap<>();
    allocators.forEach((campaignId, allocator) -> {
      long nanos = allocator.stalledNanos(now);
      if (nanos > java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(thresholdMs)) {
        stalled.put(campaignId, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(nanos));
      }
    });
    return stalled;
  }

  /** The campaigns this process leads now. Any thread. */
  public List<String> leading() {
    return allocators.entrySet().stream().filter(e -> e.getValue().isLeader()).map(Map.Entry::getKey).sorted().toList();
  }

  public String name() {
    return name;
  }

  @Override
  public Future<?> stop() {
    List<Future<Void>> stopping = new ArrayList<>();
    allocators.values().forEach(a -> stopping.add(a.stop()));
    return Future.join(stopping).eventually(() -> pool.close());
  }
}
