package claimgate.store;

import claimgate.config.ConfigException;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.flywaydb.core.Flyway;

/**
 * PostgreSQL location and schema. The schema is applied with Flyway over JDBC once at start
 * (off any event loop); everything after runs on the non-blocking vertx-pg-client.
 */
public record Database(PgConnectOptions options) {

  /** {@code postgresql://user[:password]@host:port/database}. */
  public static Database fromUrl(String url) {
    try {
      PgConnectOptions options = PgConnectOptions.fromUri(url);
      if (options.getUser() == null) {
        options.setUser("postgres");
      }
      options.setCachePreparedStatements(true).setPipeliningLimit(256);
      return new Database(options);
    } catch (RuntimeException e) {
      throw new ConfigException("CLAIMGATE_PG_URL is not a postgresql:// URL: " + url, e);
    }
  }

  /** The location as {@code CLAIMGATE_PG_URL} takes it (without the password). */
  public String url() {
    return "postgresql://" + options.getUser() + "@" + options.getHost() + ":" + options.getPort() + "/" + options.getDatabase();
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + options.getHost() + ":" + options.getPort() + "/" + options.getDatabase();
  }

  /** Applies pending migrations; blocking, call before deploying verticles. */
  public void migrate() {
    Flyway.configure()
        .dataSource(jdbcUrl(), options.getUser(), options.getPassword())
        .locations("classpath:db/migration")
        .load()
        .migrate();
  }

  public Pool pool(Vertx vertx, int size) {
    return pool(vertx, size, new PgConnectOptions(options));
  }

  /**
   * A pool for statements that look rows up by key, planned without sequential scans
   * ({@code enable_seqscan = off}, as the allocator's batch transaction does). A prepared
   * statement's generic plan is made once and kept until the table is next analyzed: made while
   * the claim or voucher table held a page (a launch's first minute on a fresh database), a lookup
   * by ticket or code was a sequential scan, and stayed one while the table grew by thousands of
   * rows a second, until autovacuum analyzed it up to a minute later. Here a lookup by its key goes
   * through the key's index, and stays a cached plan (StatusLookupPlansTest). For the gateway's
   * public reads by ticket (a status, a receipt) and the log's pages. Not for the redemptions at
   * the till: their batch statement joins the vouchers to the batch, and its plan made on an empty
   * voucher table walks a whole index instead of the table (no better); planned at each execution
   * ({@code plan_cache_mode = force_custom_plan}) they lost a third of their rate. They keep the
   * plain pool; the allocator analyzes the voucher table as it fills from empty
   * ({@link FreshStatistics}), which has them planned again for the table as it is. A statement
   * with no index to use is still a scan: the setting only prices one out where an index serves.
   */
  public Pool keyLookupPool(Vertx vertx, int size) {
    return pool(vertx, size, new PgConnectOptions(options).addProperty("enable_seqscan", "off"));
  }

  private static Pool pool(Vertx vertx, int size, PgConnectOptions connect) {
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(size))
        .connectingTo(connect)
        .using(vertx)
        .build();
  }
}
