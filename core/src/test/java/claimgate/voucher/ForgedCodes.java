package claimgate.voucher;

import java.util.SplittableRandom;

/**
 * Codes an attacker could type: well formed, with a correct check symbol, and random payload, so
 * their tags are random too. For tests that prove forged codes are refused before any read.
 */
public final class ForgedCodes {

  private final SplittableRandom random;

  public ForgedCodes(long seed) {
    this.random = new SplittableRandom(seed);
  }

  public String next(String prefix) {
    int[] symbols = new int[20];
    for (int i = 0; i < 19; i++) {
      symbols[i] = random.nextInt(32);
    }
    // the first symbol is the key id: 1, the one tests sign with, so the tag check is what refuses
    symbols[0] = 1;
    symbols[19] = VoucherCodes.check(symbols);
    StringBuilder code = new StringBuilder(prefix);
    for (int i = 0; i < 20; i++) {
      if (i % 4 == 0) {
        code.append('-');
      }
      code.append(VoucherCodes.ALPHABET.charAt(symbols[i]));
    }
    return code.toString();
  }
}
