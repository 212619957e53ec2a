package claimgate.campaign;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FormatsTest {

  @Test
  @DisplayName("amounts carry their currency's decimals; instants are UTC with milliseconds, whatever their offset")
  void oneFormat() {
    assertThat(Formats.money(new BigDecimal("10.0"), "EUR").toPlainString()).isEqualTo("10.00");
    assertThat(Formats.money(new BigDecimal("10"), "EUR").toPlainString()).isEqualTo("10.00");
    assertThat(Formats.money(new BigDecimal("500"), "JPY").toPlainString()).isEqualTo("500");
    assertThat(Formats.money(new BigDecimal("10.125"), "EUR").toPlainString()).as("never rounded").isEqualTo("10.125");
    assertThat(Formats.instant(Instant.parse("2027-04-12T08:00:00Z"))).isEqualTo("2027-04-12T08:00:00.000Z");
    assertThat(Formats.instant(OffsetDateTime.parse("2027-04-12T10:00:00.5+02:00"))).isEqualTo("2027-04-12T08:00:00.500Z");
    assertThat(Formats.epochMs(1)).isEqualTo("1970-01-01T00:00:00.001Z");
  }
}
