package claimgate.allocation;

import claimgate.store.Database;
import claimgate.voucher.VoucherCodes;

/**
 * What an allocator needs, read once at start.
 *
 * @param batchSize most claims decided in one transaction
 * @param blockMs how long one stream read waits for claims to arrive
 * @param electionRetryMs how long a failed allocator waits before it rejoins the election
 * @param discoveryMs how often new campaigns are looked for in PostgreSQL
 * @param heartbeatMs how often a leader shows PostgreSQL it is alive and checks its epoch
 * @param leaseMs how long a silent leader keeps the lead: PostgreSQL ends a session idle this
 *     long (freeing the lock for the standby), and a leader whose heartbeat is not answered
 *     within it stops writing
 */
public record AllocatorConfig(String redisUrl, Database database, VoucherCodes codes, int batchSize, long blockMs,
    long electionRetryMs, long discoveryMs, long heartbeatMs, long leaseMs, FaultHook faults) {

  public AllocatorConfig {
    if (leaseMs < 2 * heartbeatMs) {
      throw new IllegalArgumentException("the lease (" + leaseMs + " ms) must outlast two heartbeats (" + heartbeatMs + " ms)");
    }
  }

  public static AllocatorConfig of(String redisUrl, Database database, VoucherCodes codes) {
    return new AllocatorConfig(redisUrl, database, codes, 1000, 100, 500, 2_000, 500, 3_000, FaultHook.NONE);
  }

  public AllocatorConfig withFaults(FaultHook hook) {
    return new AllocatorConfig(redisUrl, database, codes, batchSize, blockMs, electionRetryMs, discoveryMs, heartbeatMs,
        leaseMs, hook);
  }

  public AllocatorConfig withBatchSize(int size) {
    return new AllocatorConfig(redisUrl, database, codes, size, blockMs, electionRetryMs, discoveryMs, heartbeatMs,
        leaseMs, faults);
  }

  public AllocatorConfig withTiming(long newBlockMs, long newElectionRetryMs, long newDiscoveryMs) {
    return new AllocatorConfig(redisUrl, database, codes, batchSize, newBlockMs, newElectionRetryMs, newDiscoveryMs,
        heartbeatMs, leaseMs, faults);
  }

  public AllocatorConfig withLease(long newHeartbeatMs, long newLeaseMs) {
    return new AllocatorConfig(redisUrl, database, codes, batchSize, blockMs, electionRetryMs, discoveryMs,
        newHeartbeatMs, newLeaseMs, faults);
  }
}
