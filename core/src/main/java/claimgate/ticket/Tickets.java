package claimgate.ticket;

import claimgate.voucher.VoucherCodes;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Ticket ids: {@code <campaignId>.<generation>.<seq>.<tag>}, where the tag is an HMAC-SHA256
 * (126 bits, with the key's id) over the other three. The admission seq of a claim is unique
 * within a generation of the campaign's Redis state, so gateway and allocator compute the same
 * ticket from what the stream holds, nobody can guess a ticket (it guards the voucher code in the
 * status answer), and a ticket Redis has forgotten is still recognisable as one we issued.
 *
 * <pre>
 *   String ticket = tickets.issue("palma-2027", 1, 42);
 *   Optional&lt;Tickets.Ticket&gt; read = tickets.read(ticket);   // empty for a forged one
 * </pre>
 *
 * <p>Thread-safe: each thread keeps its own {@link Mac} per key.
 */
public final class Tickets {

  /** What a verified ticket says. */
  public record Ticket(String campaignId, long generation, long seq) {}

  static final String PURPOSE = "claimgate ticket v1";
  private static final int TAG_BYTES = 16;
  private static final String KEY_IDS = "0123456789abcdefghijklmnopqrstuv";

  private final Map<Integer, byte[]> keys;
  private final int currentKeyId;
  private final ThreadLocal<Mac[]> macs = ThreadLocal.withInitial(() -> new Mac[32]);

  public Tickets(VoucherCodes codes) {
    this.keys = codes.derivedKeys(PURPOSE);
    this.currentKeyId = codes.currentKeyId();
  }

  public String issue(String campaignId, long generation, long seq) {
    String body = campaignId + '.' + generation + '.' + seq;
    return body + '.' + KEY_IDS.charAt(currentKeyId) + tag(currentKeyId, body);
  }

  /** The ticket's parts when its tag verifies; empty for anything else. */
  public Optional<Ticket> read(String ticket) {
    if (ticket == null || ticket.length() > 128) {
      return Optional.empty();
    }
    int tagDot = ticket.lastIndexOf('.');
    int seqDot = tagDot < 0 ? -1 : ticket.lastIndexOf('.', tagDot - 1);
    int genDot = seqDot < 0 ? -1 : ticket.lastIndexOf('.', seqDot - 1);
    if (genDot <= 0 || tagDot + 2 > ticket.length()) {
      return Optional.empty();
    }
    int keyId = KEY_IDS.indexOf(ticket.charAt(tagDot + 1));
    if (keyId < 0 || !keys.containsKey(keyId)) {
      return Optional.empty();
    }
    String body = ticket.substring(0, tagDot);
    byte[] presented = ticket.substring(tagDot + 2).getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(presented, tag(keyId, body).getBytes(StandardCharsets.US_ASCII))) {
      return Optional.empty();
    }
    try {
      return Optional.of(new Ticket(ticket.substring(0, genDot), Long.parseLong(ticket.substring(genDot + 1, seqDot)),
          Long.parseLong(ticket.substring(seqDot + 1, tagDot))));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private String tag(int keyId, String body) {
    try {
      Mac[] perKey = macs.get();
      if (perKey[keyId] == null) {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(keys.get(keyId), "HmacSHA256"));
        perKey[keyId] = mac;
      }
      byte[] digest = perKey[keyId].doFinal(body.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(digest, TAG_BYTES));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
