package claimgate.campaign;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rules a campaign document must follow, every field checked; the first broken one is a
 * {@link CampaignException} naming where it is (the campaign, the round or merchant index).
 */
final class CampaignValidation {

  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");
  private static final Pattern MERCHANT_ID = Pattern.compile("[A-Za-z0-9_-]{1,40}");

  private CampaignValidation() {}

  static void check(Campaign c) {
    require(c.id() != null && ID.matcher(c.id()).matches(),
        "id must be 1-40 lower-case letters, digits or '-', got " + quote(c.id()));
    require(!c.id().startsWith(Campaign.SCRATCH_PREFIX), "ids starting with " + Campaign.SCRATCH_PREFIX + " are reserved for warm-ups");
    String where = "campaign " + c.id() + ": ";
    require(c.name() != null && !c.name().isBlank(), where + "name is required");
    require(c.currency() != null && c.currency().matches("[A-Z]{3}") && knownCurrency(c.currency()),
        where + "currency must be an ISO 4217 code like EUR");
    require(c.voucherValue() != null && c.voucherValue().signum() > 0, where + "voucherValue must be > 0");
    require(c.voucherValue().compareTo(Campaign.MAX_VOUCHER_VALUE) < 0, where + "voucherValue must be below " + Campaign.MAX_VOUCHER_VALUE);
    require(c.voucherValue().stripTrailingZeros().scale() <= Formats.decimals(c.currency()),
        where + "voucherValue has more decimals than " + c.currency() + " has (" + Formats.decimals(c.currency()) + ")");
    require(c.validDays() != null && c.validDays() > 0, where + "validDays must be > 0");
    require(c.limits() != null, where + "limits are required");
    require(c.limits().perCitizen() > 0, where + "limits.perCitizen must be > 0");
    require(c.limits().perCitizenPerMerchant() > 0 && c.limits().perCitizenPerMerchant() <= c.limits().perCitizen(),
        where + "limits.perCitizenPerMerchant must be between 1 and limits.perCitizen");
    require(c.admission() != null, where + "admission is required");
    require(c.admission().ratePerSecond() > 0, where + "admission.ratePerSecond must be > 0");
    require(c.admission().burst() > 0, where + "admission.burst must be > 0");
    require(c.admission().maxPendingPerCitizen() > 0, where + "admission.maxPendingPerCitizen must be > 0");
    require(c.admission().capFactor() == null || c.admission().capFactor() >= 1.0,
        where + "admission.capFactor must be >= 1.0");
    require(c.admission().perAddressRateOrDefault() > 0, where + "admission.perAddressRatePerSecond must be > 0");
    require(c.admission().perAddressBurstOrDefault() > 0, where + "admission.perAddressBurst must be > 0");
    Campaign.Prequeue prequeue = c.admission().prequeue();
    if (prequeue != null) {
      require(prequeue.opensBefore() != null && !prequeue.opensBefore().isNegative() && !prequeue.opensBefore().isZero()
          && prequeue.opensBefore().toDays() <= 30, where + "admission.prequeue.opensBefore must be a duration between PT1S and P30D");
      require(prequeue.beacon() == null || !prequeue.beacon().isBlank() && prequeue.beacon().length() <= 200,
          where + "admission.prequeue.beacon must name the outside randomness in 1 to 200 characters");
    }
    require(c.rounds() != null && !c.rounds().isEmpty(), where + "at least one round is required");
    double total = 0;
    for (int i = 0; i < c.rounds().size(); i++) {
      Campaign.Round r = c.rounds().get(i);
      String rw = where + "rounds[" + i + "]";
      require(r.opensAt() != null && r.closesAt() != null, rw + " needs opensAt and closesAt");
      require(r.closesAt().isAfter(r.opensAt()), rw + " closesAt must be after opensAt");
      require(r.release() > 0 && r.release() <= 1, rw + ".release must be in (0, 1]");
      require(i == 0 || !r.opensAt().isBefore(c.rounds().get(i - 1).closesAt()),
          rw + " must open after the previous round closes");
      total += r.release();
    }
    require(Math.abs(total - 1.0) * Campaign.FULL_RELEASE_BP <= 0.5, where + "round releases add up to "
        + java.math.BigDecimal.valueOf(total).stripTrailingZeros().toPlainString()
        + ", not 1: the rounds must release every voucher by the last one");
    require(c.merchants() != null && !c.merchants().isEmpty(), where + "at least one merchant is required");
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < c.merchants().size(); i++) {
      Campaign.Merchant m = c.merchants().get(i);
      String mw = where + "merchants[" + i + "]";
      require(m.id() != null && MERCHANT_ID.matcher(m.id()).matches(),
          mw + ".id must be 1-40 letters, digits, '_' or '-', got " + quote(m.id()));
      require(seen.add(m.id()), mw + ".id " + m.id() + " appears twice");
      require(m.name() != null && !m.name().isBlank(), mw + ".name is required");
      require(m.contingent() >= 0, mw + ".contingent must be >= 0, got " + m.contingent());
      require(m.area() == null || (!m.area().isBlank() && m.area().length() <= 80), mw + ".area must be 1-80 characters");
      require(m.category() == null || (!m.category().isBlank() && m.category().length() <= 80),
          mw + ".category must be 1-80 characters");
      requireNames(m.names(), mw + ".names");
    }
    if (c.presentation() != null) {
      if (c.presentation().timeZone() != null) {
        try {
          java.time.ZoneId.of(c.presentation().timeZone());
        } catch (java.time.DateTimeException e) {
          throw new CampaignException(where + "presentation.timeZone must be an IANA time zone like Europe/Madrid, got "
              + quote(c.presentation().timeZone()));
        }
      }
      requireNames(c.presentation().names(), where + "presentation.names");
    }
    require(c.eligibility() == null || c.eligibility().file() == null || c.eligibility().citizens() == null,
        where + "eligibility has either a file or a citizens list, not both");
    require(c.eligibility() == null || c.eligibility().minTier() == null || c.eligibility().minTier() >= 0,
        where + "eligibility.minTier must be >= 0");
    try {
      c.identityFormat();
    } catch (CampaignException e) {
      throw new CampaignException(where + e.getMessage());
    }
  }

  private static boolean knownCurrency(String code) {
    try {
      java.util.Currency.getInstance(code);
      return true;
    } catch (IllegalArgumentException unknown) {
      return false;
    }
  }

  private static final Pattern LANGUAGE = Pattern.compile("[a-z]{2}");

  /** Names by language: two-letter language codes, each name 1-200 characters. */
  private static void requireNames(Map<String, String> names, String where) {
    if (names == null) {
      return;
    }
    names.forEach((language, text) -> {
      require(language != null && LANGUAGE.matcher(language).matches(),
          where + " keys must be two-letter language codes like ca, got " + quote(language));
      require(text != null && !text.isBlank() && text.length() <= 200, where + "." + language + " must be 1-200 characters");
    });
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new CampaignException(message);
    }
  }

  private static String quote(String s) {
    return s == null ? "nothing" : "'" + s + "'";
  }
}
