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
    int digits = decimals(currency);
    return amount.scale() == digits ? amount : amount.setScale(Math.max(digits, amount.stripTrailingZeros().scale()),
        RoundingMode.UNNECESSARY);
  }

  /** How many decimals amounts in this currency have (ISO 4217); 2 for a code Java does not know. */
  public static int decimals(String currency) {
    try {
      return Math.max(0, Currency.getInstance(currency).getDefaultFractionDigits());
    } catch (IllegalArgumentException unknownCurrency) {
      return 2;
    }
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper EXACT = new com.fasterxml.jackson.databind.ObjectMapper()
      .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  /** A JSON object read with its numbers as written (10.00 stays 10.00; Vert.x's own reading makes it 10.0). */
  @SuppressWarnings("unchecked")
  public static io.vertx.core.json.JsonObject json(String text) {
    try {
      return new io.vertx.core.json.JsonObject(EXACT.readValue(text, java.util.Map.class));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("not a JSON object: " + e.getOriginalMessage(), e);
    }
  }
}
