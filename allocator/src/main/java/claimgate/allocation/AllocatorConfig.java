package claimgate.allocation;

import claimgate.store.Database;
import claimgate.voucher.VoucherCodes;

/**
 * What an allocator needs, read once at start.
 *
 * @param batchSize most claims decided in one transaction
 * @param blockMs how long one stream read waits for claims to arrive
 * @param electionRetryMs how often a standby tries to take the lead
 * @param discoveryMs how often new campaigns are looked for in PostgreSQL
 */
public record AllocatorConfig(String redisUrl, Database database, VoucherCodes codes, int batchSize, long blockMs,
    long electionRetryMs, long discoveryMs, FaultHook faults) {

  public static AllocatorConfig of(String redisUrl, Database database, VoucherCodes codes) {
    return new AllocatorConfig(redisUrl, database, codes, 1000, 100, 500, 2_000, FaultHook.NONE);
  }

  public AllocatorConfig withFaults(FaultHook hook) {
    return new AllocatorConfig(redisUrl, database, codes, batchSize, blockMs, electionRetryMs, discoveryMs, hook);
  }

  public AllocatorConfig withBatchSize(int size) {
    return new AllocatorConfig(redisUrl, database, codes, size, blockMs, electionRetryMs, discoveryMs, faults);
  }

  public AllocatorConfig withTiming(long newBlockMs, long newElectionRetryMs, long newDiscoveryMs) {
    return new AllocatorConfig(redisUrl, database, codes, batchSize, newBlockMs, newElectionRetryMs, newDiscoveryMs,
        faults);
  }
}
