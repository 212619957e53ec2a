package claimgate.allocation;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.testkit.Campaigns;
import claimgate.campaign.Campaign;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A revocation for withdrawal or a mistake frees its voucher's slot numbers. The ledger gives
 * that citizen's next vouchers the lowest free numbers, so they never collide with a slot still
 * held (which PostgreSQL's slot uniqueness would refuse) and never pass the limit.
 */
class FreedSlotsTest {

  static final Campaign CAMPAIGN = Campaigns.open("slots", 3, 2, 100, 100);

  private static ClaimEntry claim(long seq, String citizen, String merchant) {
    return new ClaimEntry("1-" + seq, seq, "t" + seq, citizen, List.of(merchant), merchant, System.currentTimeMillis());
  }

  private static BitSet slots(int... used) {
    BitSet set = new BitSet();
    for (int s : used) {
      set.set(s);
    }
    return set;
  }

  @Test
  @DisplayName("slot 1 freed, slots 2 and 3 held: the next voucher takes slot 1; the citizen is then at the limit")
  void lowestGapFirst() {
    // a holds one voucher at m0 (its first one there was freed) and one at m1: slots 2 and 3 in all
    SingleWriterLedger ledger = new SingleWriterLedger(CAMPAIGN, AllocatorFixture.CODES, Map.of("m0", 1, "m1", 1),
        Map.of("a", Map.of("m0", 1, "m1", 1)), null, 10, 10_000,
        Map.of("a", slots(2, 3)), Map.of(SingleWriterLedger.atMerchant("a", "m0"), slots(2),
            SingleWriterLedger.atMerchant("a", "m1"), slots(1)));
    Decision.Confirmed filled = (Decision.Confirmed) ledger.decide(claim(1, "a", "m0"));
    assertThat(filled.citizenSlot()).isEqualTo(1);
    assertThat(filled.merchantSlot()).isEqualTo(1);
    assertThat(ledger.held("a")).isEqualTo(3);
    assertThat(ledger.decide(claim(2, "a", "m1"))).isInstanceOf(Decision.Rejected.class);
  }

  @Test
  @DisplayName("a gap at one shop: the next voucher there takes the freed merchant slot; others count on")
  void merchantGap() {
    SingleWriterLedger ledger = new SingleWriterLedger(CAMPAIGN, AllocatorFixture.CODES, Map.of("m0", 1),
        Map.of("b", Map.of("m0", 1)), null, 10, 10_000,
        Map.of("b", slots(2)), Map.of(SingleWriterLedger.atMerchant("b", "m0"), slots(2)));
    Decision.Confirmed again = (Decision.Confirmed) ledger.decide(claim(1, "b", "m0"));
    assertThat(again.citizenSlot()).isEqualTo(1);
    assertThat(again.merchantSlot()).isEqualTo(1);
    Decision.Confirmed third = (Decision.Confirmed) ledger.decide(claim(2, "b", "m1"));
    assertThat(third.citizenSlot()).isEqualTo(3);
    assertThat(third.merchantSlot()).isEqualTo(1);
    // a citizen without gaps counts up as before
    Decision.Confirmed other = (Decision.Confirmed) ledger.decide(claim(3, "c", "m0"));
    assertThat(other.citizenSlot()).isEqualTo(1);
  }
}
