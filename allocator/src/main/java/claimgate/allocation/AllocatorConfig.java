package claimgate.allocation;

import claimgate.store.Database;
import claimgate.voucher.VoucherCodes;

/**
 * What an allocator needs, read once at start, grouped by what it configures.
 *
 * @param codes voucher-code keys, to sign the codes it issues
 * @param faults where tests inject a crash or a stall; {@link FaultHook#NONE} in production
 */
public record AllocatorConfig(Stores stores, VoucherCodes codes, Decisions decisions, Election election,
    FaultHook faults) {

  /** The servers. */
  public record Stores(String redisUrl, Database database) {}

  /**
   * The decision loop.
   *
   * @param batchSize most claims decided in one transaction
   * @param blockMs how long one stream read waits for claims to arrive
   * @param publicLog whether decisions go into the public log: always, but for the benchmark that
   *     measures what the log costs
   */
  public record Decisions(int batchSize, long blockMs, boolean publicLog) {}

  /**
   * Who leads which campaign.
   *
   * @param retryMs how long a failed allocator waits before it rejoins the election
   * @param discoveryMs how often new campaigns are looked for in PostgreSQL
   * @param heartbeatMs how often a leader shows PostgreSQL it is alive and checks its epoch
   * @param leaseMs how long a silent leader keeps the lead: PostgreSQL ends a session idle this
   *     long (freeing the lock for the standby), and a leader whose heartbeat is not answered
   *     within it stops writing
   */
  public record Election(long retryMs, long discoveryMs, long heartbeatMs, long leaseMs) {

    public Election {
      if (leaseMs < 2 * heartbeatMs) {
        throw new IllegalArgumentException("the lease (" + leaseMs + " ms) must outlast two heartbeats (" + heartbeatMs + " ms)");
      }
    }
  }

  public static AllocatorConfig of(String redisUrl, Database database, VoucherCodes codes) {
    return new AllocatorConfig(new Stores(redisUrl, database), codes, new Decisions(1000, 100, true),
        new Election(500, 2_000, 500, 3_000), FaultHook.NONE);
  }

  public AllocatorConfig withFaults(FaultHook hook) {
    return new AllocatorConfig(stores, codes, decisions, election, hook);
  }

  public AllocatorConfig withBatchSize(int size) {
    return new AllocatorConfig(stores, codes, new Decisions(size, decisions.blockMs(), decisions.publicLog()), election, faults);
  }

  public AllocatorConfig withBlockMs(long blockMs) {
    return new AllocatorConfig(stores, codes, new Decisions(decisions.batchSize(), blockMs, decisions.publicLog()), election, faults);
  }

  /** Decisions without the public log: only to measure what the log costs ({@code loadtest/bench allocator}). */
  public AllocatorConfig withoutPublicLog() {
    return new AllocatorConfig(stores, codes, new Decisions(decisions.batchSize(), decisions.blockMs(), false), election, faults);
  }

  public AllocatorConfig withElectionRetryMs(long retryMs) {
    return new AllocatorConfig(stores, codes, decisions,
        new Election(retryMs, election.discoveryMs(), election.heartbeatMs(), election.leaseMs()), faults);
  }

  public AllocatorConfig withDiscoveryMs(long discoveryMs) {
    return new AllocatorConfig(stores, codes, decisions,
        new Election(election.retryMs(), discoveryMs, election.heartbeatMs(), election.leaseMs()), faults);
  }

  public AllocatorConfig withLease(long newHeartbeatMs, long newLeaseMs) {
    return new AllocatorConfig(stores, codes, decisions,
        new Election(election.retryMs(), election.discoveryMs(), newHeartbeatMs, newLeaseMs), faults);
  }
}
