package claimgate.redis;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A citizen's record in the campaign's {@link CampaignKeys#citizens} hash, as the admission and
 * publication scripts read and write it: {@code <pending>|<held>|,<merchantId>=<held there>,...}.
 * Admission raises {@code pending}; publication lowers it and sets what the citizen holds.
 *
 * @param pending claims admitted and not decided yet
 * @param held vouchers held in all
 * @param heldAt vouchers held per merchant (merchants with none are left out)
 */
public record CitizenRecord(int pending, int held, Map<String, Integer> heldAt) {

  public String encode() {
    StringBuilder record = new StringBuilder().append(pending).append('|').append(held).append('|');
    heldAt.forEach((merchant, n) -> record.append(',').append(merchant).append('=').append(n));
    return record.toString();
  }

  /** The holdings part alone, as publication passes it. */
  public static String holdings(Map<String, Integer> heldAt) {
    StringBuilder part = new StringBuilder();
    heldAt.forEach((merchant, n) -> part.append(',').append(merchant).append('=').append(n));
    return part.toString();
  }

  public static CitizenRecord decode(String record) {
    String[] parts = record.split("\\|", 3);
    Map<String, Integer> heldAt = new LinkedHashMap<>();
    for (String entry : parts[2].split(",")) {
      if (!entry.isEmpty()) {
        int eq = entry.indexOf('=');
        heldAt.put(entry.substring(0, eq), Integer.valueOf(entry.substring(eq + 1)));
      }
    }
    return new CitizenRecord(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), heldAt);
  }
}
