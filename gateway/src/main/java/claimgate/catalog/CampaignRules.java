package claimgate.catalog;

import claimgate.campaign.Campaign;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.text.NumberFormat;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;
import java.util.ArrayList;
import java.util.Currency;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The campaign's rules in plain words, from its document: what a voucher is worth, how many one
 * may hold, each round with its dates in the reader's time zone and the share it releases, how
 * long a voucher is valid and where, and what happens after a claim.
 */
public final class CampaignRules {

  private CampaignRules() {}

  public static List<String> render(Campaign campaign, Languages languages, String language, ZoneId zone) {
    Locale locale = Locale.forLanguageTag(language);
    NumberFormat money = NumberFormat.getCurrencyInstance(locale);
    money.setCurrency(Currency.getInstance(campaign.currency()));
    money.setMinimumFractionDigits(campaign.voucherValue().scale());
    money.setMaximumFractionDigits(campaign.voucherValue().scale());
    DateTimeFormatter when = DateTimeFormatter.ofLocalizedDateTime(FormatStyle.LONG, FormatStyle.SHORT)
        .withLocale(locale).withZone(zone);
    List<String> rules = new ArrayList<>();
    rules.add(languages.rule(language, "value", Map.of("value", money.format(campaign.voucherValue()))));
    rules.add(languages.rule(language, "limits", Map.of(
        "perCitizen", Integer.toString(campaign.limits().perCitizen()),
        "perMerchant", Integer.toString(campaign.limits().perCitizenPerMerchant()))));
    for (int i = 0; i < campaign.rounds().size(); i++) {
      Campaign.Round round = campaign.rounds().get(i);
      BigDecimal percent = BigDecimal.valueOf(round.release() * 100).setScale(1, RoundingMode.HALF_EVEN).stripTrailingZeros();
      rules.add(languages.rule(language, "round", Map.of(
          "n", Integer.toString(i + 1),
          "opens", when.format(round.opensAt()),
          "closes", when.format(round.closesAt()),
          "zone", zone.getId(),
          "percent", NumberFormat.getNumberInstance(locale).format(percent))));
    }
    if (campaign.prequeue() != null) {
      long minutes = campaign.prequeue().opensBefore().toMinutes();
      rules.add(languages.rule(language, "prequeue", Map.of("minutes", NumberFormat.getNumberInstance(locale).format(minutes))));
    }
    rules.add(languages.rule(language, "valid", Map.of("days", Integer.toString(campaign.validDays()))));
    rules.add(languages.rule(language, "after", Map.of()));
    return rules;
  }
}
