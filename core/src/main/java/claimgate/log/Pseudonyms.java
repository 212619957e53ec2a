package claimgate.log;

import claimgate.voucher.VoucherCodes;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * How a citizen appears in the public log: the same pseudonym for all their claims in one
 * campaign, another in the next, and no way back to the ID by trying ID numbers, since it is a
 * keyed hash (HMAC-SHA256 over the campaign and the canonical citizen ID, its first 16 bytes)
 * under a key derived from the code key of the lowest id, which is never published. Adding a code
 * key (a rotation) leaves pseudonyms as they are; removing the lowest one changes them.
 *
 * <p>Not thread-safe: one per decision thread.
 */
public final class Pseudonyms {

  private final Mac mac;

  public Pseudonyms(VoucherCodes codes) {
    try {
      mac = Mac.getInstance("HmacSHA256");
      java.util.Map<Integer, byte[]> keys = codes.derivedKeys("citizen-pseudonym");
      mac.init(new SecretKeySpec(keys.get(java.util.Collections.min(keys.keySet())), "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  public String of(String campaignId, String citizenId) {
    byte[] tag = mac.doFinal((campaignId + "\n" + citizenId).getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(tag, 0, 16);
  }
}
