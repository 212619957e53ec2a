package claimgate.allocation;

import claimgate.allocation.AllocatorFixture.Claim;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The allocation rules written as plainly as possible, for comparison: claims in order, first
 * preferred merchant with stock that the citizen's per-merchant limit allows.
 */
final class ReferenceModel {

  /** A random campaign and its claims, as the property tests generate them. */
  record Scenario(int[] contingents, int perCitizen, int perMerchant, List<Claim> claims) {
    @Override
    public String toString() {
      return "contingents=" + java.util.Arrays.toString(contingents) + " perCitizen=" + perCitizen
          + " perMerchant=" + perMerchant + " claims=" + claims;
    }
  }


  private ReferenceModel() {}

  /** Expected outcome per claim, in order: "confirmed:merchant" or "rejected:reason". */
  static List<String> decide(Map<String, Integer> contingents, int perCitizen, int perMerchant, List<Claim> claims) {
    Map<String, Integer> issued = new HashMap<>();
    Map<String, Integer> total = new HashMap<>();
    Map<String, Integer> held = new HashMap<>();
    List<String> out = new ArrayList<>();
    for (Claim claim : claims) {
      if (total.getOrDefault(claim.citizenId(), 0) >= perCitizen) {
        out.add("rejected:limit_reached");
        continue;
      }
      String result = null;
      boolean blocked = false;
      for (String m : claim.merchantIds()) {
        if (issued.getOrDefault(m, 0) >= contingents.get(m)) {
          continue;
        }
        String key = claim.citizenId() + "/" + m;
        if (held.getOrDefault(key, 0) >= perMerchant) {
          blocked = true;
          continue;
        }
        issued.merge(m, 1, Integer::sum);
        held.merge(key, 1, Integer::sum);
        total.merge(claim.citizenId(), 1, Integer::sum);
        result = "confirmed:" + m;
        break;
      }
      out.add(result != null ? result : blocked ? "rejected:limit_reached" : "rejected:sold_out");
    }
    return out;
  }
}
