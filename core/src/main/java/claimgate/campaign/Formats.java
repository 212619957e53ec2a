package claimgate.campaign;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Currency;

/**
 * One format for every answer: instants in ISO-8601 UTC with milliseconds
 * ({@code 2027-04-12T08:00:00.000Z}), amounts with their currency's decimals ({@code 10.00} EUR),
 * whichever store or document they came from.
 */
public final class Formats {

  private static final DateTimeFormatter INSTANT =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private Formats() {}

  public static String instant(Instant at) {
    return INSTANT.format(at);
  }

  public static String instant(OffsetDateTime at) {
    return INSTANT.format(at.toInstant());
  }

  public static String epochMs(long ms) {
    return INSTANT.format(Instant.ofEpochMilli(ms));
  }

  /** The amount with as many decimals as its currency has (2 for EUR, 0 for JPY); never rounded. */
  public static BigDecimal money(BigDecimal amount, String currency) {
    int digits;
    try {
      digits = Math.max(0, Currency.getInstance(currency).getDefaultFractionDigits());
    } catch (IllegalArgumentException unknownCurrency) {
      digits = 2;
    }
    return amount.scale() == digits ? amount : amount.setScale(Math.max(digits, amount.stripTrailingZeros().scale()),
        RoundingMode.UNNECESSARY);
  }
}
