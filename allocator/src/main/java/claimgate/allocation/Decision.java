package claimgate.allocation;

/** The outcome of one claim, decided by the single writer. */
public sealed interface Decision {

  ClaimEntry claim();

  record Confirmed(ClaimEntry claim, String merchantId, long serial, String code, int citizenSlot,
      int merchantSlot) implements Decision {}

  record Rejected(ClaimEntry claim, String reason) implements Decision {}
}
