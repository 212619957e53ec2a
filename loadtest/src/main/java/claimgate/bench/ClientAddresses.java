package claimgate.bench;

/**
 * The client addresses the admission benchmarks' claims come from: {@code -Daddresses=N} of them
 * (20,000 unless said), the i-th claim from the (i mod N)-th, so that each address has its own
 * token bucket in Redis as a launch's crowd has, and not the one of the machine the generator runs
 * on. The generators name the address in {@code X-Forwarded-For}, and the benchmark's gateways
 * trust one proxy hop ({@code CLAIMGATE_TRUSTED_PROXY_HOPS=1}); {@code -Daddresses=1} sends every
 * claim from one address.
 */
final class ClientAddresses {

  static final String HEADER = "X-Forwarded-For";

  private ClientAddresses() {}

  static int count() {
    int n = Integer.getInteger("addresses", 20_000);
    if (n < 1 || n > 1 << 24) {
      throw new IllegalArgumentException("-Daddresses: 1 to 16,777,216 addresses, got " + n);
    }
    return n;
  }

  /** The address of the i-th claim, one of {@code count} in 10.0.0.0/8 (wrk's script, in Lua, makes the same). */
  static String of(long i, int count) {
    int k = (int) (i % count);
    return "10." + (k >>> 16 & 255) + "." + (k >>> 8 & 255) + "." + (k & 255);
  }
}
