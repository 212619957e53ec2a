package claimgate.voucher;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** Codes carry a tag that verifies, and a check character that catches typos. */
class VoucherCodesTest {

  static final VoucherCodes CODES = VoucherCodes.fromSpec(VoucherCodes.newKeySpec(3, new SecureRandom()));
  static final VoucherCodes OTHER_KEY = VoucherCodes.fromSpec(VoucherCodes.newKeySpec(3, new SecureRandom()));

  @Property(tries = 300)
  void issuedCodesVerify(@ForAll @LongRange(min = 0, max = VoucherCodes.MAX_SERIAL) long serial) {
    String code = CODES.issue("palma-2027", "PALMA", serial);
    assertThat(code).matches("PALMA(-[0-9A-HJKMNP-TV-Z]{4}){5}");
    assertThat(CODES.parse(code, "palma-2027")).isEqualTo(new VoucherCodes.Parsed.Valid("PALMA", 3, serial));
    assertThat(CODES.parse(code.toLowerCase().replace("-", " "), "palma-2027")).isInstanceOf(VoucherCodes.Parsed.Valid.class);
    assertThat(OTHER_KEY.parse(code, "palma-2027")).isInstanceOf(VoucherCodes.Parsed.Forged.class);
  }

  @Property(tries = 100)
  void codesRedeemAsPeoplePasteThem(@ForAll @LongRange(min = 0, max = VoucherCodes.MAX_SERIAL) long serial) {
    String code = CODES.issue("palma-2027", "PALMA", serial);
    // dashes of every kind (en, em, minus, hyphen, non-breaking hyphen, figure dash, full-width,
    // small), spaces of every kind (no-break, narrow no-break, figure, ideographic, line breaks),
    // invisible characters (zero-width space and joiner, byte order mark, soft hyphen, direction
    // marks), full-width letters and digits, and lower case
    java.util.List<String> pasted = java.util.List.of(
        code.replace('-', '\u2013'), code.replace('-', '\u2014'), code.replace('-', '\u2212'),
        code.replace('-', '\u2010'), code.replace('-', '\u2011'), code.replace('-', '\u2012'),
        code.replace('-', '\uFF0D'), code.replace('-', '\uFE63'),
        code.replace("-", "\u00A0"), code.replace("-", "\u202F"), code.replace("-", "\u2007"),
        code.replace("-", "\u3000"), " " + code + "\r\n", "\t" + code.replace("-", "\n"),
        code.replace("-", "-\u200B"), "\uFEFF" + code, code.replace("-", "\u00AD"), "\u200E" + code + "\u200F",
        code.replace("-", "\u200D-"), toFullWidth(code), code.toLowerCase(java.util.Locale.ROOT).replace('-', '\u2013'));
    for (String typed : pasted) {
      assertThat(CODES.parse(typed, "palma-2027")).as("%s", typed.codePoints().mapToObj(Integer::toHexString).toList())
          .isEqualTo(new VoucherCodes.Parsed.Valid("PALMA", 3, serial));
      assertThat(VoucherCodes.canonical(typed)).isEqualTo(code);
    }
    // a real wrong symbol, pasted the same way, is still a wrong symbol
    char last = code.charAt(code.length() - 1);
    String wrong = code.substring(0, code.length() - 1) + (last == '0' ? '1' : '0');
    assertThat(CODES.parse(wrong.replace('-', '\u2013'), "palma-2027")).isInstanceOf(VoucherCodes.Parsed.Malformed.class);
    assertThat(CODES.parse(code.replace('-', '\u20AC'), "palma-2027")).as("a euro sign is no dash")
        .isInstanceOf(VoucherCodes.Parsed.Malformed.class);
  }

  private static String toFullWidth(String ascii) {
    StringBuilder out = new StringBuilder();
    ascii.chars().forEach(c -> out.append(c >= '!' && c <= '~' ? (char) (c - '!' + 0xFF01) : (char) c));
    return out.toString();
  }

  @Property(tries = 500)
  void aSingleTypoIsCaughtByTheCheckCharacter(
      @ForAll @LongRange(min = 0, max = VoucherCodes.MAX_SERIAL) long serial,
      @ForAll @IntRange(min = 0, max = 19) int position,
      @ForAll @IntRange(min = 1, max = 31) int shift) {
    String code = CODES.issue("palma-2027", "PALMA", serial).replace("-", "").substring(5);
    char[] symbols = code.toCharArray();
    int value = VoucherCodes.ALPHABET.indexOf(symbols[position]);
    symbols[position] = VoucherCodes.ALPHABET.charAt((value + shift) % 32);
    assertThat(CODES.parse("PALMA" + new String(symbols), "palma-2027")).isInstanceOf(VoucherCodes.Parsed.Malformed.class);
  }

  @Property(tries = 200)
  void anotherCampaignWithTheSamePrefixDoesNotVerify(@ForAll @LongRange(min = 0, max = VoucherCodes.MAX_SERIAL) long serial) {
    String code = CODES.issue("palma-2027", "PALMA", serial);
    assertThat(CODES.issue("palma-2028", "PALMA", serial)).isNotEqualTo(code);
    assertThat(CODES.parse(code, "palma-2028")).isInstanceOf(VoucherCodes.Parsed.Forged.class);
  }

  @Property(tries = 200)
  void anotherPrefixDoesNotVerify(@ForAll @LongRange(min = 0, max = VoucherCodes.MAX_SERIAL) long serial) {
    String code = CODES.issue("palma-2027", "PALMA", serial);
    assertThat(CODES.parse("SOLLR" + code.substring(5), "palma-2027")).isInstanceOf(VoucherCodes.Parsed.Forged.class);
  }
}
