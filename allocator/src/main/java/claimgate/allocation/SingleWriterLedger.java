package claimgate.allocation;

import claimgate.campaign.Campaign;
import claimgate.voucher.VoucherCodes;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * The in-memory allocation state of one campaign: what each merchant has issued, what each
 * citizen holds in all and per merchant, the eligibility list, the next voucher serial. Rebuilt
 * from PostgreSQL at election; discarded whenever a commit fails.
 *
 * <p>Single-writer contract: every call comes from the thread that built the ledger (the
 * allocator's decision thread); an {@code assert} guards it. Claims are decided in stream order.
 *
 * <p>The same limits are checked, as a filter, by the admission script at the edge: it refuses
 * early what this ledger would reject, but only this ledger decides ({@code AdmissionAgreementTest}
 * feeds the same claims through both and requires that they agree).
 *
 * <p>A voucher takes slot numbers (1 to the limit) for its citizen and for its citizen at its
 * merchant, which PostgreSQL keeps unique. They are counted up, except for a citizen whose
 * revoked voucher freed a slot (a withdrawal or a mistake): that citizen's next voucher takes the
 * lowest free number.
 *
 * <pre>
 *   SingleWriterLedger ledger = new SingleWriterLedger(campaign, codes, issued, holdings, eligible, nextSerial, releasedBp);
 *   Decision d = ledger.decide(entry);
 * </pre>
 */
public final class SingleWriterLedger {

  public static final String SOLD_OUT = "sold_out";
  public static final String LIMIT_REACHED = "limit_reached";
  public static final String NOT_ELIGIBLE = "not_eligible";
  public static final String ROUND_CLOSED = "round_closed";

  private final Thread writer = Thread.currentThread();
  private final Campaign campaign;
  private final VoucherCodes codes;
  private final Map<String, Integer> contingent = new HashMap<>();
  private final Map<String, Integer> issued;
  private final Map<String, Integer> citizenTotals = new HashMap<>();
  /** citizenId to merchantId to vouchers held there. */
  private final Map<String, Map<String, Integer>> holdings = new HashMap<>();
  private final Map<String, Integer> eligible;
  /** The slots used by citizens whose slots have gaps (a freed slot); other citizens' are 1 to held. */
  private final Map<String, BitSet> citizenSlots;
  /** The same per citizen and merchant, keyed by {@link #atMerchant}. */
  private final Map<String, BitSet> merchantSlots;
  private final int minTier;
  private long nextSerial;
  private int releasedBp;

  /**
   * @param issued merchantId to vouchers issued so far
   * @param held citizenId to merchantId to vouchers the citizen holds there
   * @param eligible citizenId to tier, or null when the campaign has no list
   */
  public SingleWriterLedger(Campaign campaign, VoucherCodes codes, Map<String, Integer> issued,
      Map<String, Map<String, Integer>> held, Map<String, Integer> eligible, long nextSerial, int releasedBp) {
    this(campaign, codes, issued, held, eligible, nextSerial, releasedBp, Map.of(), Map.of());
  }

  /**
   * @param citizenSlots the slots in use of citizens with a freed slot (others' need not be given)
   * @param merchantSlots the same per {@link #atMerchant} key
   */
  public SingleWriterLedger(Campaign campaign, VoucherCodes codes, Map<String, Integer> issued,
      Map<String, Map<String, Integer>> held, Map<String, Integer> eligible, long nextSerial, int releasedBp,
      Map<String, BitSet> citizenSlots, Map<String, BitSet> merchantSlots) {
    this.citizenSlots = withGaps(citizenSlots);
    this.merchantSlots = withGaps(merchantSlots);
    this.campaign = campaign;
    this.codes = codes;
    campaign.merchants().forEach(m -> contingent.put(m.id(), m.contingent()));
    this.issued = new HashMap<>(issued);
    held.forEach((citizen, at) -> {
      holdings.put(citizen, new HashMap<>(at));
      citizenTotals.put(citizen, at.values().stream().mapToInt(Integer::intValue).sum());
    });
    this.eligible = eligible;
    this.minTier = campaign.eligibility() == null || campaign.eligibility().minTier() == null
        ? 0 : campaign.eligibility().minTier();
    this.nextSerial = nextSerial;
    this.releasedBp = releasedBp;
  }

  /** Decides one claim and applies it to the state. */
  public Decision decide(ClaimEntry claim) {
    assert Thread.currentThread() == writer : "ledger of " + campaign.id() + " used off its decision thread";
    long at = claim.decidedAtMs();
    if (campaign.openRound(at).isEmpty()) {
      return new Decision.Rejected(claim, ROUND_CLOSED);
    }
    if (eligible != null) {
      // a verified token's tier, as admission judged it; else the list
      Integer tier = claim.tier() != null ? claim.tier() : eligible.get(claim.citizenId());
      if (tier == null || tier < minTier) {
        return new Decision.Rejected(claim, NOT_ELIGIBLE);
      }
    }
    int held = citizenTotals.getOrDefault(claim.citizenId(), 0);
    if (held >= campaign.limits().perCitizen()) {
      return new Decision.Rejected(claim, LIMIT_REACHED);
    }
    int bp = campaign.releasedBp(at);
    releasedBp = Math.max(releasedBp, bp);
    boolean blockedByMerchantLimit = false;
    for (String merchantId : claim.merchantIds()) {
      Integer merchantContingent = contingent.get(merchantId);
      if (merchantContingent == null) {
        continue;
      }
      int issuedHere = issued.getOrDefault(merchantId, 0);
      if (Campaign.remaining(merchantContingent, releasedBp, issuedHere) == 0) {
        continue;
      }
      Map<String, Integer> heldAt = holdings.get(claim.citizenId());
      int heldHere = heldAt == null ? 0 : heldAt.getOrDefault(merchantId, 0);
      if (heldHere >= campaign.limits().perCitizenPerMerchant()) {
        blockedByMerchantLimit = true;
        continue;
      }
      issued.put(merchantId, issuedHere + 1);
      holdings.computeIfAbsent(claim.citizenId(), c -> new HashMap<>()).put(merchantId, heldHere + 1);
      citizenTotals.put(claim.citizenId(), held + 1);
      long serial = nextSerial++;
      return new Decision.Confirmed(claim, merchantId, serial, codes.issue(campaign.id(), campaign.codePrefix(), serial),
          takeSlot(citizenSlots, claim.citizenId(), held), takeSlot(merchantSlots, atMerchant(claim.citizenId(), merchantId),
              heldHere));
    }
    return new Decision.Rejected(claim, blockedByMerchantLimit ? LIMIT_REACHED : SOLD_OUT);
  }

  /** The key of a citizen's slots at one merchant. */
  public static String atMerchant(String citizenId, String merchantId) {
    return citizenId + '\t' + merchantId;
  }

  /** The slot a new voucher takes: after the {@code held} ones, or the lowest free one where there are gaps. */
  private static int takeSlot(Map<String, BitSet> gapped, String key, int held) {
    if (gapped.isEmpty()) {
      return held + 1;
    }
    BitSet used = gapped.get(key);
    if (used == null) {
      return held + 1;
    }
    int slot = used.nextClearBit(1);
    used.set(slot);
    if (!hasGap(used)) {
      gapped.remove(key);
    }
    return slot;
  }

  private static boolean hasGap(BitSet used) {
    return used.nextClearBit(1) <= used.length() - 1;
  }

  private static Map<String, BitSet> withGaps(Map<String, BitSet> slots) {
    Map<String, BitSet> gapped = new HashMap<>();
    slots.forEach((key, used) -> {
      if (hasGap(used)) {
        gapped.put(key, (BitSet) used.clone());
      }
    });
    return gapped;
  }

  public int issued(String merchantId) {
    return issued.getOrDefault(merchantId, 0);
  }

  public int held(String citizenId) {
    return citizenTotals.getOrDefault(citizenId, 0);
  }

  /** What a citizen holds per merchant (merchants with none left out). */
  public Map<String, Integer> heldAt(String citizenId) {
    Map<String, Integer> at = holdings.get(citizenId);
    return at == null ? Map.of() : at;
  }

  /** The highest release share any decided claim has seen, in basis points. */
  public int releasedBp() {
    return releasedBp;
  }

  public Map<String, Integer> issuedByMerchant() {
    return Map.copyOf(issued);
  }

  /** citizenId to merchantId to vouchers held there, a copy. */
  public Map<String, Map<String, Integer>> holdings() {
    Map<String, Map<String, Integer>> copy = new HashMap<>();
    holdings.forEach((citizen, at) -> copy.put(citizen, Map.copyOf(at)));
    return copy;
  }

  /** The eligibility list (citizenId to tier), when the campaign has one. */
  public java.util.Optional<Map<String, Integer>> eligibleList() {
    return eligible == null ? java.util.Optional.empty() : java.util.Optional.of(eligible);
  }
}
