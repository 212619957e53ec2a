package claimgate.campaign;

import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One person, one identity: the canonical form of a citizen ID, applied wherever an ID enters
 * (a claim's body or identity token, an eligibility list from a file or the admin API), so that
 * admission, the eligibility list, the allocator and the ledger all count the same person once.
 *
 * <p>Every format: a leading byte order mark is dropped, the text is brought to Unicode NFKC
 * (full-width letters and digits become ASCII), white space at either end is trimmed, and a
 * control, invisible or line-break character left anywhere is refused. Then, per the campaign's
 * {@code identity.format}:
 * <ul>
 *   <li>{@code opaque} (default): case folded to lower case; letters, digits and {@code . _ @ : + -};
 *   <li>{@code dni-nie}: a Spanish DNI ({@code 12345678Z}) or NIE ({@code X1234567L}); spaces,
 *       dots and dashes inside are dropped, letters upper-cased, a 7-digit DNI gets its leading
 *       zero, and the check letter must match;
 *   <li>{@code email}: lower case, one {@code @} and a dot in the domain.
 * </ul>
 *
 * <pre>
 *   String id = CitizenIds.canonical(" 12345678-z\n", CitizenIds.Format.DNI_NIE);   // "12345678Z"
 * </pre>
 */
public final class CitizenIds {

  public static final int MAX_CHARS = 64;

  /** A campaign's identity format ({@code identity.format} in its document). */
  public enum Format {
    OPAQUE("opaque"), DNI_NIE("dni-nie"), EMAIL("email");

    private final String name;

    Format(String name) {
      this.name = name;
    }

    public String documentName() {
      return name;
    }

    /** @throws CampaignException for a name that is none of the formats */
    public static Format named(String name) {
      for (Format f : values()) {
        if (f.name.equals(name)) {
          return f;
        }
      }
      throw new CampaignException("identity.format must be opaque, dni-nie or email, not '" + name + "'");
    }
  }

  /** An ID that cannot be brought to a canonical form; the message says why, without the ID. */
  public static final class Invalid extends Exception {
    Invalid(String message) {
      super(message, null, false, false);
    }
  }

  private static final Pattern DNI_SEPARATORS = Pattern.compile("[\\s.\\-]");
  private static final Pattern DNI_WITHOUT_ZERO = Pattern.compile("[0-9]{7}[A-Z]");
  private static final Pattern DNI = Pattern.compile("[0-9]{8}[A-Z]");
  private static final Pattern NIE = Pattern.compile("[XYZ][0-9]{7}[A-Z]");
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s.]+");
  private static final String DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE";

  private CitizenIds() {}

  public static String canonical(String raw, Format format) throws Invalid {
    if (raw == null) {
      throw new Invalid("is required");
    }
    String id = raw.startsWith("\uFEFF") ? raw.substring(1) : raw;
    // printable ASCII (nearly every ID typed at a launch) is its own NFKC form and holds no
    // control, invisible or line-break character: only the rest is normalized and checked
    if (printableAscii(id)) {
      id = id.strip();
    } else {
      id = checked(Normalizer.normalize(id, Normalizer.Form.NFKC).strip());
    }
    return switch (format) {
      case OPAQUE -> opaque(id);
      case DNI_NIE -> dniNie(id);
      case EMAIL -> email(id);
    };
  }

  private static boolean printableAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  private static String checked(String id) throws Invalid {
    for (int i = 0; i < id.length(); ) {
      int cp = id.codePointAt(i);
      i += Character.charCount(cp);
      int type = Character.getType(cp);
      if (type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
          || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE || type == Character.UNASSIGNED) {
        throw new Invalid("control, invisible and line-break characters are not allowed");
      }
    }
    return id;
  }

  /** {@code [a-z0-9._@:+-]{1,MAX_CHARS}}, without a regular expression on the claim path. */
  private static boolean opaqueForm(String s) {
    if (s.isEmpty() || s.length() > MAX_CHARS) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@' || c == ':' || c == '+'
          || c == '-')) {
        return false;
      }
    }
    return true;
  }

  private static String opaque(String id) throws Invalid {
    String folded = id.toLowerCase(Locale.ROOT);
    if (!opaqueForm(folded)) {
      throw new Invalid("1 to " + MAX_CHARS + " letters, digits and . _ @ : + - (compared without case)");
    }
    return folded;
  }

  private static String dniNie(String id) throws Invalid {
    String compact = DNI_SEPARATORS.matcher(id).replaceAll("").toUpperCase(Locale.ROOT);
    if (DNI_WITHOUT_ZERO.matcher(compact).matches()) {
      compact = "0" + compact;
    }
    String digits;
    if (DNI.matcher(compact).matches()) {
      digits = compact.substring(0, 8);
    } else if (NIE.matcher(compact).matches()) {
      digits = "XYZ".indexOf(compact.charAt(0)) + compact.substring(1, 8);
    } else {
      throw new Invalid("a DNI is 8 digits and a letter (12345678Z), a NIE X, Y or Z, 7 digits and a letter (X1234567L)");
    }
    char expected = DNI_LETTERS.charAt(Integer.parseInt(digits) % 23);
    if (compact.charAt(8) != expected) {
      throw new Invalid("the check letter does not match the number");
    }
    return compact;
  }

  private static String email(String id) throws Invalid {
    String folded = id.toLowerCase(Locale.ROOT);
    if (folded.length() > MAX_CHARS || !EMAIL.matcher(folded).matches()) {
      throw new Invalid("an e-mail address of at most " + MAX_CHARS + " characters");
    }
    return folded;
  }
}
