package claimgate.allocation;

import claimgate.campaign.CampaignStore;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who writes a campaign: one PostgreSQL session per allocator and campaign, holding the
 * campaign's advisory lock while it leads, and the writer epoch it bumped when it won.
 *
 * <p>A standby waits for the lock inside PostgreSQL ({@code pg_advisory_lock}), so it wins the
 * moment the leader's session ends, with no polling interval. A leader keeps its session busy
 * with a heartbeat; the session's idle timeouts end it when the leader stops talking (a frozen
 * process, a host gone without a FIN), which frees the lock for the standby within
 * {@code leaseMs}. The heartbeat also reads the epoch: a leader that finds a newer one, or gets
 * no answer within {@code leaseMs}, reports the loss and must stop writing. Its late commits are
 * refused by the epoch fence in every batch.
 *
 * <p>Not thread-safe: used on the owning allocator's decision thread only.
 */
final class Leadership {

  private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);

  /**
   * Session settings that end a silent session on the server side (PostgreSQL 14 has them all;
   * an older server skips those it does not know).
   */
  private static final String SESSION_SETTINGS = """
      select s.name, set_config(s.name, s.value, false) from (values
        ('idle_session_timeout', $1), ('idle_in_transaction_session_timeout', $1),
        ('client_connection_check_interval', '1000'),
        ('tcp_keepalives_idle', '5'), ('tcp_keepalives_interval', '1'), ('tcp_keepalives_count', '3'))
        as s(name, value)
      where s.name in (select name from pg_settings)""";

  static final String LOCK = "select pg_advisory_lock(hashtext('claimgate:' || $1))";

  /** Election: the new leader's epoch, and where the previous leader stopped. */
  static final String BUMP_EPOCH = """
      update campaign set writer_epoch = writer_epoch + 1, updated_at = now() where id = $1
      returning writer_epoch, stream_offset, decided_seq, released_bp, document::text as document, paused, frozen,
        flags_version, config_version, revocations_version""";

  /** The heartbeat: the epoch (fencing) and what Redis's derived state must carry (reconciliation). */
  static final String HEARTBEAT = """
      select writer_epoch, flags_version, config_version, paused, frozen, revocations_version from campaign where id = $1""";

  private final Vertx vertx;
  private final Context context;
  private final AllocatorConfig config;
  private final String campaignId;
  private SqlConnection pg;
  private long epoch;
  private long heartbeatTimer = -1;
  private boolean idleTimeoutWarned;

  Leadership(Context context, AllocatorConfig config, String campaignId) {
    this.vertx = context.owner();
    this.context = context;
    this.config = config;
    this.campaignId = campaignId;
  }

  /** The session, connected and set up; the same one until {@link #release}. */
  Future<SqlConnection> session() {
    if (pg != null) {
      return Future.succeededFuture(pg);
    }
    return PgConnection.connect(vertx, new PgConnectOptions(config.stores().database().options()))
        .timeout(config.election().leaseMs(), TimeUnit.MILLISECONDS)
        .compose(conn -> conn.preparedQuery(SESSION_SETTINGS).execute(Tuple.of(Long.toString(config.election().leaseMs())))
            .map(rows -> {
              boolean idleTimeout = false;
              for (Row r : rows) {
                idleTimeout |= "idle_session_timeout".equals(r.getString(0));
              }
              if (!idleTimeout && !idleTimeoutWarned) {
                idleTimeoutWarned = true;
                LOG.warn("PostgreSQL has no idle_session_timeout (it came with version 14): a frozen leader of {} "
                    + "keeps its lock until TCP keepalives end its session", campaignId);
              }
              pg = conn;
              conn.closeHandler(closed -> {
                if (pg == conn) {
                  pg = null;
                }
              });
              return (SqlConnection) conn;
            }));
  }

  /**
   * Waits (inside PostgreSQL) until this session holds the campaign's lock, then bumps the
   * writer epoch; completes with the campaign row as the election found it.
   */
  Future<Row> acquire() {
    return session()
        .compose(conn -> conn.preparedQuery(LOCK).execute(Tuple.of(campaignId)))
        .compose(locked -> pg.preparedQuery(BUMP_EPOCH).execute(Tuple.of(campaignId)))
        .map(rows -> {
          Row row = rows.iterator().next();
          epoch = row.getLong("writer_epoch");
          return row;
        });
  }

  long epoch() {
    return epoch;
  }

  /** The session the leader writes its batches on. */
  SqlConnection connection() {
    return pg;
  }

  /**
   * Heartbeats while leading: {@code lost} is called once, on the decision thread, when the
   * epoch moved on ({@link CampaignAllocator.Fenced}) or PostgreSQL did not answer in time;
   * {@code beat} with the campaign's versions after every answered heartbeat.
   */
  void keepAlive(Consumer<Throwable> lost, Consumer<CampaignStore.Versions> beat) {
    heartbeatTimer = vertx.setPeriodic(config.election().heartbeatMs(), id -> context.runOnContext(v -> beat(lost, beat)));
  }

  private void beat(Consumer<Throwable> lost, Consumer<CampaignStore.Versions> beat) {
    SqlConnection conn = pg;
    if (conn == null) {
      stopBeating();
      lost.accept(new IllegalStateException("the PostgreSQL session of " + campaignId + " is gone"));
      return;
    }
    conn.preparedQuery(HEARTBEAT).execute(Tuple.of(campaignId))
        .timeout(config.election().leaseMs(), TimeUnit.MILLISECONDS)
        .onComplete(done -> context.runOnContext(v -> {
          if (heartbeatTimer < 0) {
            return;
          }
          Throwable failure = done.failed() ? done.cause()
              : done.result().iterator().next().getLong(0) != epoch ? new CampaignAllocator.Fenced(campaignId, epoch)
              : null;
          if (failure != null) {
            stopBeating();
            lost.accept(failure);
          } else {
            Row r = done.result().iterator().next();
            beat.accept(new CampaignStore.Versions(r.getLong(1), r.getLong(2), r.getBoolean(3), r.getBoolean(4),
                r.getLong(5)));
          }
        }));
  }

  private void stopBeating() {
    if (heartbeatTimer >= 0) {
      vertx.cancelTimer(heartbeatTimer);
      heartbeatTimer = -1;
    }
  }

  /**
   * Stops the heartbeat and ends the session, which frees the lock. Waits at most
   * {@code leaseMs}: a session whose server went silent never confirms its close.
   */
  Future<Void> release() {
    stopBeating();
    SqlConnection conn = pg;
    pg = null;
    return conn == null ? Future.succeededFuture()
        : conn.close().timeout(config.election().leaseMs(), TimeUnit.MILLISECONDS).otherwiseEmpty();
  }
}
