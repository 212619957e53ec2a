package claimgate.testkit;

import claimgate.campaign.Campaign;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Campaign documents for tests: one open round unless told otherwise. */
public final class Campaigns {

  private Campaigns() {}

  public static String uniqueId(String stem) {
    return stem + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Open now for an hour, full release, the given contingents as merchants m0, m1, ... */
  public static Campaign open(String id, int perCitizen, int perCitizenPerMerchant, int... contingents) {
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    return build(id, perCitizen, perCitizenPerMerchant,
        List.of(new Campaign.Round(now.minusMinutes(1), now.plusHours(1), 1.0)), contingents);
  }

  public static Campaign build(String id, int perCitizen, int perCitizenPerMerchant,
      List<Campaign.Round> rounds, int... contingents) {
    List<Campaign.Merchant> merchants = new ArrayList<>();
    for (int i = 0; i < contingents.length; i++) {
      merchants.add(new Campaign.Merchant("m" + i, "Merchant " + i, contingents[i]));
    }
    return new Campaign(id, "Test " + id, "EUR", new BigDecimal("10.00"), 30,
        new Campaign.Limits(perCitizen, perCitizenPerMerchant), null,
        new Campaign.Admission(1_000_000, 1_000_000, 3, null, 1_000_000, 1_000_000), rounds, merchants).validate();
  }
}
