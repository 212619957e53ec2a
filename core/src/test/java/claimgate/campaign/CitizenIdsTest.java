package claimgate.campaign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import claimgate.campaign.CitizenIds.Format;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Invariant 6 starts here: one person is one identity, whatever case, form or invisible character it came in. */
class CitizenIdsTest {

  @Test
  @DisplayName("opaque IDs: case, full-width forms, a byte order mark and surrounding white space all make the same citizen")
  void opaque() throws Exception {
    for (String typed : List.of("12345678Z", "12345678z", "\uFEFF12345678Z", " 12345678Z\n", "\uFF11\uFF12\uFF13\uFF14\uFF15\uFF16\uFF17\uFF18\uFF3A",
        "\t12345678z\r\n")) {
      assertThat(CitizenIds.canonical(typed, Format.OPAQUE)).as(typed).isEqualTo("12345678z");
    }
    assertThat(CitizenIds.canonical("Anna.Smith@Example.org", Format.OPAQUE)).isEqualTo("anna.smith@example.org");
  }

  @Test
  @DisplayName("control, invisible and line-break characters inside an ID, and other characters, are refused")
  void refused() {
    for (String typed : List.of("1234\n5678Z", "1234\u200B5678Z", "12345678Z\u0000x", "ab\u2028cd", "ab\u00ADcd", "a b",
        "", "   ", "x".repeat(65), "caf\u00E9", "a/b")) {
      assertThatThrownBy(() -> CitizenIds.canonical(typed, Format.OPAQUE)).as(typed).isInstanceOf(CitizenIds.Invalid.class);
    }
  }

  @Test
  @DisplayName("dni-nie: dots, dashes, spaces, case and a missing leading zero are forgiven; the check letter is checked")
  void dniNie() throws Exception {
    for (String typed : List.of("12345678Z", "12345678z", "12.345.678-Z", " 12345678 z ", "12345678\u2011Z".replace('\u2011', '-'))) {
      assertThat(CitizenIds.canonical(typed, Format.DNI_NIE)).as(typed).isEqualTo("12345678Z");
    }
    assertThat(CitizenIds.canonical("1234567L", Format.DNI_NIE)).isEqualTo("01234567L");
    assertThat(CitizenIds.canonical("x1234567l", Format.DNI_NIE)).isEqualTo("X1234567L");
    assertThat(CitizenIds.canonical("Y-1234567-X", Format.DNI_NIE)).isEqualTo("Y1234567X");
    assertThat(CitizenIds.canonical("z1234567r", Format.DNI_NIE)).isEqualTo("Z1234567R");
    for (String typed : List.of("12345678A", "X1234567A", "1234567", "123456789Z", "W1234567L", "12345678")) {
      assertThatThrownBy(() -> CitizenIds.canonical(typed, Format.DNI_NIE)).as(typed).isInstanceOf(CitizenIds.Invalid.class);
    }
  }

  @Test
  @DisplayName("email: case and full-width forms fold; an address without @ or a dotted domain is refused")
  void email() throws Exception {
    assertThat(CitizenIds.canonical("Anna@Example.ORG", Format.EMAIL)).isEqualTo("anna@example.org");
    assertThat(CitizenIds.canonical("\uFF41\uFF4E\uFF4E\uFF41\uFF20\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45\uFF0E\uFF4F\uFF52\uFF47",
        Format.EMAIL)).isEqualTo("anna@example.org");
    for (String typed : List.of("anna", "anna@example", "a@b@example.org", "an na@example.org")) {
      assertThatThrownBy(() -> CitizenIds.canonical(typed, Format.EMAIL)).as(typed).isInstanceOf(CitizenIds.Invalid.class);
    }
  }

  @Test
  @DisplayName("a campaign names one of the formats")
  void formats() {
    assertThat(Format.named("dni-nie")).isEqualTo(Format.DNI_NIE);
    assertThatThrownBy(() -> Format.named("passport")).isInstanceOf(CampaignException.class).hasMessageContaining("passport");
  }

  @Test
  @DisplayName("the printable-ASCII shortcut gives every ID the answer the full path gives: NFKC, strip, the opaque form")
  void asciiShortcutAgreesWithTheFullPath() {
    java.util.Random random = new java.util.Random(7);
    java.util.regex.Pattern opaque = java.util.regex.Pattern.compile("[a-z0-9._@:+-]{1," + CitizenIds.MAX_CHARS + "}");
    String alphabet = " \t.-_@:+/AbZz09~\\\"\u00e9\u212a\u00a0";
    for (int n = 0; n < 20_000; n++) {
      StringBuilder id = new StringBuilder();
      int length = random.nextInt(70);
      for (int i = 0; i < length; i++) {
        id.append(random.nextInt(3) == 0 ? alphabet.charAt(random.nextInt(alphabet.length()))
            : (char) ('a' + random.nextInt(26)));
      }
      String raw = id.toString();
      String normalized = java.text.Normalizer.normalize(raw, java.text.Normalizer.Form.NFKC).strip();
      boolean control = normalized.chars().anyMatch(c -> Character.getType(c) == Character.CONTROL);
      String folded = normalized.toLowerCase(java.util.Locale.ROOT);
      String expected = !control && opaque.matcher(folded).matches() ? folded : null;
      String actual;
      try {
        actual = CitizenIds.canonical(raw, Format.OPAQUE);
      } catch (CitizenIds.Invalid e) {
        actual = null;
      }
      assertThat(actual).as("canonical(%s)", raw).isEqualTo(expected);
    }
  }

  @Test
  @DisplayName("DEL and other control characters are refused in every format, the shortcut included; a leading BOM is dropped")
  void controlCharactersInEveryFormat() throws CitizenIds.Invalid {
    for (Format format : Format.values()) {
      for (String bad : List.of("ana\u007f@example.org", "ana\u001f@example.org", "1234567\u007fZ", "\u007f12345678Z")) {
        assertThatThrownBy(() -> CitizenIds.canonical(bad, format)).as("%s in %s", bad, format)
            .isInstanceOf(CitizenIds.Invalid.class);
      }
    }
    assertThat(CitizenIds.canonical("\uFEFFAna@Example.org", Format.EMAIL))
        .isEqualTo(CitizenIds.canonical("Ana@Example.org", Format.EMAIL));
    assertThat(CitizenIds.canonical("\uFEFF12345678z", Format.DNI_NIE)).isEqualTo(CitizenIds.canonical("12345678Z", Format.DNI_NIE));
  }
}
