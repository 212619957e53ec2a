package claimgate.access;

import io.vertx.core.Future;

/** A request rate per client address: a token per request, 429 {@code throttled} when none is left. */
public interface AddressRate {

  /** Takes a token from the address's bucket; fails with 429 when it has none. */
  Future<Void> take(String address);
}
