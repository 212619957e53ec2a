package claimgate.redis;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A citizen's record in the campaign's {@link CampaignKeys#citizens} hash, as the admission and
 * publication scripts read and write it:
 * {@code <pending>|<held>|,<merchantId>=<held there>...|;<request id>=<gen>:<seq>:<fp>...}.
 * Admission raises {@code pending} and remembers the request; publication lowers {@code pending}
 * and sets what the citizen holds. The record keeps the citizen's last {@value #REMEMBERED}
 * admitted requests, which is how far idempotency reaches.
 *
 * @param pending claims admitted and not decided yet
 * @param held vouchers held in all
 * @param heldAt vouchers held per merchant (merchants with none are left out)
 * @param requests the citizen's recent admitted requests, oldest first
 */
public record CitizenRecord(int pending, int held, Map<String, Integer> heldAt, List<Request> requests) {

  public static final int REMEMBERED = 16;

  /** An admitted request: its id ({@link #requestId}), the claim it made, the body's fingerprint. */
  public record Request(String id, long generation, long seq, String fingerprint) {}

  public CitizenRecord(int pending, int held, Map<String, Integer> heldAt) {
    this(pending, held, heldAt, List.of());
  }

  public String encode() {
    StringBuilder record = new StringBuilder().append(pending).append('|').append(held).append('|')
        .append(holdings(heldAt)).append('|');
    List<Request> kept = requests.size() > REMEMBERED ? requests.subList(requests.size() - REMEMBERED, requests.size())
        : requests;
    for (Request r : kept) {
      record.append(';').append(r.id()).append('=').append(r.generation()).append(':').append(r.seq()).append(':')
          .append(r.fingerprint());
    }
    return record.toString();
  }

  /** Vouchers held in all, from what is held at each merchant. */
  public static int total(Map<String, Integer> heldAt) {
    return heldAt.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** The holdings part alone, as publication passes it. */
  public static String holdings(Map<String, Integer> heldAt) {
    StringBuilder part = new StringBuilder();
    heldAt.forEach((merchant, n) -> part.append(',').append(merchant).append('=').append(n));
    return part.toString();
  }

  public static CitizenRecord decode(String record) {
    String[] parts = record.split("\\|", 4);
    Map<String, Integer> heldAt = new LinkedHashMap<>();
    for (String entry : parts[2].split(",")) {
      if (!entry.isEmpty()) {
        int eq = entry.indexOf('=');
        heldAt.put(entry.substring(0, eq), Integer.valueOf(entry.substring(eq + 1)));
      }
    }
    List<Request> requests = new ArrayList<>();
    for (String entry : parts[3].split(";")) {
      if (!entry.isEmpty()) {
        int eq = entry.indexOf('=');
        String[] claim = entry.substring(eq + 1).split(":", 3);
        requests.add(new Request(entry.substring(0, eq), Long.parseLong(claim[0]), Long.parseLong(claim[1]), claim[2]));
      }
    }
    return new CitizenRecord(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), heldAt, requests);
  }

  /**
   * The id under which a request is remembered: a 64-bit FNV-1a digest, in hex, of the caller's
   * idempotency key ({@code k:...}) or, without one, of the chosen merchants ({@code b:...}).
   */
  public static String requestId(String idempotencyKey, String merchantIds) {
    String what = idempotencyKey != null ? "k:" + idempotencyKey : "b:" + merchantIds;
    long hash = 0xcbf29ce484222325L;
    for (byte b : what.getBytes(StandardCharsets.UTF_8)) {
      hash ^= b & 0xff;
      hash *= 0x100000001b3L;
    }
    return Long.toHexString(hash);
  }

  /** The fingerprint of a claim's body: the same request id with another body is a conflict. */
  public static String fingerprint(String merchantIds) {
    return Integer.toHexString(merchantIds.hashCode());
  }
}
