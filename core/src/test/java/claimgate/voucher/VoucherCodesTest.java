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
