package claimgate.draw;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The draw of a pre-queue, as anyone recomputes it (docs/decision-log.md): the frozen list is the
 * pre-queue's tickets in the order they were admitted; its hash is the SHA-256 of those tickets,
 * one per line ({@code \n} between them, none after the last); the seed is 32 random bytes, its
 * commitment the SHA-256 of those bytes (hex). The draw's key is the seed, or, when outside
 * randomness (a beacon) was named in advance, the SHA-256 of the seed's bytes followed by the
 * beacon's value in UTF-8. Each ticket's place follows the HMAC-SHA256 of its ticket under that
 * key: the lowest (as unsigned bytes, that is as lowercase hex) is served first.
 *
 * <p>Nobody can bend it: the seed is fixed before the pre-queue opens and its hash published,
 * the list is frozen by Redis's clock at the opening and its hash published before the seed is,
 * and the order is a function of nothing else.
 */
public final class Draw {

  private static final HexFormat HEX = HexFormat.of();
  private static final SecureRandom RANDOM = new SecureRandom();

  private Draw() {}

  public static byte[] newSeed() {
    byte[] seed = new byte[32];
    RANDOM.nextBytes(seed);
    return seed;
  }

  /** The commitment published before the pre-queue opens. */
  public static String commitment(byte[] seed) {
    return hex(sha256(seed));
  }

  /** The hash of the frozen list: its tickets in admission order. */
  public static String listHash(List<String> ticketsInAdmissionOrder) {
    return hex(sha256(String.join("\n", ticketsInAdmissionOrder).getBytes(StandardCharsets.UTF_8)));
  }

  /** The key the places are drawn with. */
  public static byte[] key(byte[] seed, String beacon) {
    if (beacon == null) {
      return seed.clone();
    }
    byte[] b = beacon.getBytes(StandardCharsets.UTF_8);
    byte[] both = Arrays.copyOf(seed, seed.length + b.length);
    System.arraycopy(b, 0, both, seed.length, b.length);
    return sha256(both);
  }

  /** The order of service: {@code tickets} sorted by their HMAC under the draw's key. */
  public static List<String> order(byte[] seed, String beacon, List<String> tickets) {
    Mac mac = mac(key(seed, beacon));
    record Drawn(String ticket, String score) {}
    List<Drawn> drawn = new ArrayList<>(tickets.size());
    for (String ticket : tickets) {
      drawn.add(new Drawn(ticket, hex(mac.doFinal(ticket.getBytes(StandardCharsets.UTF_8)))));
    }
    drawn.sort((a, b) -> {
      int byScore = a.score().compareTo(b.score());
      return byScore != 0 ? byScore : a.ticket().compareTo(b.ticket());
    });
    return drawn.stream().map(Drawn::ticket).toList();
  }

  public static String hex(byte[] bytes) {
    return HEX.formatHex(bytes);
  }

  public static byte[] unhex(String hex) {
    return HEX.parseHex(hex);
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Mac mac(byte[] key) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
