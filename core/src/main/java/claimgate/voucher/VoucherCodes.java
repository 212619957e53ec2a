package claimgate.voucher;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Voucher codes: {@code PREFIX-XXXX-XXXX-XXXX-XXXX-XXXX} in Crockford base32.
 *
 * <p>The 19 payload symbols carry a key id (5 bits), a serial unique in the campaign (30 bits)
 * and an HMAC-SHA256 tag over campaign id, prefix, key id and serial (60 bits), so codes of two
 * campaigns never collide nor verify for each other; the 20th symbol is a check
 * character that catches a mistyped or swapped symbol. A code whose tag does not verify is refused
 * here, before any database read. Keys rotate: new codes use the first key, every key verifies.
 *
 * <pre>
 *   VoucherCodes codes = VoucherCodes.fromSpec("1:base64key");
 *   String code = codes.issue("PALMA", 42);   // PALMA-1000-0016-...
 * </pre>
 *
 * <p>Thread-safe: keys are immutable and each thread keeps its own {@link Mac} per key.
 */
public final class VoucherCodes {

  static final String ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  private static final int PAYLOAD_SYMBOLS = 19;
  private static final int SERIAL_BITS = 30;
  private static final int TAG_BITS = 60;
  public static final long MAX_SERIAL = (1L << SERIAL_BITS) - 1;

  private final Map<Integer, byte[]> keys;
  private final int currentKeyId;
  /** A Mac per thread and key id: making one costs more than using it. */
  private final ThreadLocal<Mac[]> macs = ThreadLocal.withInitial(() -> new Mac[32]);

  /** The outcome of reading a code: valid with its serial, or why not. */
  public sealed interface Parsed {
    record Valid(String prefix, int keyId, long serial) implements Parsed {}

    /** Not a well-formed code, or its check character is wrong: a typo. */
    record Malformed(String message) implements Parsed {}

    /** Well-formed, but its tag does not verify: forged. */
    record Forged() implements Parsed {}
  }

  private VoucherCodes(Map<Integer, byte[]> keys, int currentKeyId) {
    this.keys = keys;
    this.currentKeyId = currentKeyId;
  }

  /** Keys as {@code id:base64[,id:base64...]}; the first signs new codes. */
  public static VoucherCodes fromSpec(String spec) {
    Map<Integer, byte[]> keys = new LinkedHashMap<>();
    int first = -1;
    for (String part : spec.split(",")) {
      String[] idAndKey = part.strip().split(":", 2);
      if (idAndKey.length != 2) {
        throw new IllegalArgumentException("CLAIMGATE_CODE_KEY must be id:base64[,id:base64...]");
      }
      int id;
      byte[] key;
      try {
        id = Integer.parseInt(idAndKey[0]);
        key = Base64.getDecoder().decode(idAndKey[1]);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("CLAIMGATE_CODE_KEY must be id:base64[,id:base64...]");
      }
      if (id < 0 || id > 31 || key.length < 16) {
        throw new IllegalArgumentException("CLAIMGATE_CODE_KEY: key id 0-31 and at least 16 key bytes");
      }
      keys.put(id, key);
      if (first < 0) {
        first = id;
      }
    }
    return new VoucherCodes(Map.copyOf(keys), first);
  }

  public static String newKeySpec(int keyId, java.security.SecureRandom random) {
    byte[] key = new byte[32];
    random.nextBytes(key);
    return keyId + ":" + Base64.getEncoder().encodeToString(key);
  }

  /** The id of the key that signs new codes. */
  public int currentKeyId() {
    return currentKeyId;
  }

  /**
   * A key for another purpose (ticket ids, say) per key id, derived from each code key by
   * HMAC-SHA256 over {@code purpose}: rotating the code keys rotates it too.
   */
  public Map<Integer, byte[]> derivedKeys(String purpose) {
    Map<Integer, byte[]> derived = new LinkedHashMap<>();
    for (Map.Entry<Integer, byte[]> key : keys.entrySet()) {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key.getValue(), "HmacSHA256"));
        derived.put(key.getKey(), mac.doFinal(purpose.getBytes(StandardCharsets.UTF_8)));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
      }
    }
    return derived;
  }

  public String issue(String campaignId, String prefix, long serial) {
    if (serial < 0 || serial > MAX_SERIAL) {
      throw new IllegalArgumentException("serial out of range: " + serial);
    }
    long tag = tag(campaignId, prefix, currentKeyId, serial);
    // 95 bits: keyId(5) | serial(30) | tag(60), as 19 symbols of 5 bits, most significant first.
    int[] symbols = new int[PAYLOAD_SYMBOLS + 1];
    long high = ((long) currentKeyId << SERIAL_BITS) | serial; // 35 bits
    for (int i = 6; i >= 0; i--) {
      symbols[i] = (int) (high & 31);
      high >>>= 5;
    }
    for (int i = PAYLOAD_SYMBOLS - 1; i >= 7; i--) {
      symbols[i] = (int) (tag & 31);
      tag >>>= 5;
    }
    symbols[PAYLOAD_SYMBOLS] = check(symbols);
    StringBuilder code = new StringBuilder(prefix.length() + 25).append(prefix);
    for (int i = 0; i < symbols.length; i++) {
      if (i % 4 == 0) {
        code.append('-');
      }
      code.append(ALPHABET.charAt(symbols[i]));
    }
    return code.toString();
  }

  /**
   * Reads a code as typed (case, dashes, spaces and Crockford look-alikes are forgiven) and
   * verifies its tag for the campaign its prefix names.
   */
  public Parsed parse(String typed, String campaignId) {
    if (typed == null || typed.length() > 64) {
      return new Parsed.Malformed("a voucher code has 5 groups of 4 symbols after its prefix");
    }
    String compact = compact(typed);
    int payloadStart = compact.length() - (PAYLOAD_SYMBOLS + 1);
    if (payloadStart < 1 || payloadStart > 5) {
      return new Parsed.Malformed("a voucher code has 5 groups of 4 symbols after its prefix");
    }
    String prefix = compact.substring(0, payloadStart);
    if (!prefix.chars().allMatch(ch -> (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))) {
      return new Parsed.Malformed("the prefix has letters and digits only");
    }
    int[] symbols = new int[PAYLOAD_SYMBOLS + 1];
    for (int i = 0; i < symbols.length; i++) {
      int v = decodeSymbol(compact.charAt(payloadStart + i));
      if (v < 0) {
        return new Parsed.Malformed("'" + compact.charAt(payloadStart + i) + "' is not a code symbol");
      }
      symbols[i] = v;
    }
    if (check(symbols) != symbols[PAYLOAD_SYMBOLS]) {
      return new Parsed.Malformed("the check symbol does not match: a symbol is mistyped");
    }
    long high = 0;
    for (int i = 0; i < 7; i++) {
      high = (high << 5) | symbols[i];
    }
    long tag = 0;
    for (int i = 7; i < PAYLOAD_SYMBOLS; i++) {
      tag = (tag << 5) | symbols[i];
    }
    int keyId = (int) (high >>> SERIAL_BITS);
    long serial = high & MAX_SERIAL;
    if (!keys.containsKey(keyId)) {
      return new Parsed.Forged();
    }
    long expected = tag(campaignId, prefix, keyId, serial);
    boolean same = MessageDigest.isEqual(longBytes(expected), longBytes(tag));
    return same ? new Parsed.Valid(prefix, keyId, serial) : new Parsed.Forged();
  }

  /**
   * The canonical printed form of a typed code that is well formed and passes its check symbol,
   * whoever issued it; empty otherwise.
   */
  public Optional<String> wellFormed(String typed) {
    return parse(typed, "") instanceof Parsed.Malformed ? Optional.empty() : Optional.of(canonical(typed));
  }

  /** The canonical printed form of a valid code, so a typed code can be looked up. */
  public static String canonical(String typed) {
    String compact = compact(typed);
    int payloadStart = compact.length() - (PAYLOAD_SYMBOLS + 1);
    StringBuilder code = new StringBuilder(compact.substring(0, payloadStart));
    for (int i = 0; i < PAYLOAD_SYMBOLS + 1; i++) {
      if (i % 4 == 0) {
        code.append('-');
      }
      code.append(ALPHABET.charAt(decodeSymbol(compact.charAt(payloadStart + i))));
    }
    return code.toString();
  }

  /**
   * A code as people paste it, reduced to its symbols: Unicode NFKC first (full-width letters and
   * digits become ASCII), then every dash (hyphens, en and em dashes, the minus sign, ...), every
   * space (no-break spaces included) and every invisible format character (zero-width spaces,
   * byte order marks, soft hyphens, direction marks) is dropped, and the case is folded. What is
   * left is judged symbol by symbol; only a real wrong symbol makes a code malformed.
   */
  static String compact(String typed) {
    String nfkc = java.text.Normalizer.normalize(typed, java.text.Normalizer.Form.NFKC);
    StringBuilder symbols = new StringBuilder(nfkc.length());
    for (int i = 0; i < nfkc.length(); ) {
      int cp = nfkc.codePointAt(i);
      i += Character.charCount(cp);
      int type = Character.getType(cp);
      if (type == Character.DASH_PUNCTUATION || cp == MINUS_SIGN || type == Character.FORMAT
          || Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
        continue;
      }
      symbols.appendCodePoint(cp);
    }
    return symbols.toString().toUpperCase(Locale.ROOT);
  }

  private static final int MINUS_SIGN = 0x2212;

  private static int decodeSymbol(char c) {
    switch (c) {
      case 'O':
        return 0;
      case 'I':
      case 'L':
        return 1;
      default:
        return ALPHABET.indexOf(c);
    }
  }

  /** Weighted sum with odd weights mod 32: every single-symbol substitution changes it. */
  static int check(int[] symbols) {
    int sum = 0;
    for (int i = 0; i < PAYLOAD_SYMBOLS; i++) {
      sum += symbols[i] * (2 * i + 1);
    }
    return sum & 31;
  }

  private Mac mac(int keyId) throws GeneralSecurityException {
    Mac[] perKey = macs.get();
    if (perKey[keyId] == null) {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(keys.get(keyId), "HmacSHA256"));
      perKey[keyId] = mac;
    }
    return perKey[keyId];
  }

  private long tag(String campaignId, String prefix, int keyId, long serial) {
    try {
      Mac mac = mac(keyId);
      mac.update(campaignId.getBytes(StandardCharsets.UTF_8));
      mac.update((byte) 0);
      mac.update(prefix.getBytes(StandardCharsets.US_ASCII));
      mac.update((byte) keyId);
      mac.update(longBytes(serial));
      byte[] digest = mac.doFinal();
      long tag = 0;
      for (int i = 0; i < 8; i++) {
        tag = (tag << 8) | (digest[i] & 0xff);
      }
      return tag >>> (64 - TAG_BITS);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  private static byte[] longBytes(long v) {
    byte[] b = new byte[8];
    for (int i = 7; i >= 0; i--) {
      b[i] = (byte) v;
      v >>>= 8;
    }
    return b;
  }
}
