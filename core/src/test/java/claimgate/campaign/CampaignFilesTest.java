package claimgate.campaign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad configuration stops start-up with one line naming the problem. */
class CampaignFilesTest {

  @TempDir Path dir;

  static final String VALID = """
      id: town-2027
      name: Town vouchers
      currency: EUR
      voucherValue: 10.00
      validDays: 30
      limits: {perCitizen: 9, perCitizenPerMerchant: 3}
      admission: {ratePerSecond: 5000, burst: 20000, maxPendingPerCitizen: 3}
      rounds:
        - {opensAt: 2027-04-12T10:00:00+02:00, closesAt: 2027-04-12T22:00:00+02:00, release: 0.34}
        - {opensAt: 2027-04-19T10:00:00+02:00, closesAt: 2027-04-19T22:00:00+02:00, release: 0.33}
        - {opensAt: 2027-04-26T10:00:00+02:00, closesAt: 2027-04-26T22:00:00+02:00, release: 0.33}
      merchants:
        - {id: m001, name: Forn des Teatre, contingent: 300}
        - {id: m002, name: Llibreria, contingent: 7}
      """;

  Path write(String text) throws IOException {
    Path file = dir.resolve("campaign.yaml");
    Files.writeString(file, text);
    return file;
  }

  @Test
  @DisplayName("a valid file loads, and rounds release cumulative integer shares")
  void loadsValid() throws IOException {
    Campaign c = CampaignFiles.load(write(VALID)).campaign();
    assertThat(c.merchants()).hasSize(2);
    long firstOpens = c.rounds().get(0).opensAtMs();
    assertThat(c.releasedBp(firstOpens - 1)).isZero();
    assertThat(c.releasedBp(firstOpens)).isEqualTo(3400);
    assertThat(Campaign.released(300, c.releasedBp(firstOpens))).isEqualTo(102);
    assertThat(Campaign.released(7, c.releasedBp(firstOpens))).isEqualTo(2);
    long last = c.rounds().get(2).opensAtMs();
    assertThat(Campaign.released(7, c.releasedBp(last))).isEqualTo(7);
    assertThat(c.codePrefix()).isEqualTo("TOWN2");
  }

  @Test
  @DisplayName("amounts: written with the currency's decimals (10 EUR is 10.00, 1000.0 JPY is 1000, 2.5 KWD is 2.500); "
      + "more decimals than the currency has, an unknown currency or an amount past the column are refused")
  void amounts() throws IOException {
    assertThat(CampaignFiles.toJson(CampaignFiles.load(write(VALID.replace("voucherValue: 10.00", "voucherValue: 10")))
        .campaign())).contains("\"voucherValue\":10.00");
    assertThat(CampaignFiles.toJson(CampaignFiles.load(write(VALID.replace("currency: EUR", "currency: JPY")
        .replace("voucherValue: 10.00", "voucherValue: 1000.0"))).campaign())).contains("\"voucherValue\":1000,");
    assertThat(CampaignFiles.toJsonObject(CampaignFiles.load(write(VALID.replace("currency: EUR", "currency: KWD")
        .replace("voucherValue: 10.00", "voucherValue: 2.5"))).campaign()).encode()).contains("\"voucherValue\":2.500");
    Path tooFine = write(VALID.replace("voucherValue: 10.00", "voucherValue: 10.005"));
    assertThatThrownBy(() -> CampaignFiles.load(tooFine)).hasMessageContaining("more decimals than EUR has (2)");
    Path unknown = write(VALID.replace("currency: EUR", "currency: EUX"));
    assertThatThrownBy(() -> CampaignFiles.load(unknown)).hasMessageContaining("ISO 4217");
    Path huge = write(VALID.replace("voucherValue: 10.00", "voucherValue: 1000000000"));
    assertThatThrownBy(() -> CampaignFiles.load(huge)).hasMessageContaining("below");
  }

  @Test
  @DisplayName("a negative contingent is named with its merchant index")
  void negativeContingent() throws IOException {
    Path file = write(VALID.replace("contingent: 7", "contingent: -5"));
    assertThatThrownBy(() -> CampaignFiles.load(file))
        .isInstanceOf(CampaignException.class)
        .hasMessageContaining("merchants[1].contingent must be >= 0")
        .message().doesNotContain("\n");
  }

  @Test
  @DisplayName("an unknown field is named")
  void unknownField() throws IOException {
    Path file = write(VALID.replace("validDays: 30", "validDays: 30\ncolour: blue"));
    assertThatThrownBy(() -> CampaignFiles.load(file))
        .isInstanceOf(CampaignException.class)
        .hasMessageContaining("unknown field 'colour'")
        .message().doesNotContain("\n");
  }

  @Test
  @DisplayName("unparseable YAML gives one line with the line number")
  void unparseable() throws IOException {
    Path file = write("id: [unclosed\nname: x\n");
    assertThatThrownBy(() -> CampaignFiles.load(file))
        .isInstanceOf(CampaignException.class)
        .hasMessageContaining("campaign.yaml")
        .message().doesNotContain("\n");
  }

  @Test
  @DisplayName("overlapping rounds and missing merchants are refused")
  void rounds() throws IOException {
    Path overlapping = write(VALID.replace("2027-04-19T10:00", "2027-04-12T11:00"));
    assertThatThrownBy(() -> CampaignFiles.load(overlapping)).hasMessageContaining("rounds[1]");
    Path duplicate = write(VALID.replace("id: m002", "id: m001"));
    assertThatThrownBy(() -> CampaignFiles.load(duplicate)).hasMessageContaining("appears twice");
  }

  @Test
  @DisplayName("the eligibility list is read relative to the campaign file")
  void eligibility() throws IOException {
    Files.writeString(dir.resolve("eligible.csv"), "# citizens\nc1,2\nc2\n\n");
    Path file = write(VALID.replace("validDays: 30", "validDays: 30\neligibility: {file: eligible.csv, minTier: 1}"));
    CampaignFiles.Loaded loaded = CampaignFiles.load(file);
    assertThat(loaded.eligible()).containsEntry("c1", 2).containsEntry("c2", 0).hasSize(2);
  }

  @Test
  @DisplayName("a list saved by a spreadsheet (byte order mark, other case, spaces) reads as canonical IDs; a line that cannot be is refused with its number")
  void eligibilityCanonical() throws IOException {
    Files.writeString(dir.resolve("eligible.csv"), "\uFEFF12345678z,1\n 12.345.678-Z ,2\nX1234567L\n");
    Path file = write(VALID.replace("validDays: 30",
        "validDays: 30\nidentity: {format: dni-nie}\neligibility: {file: eligible.csv, minTier: 1}"));
    CampaignFiles.Loaded loaded = CampaignFiles.load(file);
    assertThat(loaded.eligible()).containsEntry("12345678Z", 2).containsEntry("X1234567L", 0).hasSize(2);
    Files.writeString(dir.resolve("eligible.csv"), "12345678Z\n12345678A\n");
    assertThatThrownBy(() -> CampaignFiles.load(file)).isInstanceOf(CampaignException.class)
        .hasMessageContaining("line 2").hasMessageContaining("check letter");
    Files.writeString(dir.resolve("eligible.csv"), "anna\nbo\u200Bb\n");
    Path opaque = write(VALID.replace("validDays: 30", "validDays: 30\neligibility: {file: eligible.csv}"));
    assertThatThrownBy(() -> CampaignFiles.load(opaque)).isInstanceOf(CampaignException.class).hasMessageContaining("line 2");
    assertThatThrownBy(() -> CampaignFiles.load(write(VALID.replace("validDays: 30",
        "validDays: 30\nidentity: {format: passport}")))).isInstanceOf(CampaignException.class)
        .hasMessageContaining("identity.format");
  }

  @Test
  @DisplayName("round shares are summed and rounded once: three rounds of a third release all 202 vouchers; shares that do not add up to 1 are refused naming the sum")
  void roundSharesRoundedOnce() throws IOException {
    Campaign thirds = CampaignFiles.load(write(VALID.replace("release: 0.34", "release: 0.3333333")
        .replace("release: 0.33", "release: 0.3333333"))).campaign();
    assertThat(thirds.cumulativeReleaseBp()).containsExactly(3333, 6667, 10000);
    long last = thirds.rounds().get(2).opensAtMs();
    assertThat(Campaign.released(202, thirds.releasedBp(last))).isEqualTo(202);
    assertThat(Campaign.released(202, thirds.releasedBp(thirds.rounds().get(1).opensAtMs()))).isEqualTo(134);
    assertThat(claimgate.redis.CampaignRedis.roundsSpec(thirds)).as("the admission script is told the same shares")
        .endsWith(":10000;").contains(":6667;");
    for (String shares : java.util.List.of("0.5|0.2|0.2", "0.5|0.5|0.5")) {
      String[] s = shares.split("\\|");
      String doc = VALID.replaceFirst("release: 0.34", "release: " + s[0]).replaceFirst("release: 0.33", "release: " + s[1])
          .replaceFirst("release: 0.33", "release: " + s[2]);
      assertThatThrownBy(() -> CampaignFiles.load(write(doc))).as(shares).isInstanceOf(CampaignException.class)
          .hasMessageContaining("add up to").hasMessageContaining("not 1");
    }
  }
}
