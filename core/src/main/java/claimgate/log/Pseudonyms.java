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
 * under a key derived from the current code key, which is never published.
 *
 * <p>Not thread-safe: one per decision thread.
 */
public final class Pseudonyms {

  private final Mac mac;

  public Pseudonyms(VoucherCodes codes) {
    try {
      mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(codes.derivedKeys("citizen-pseudonym").get(codes.currentKeyId()), "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  public String of(String campaignId, String citizenId) {
    byte[] tag = mac.doFinal((campaignId + "\n" + citizenId).getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(tag, 0, 16);
  }
}
