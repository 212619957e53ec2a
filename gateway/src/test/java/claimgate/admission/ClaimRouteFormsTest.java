package claimgate.admission;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ClaimRouteFormsTest {

  @Test
  @DisplayName("the claim route takes exactly the campaign IDs the contract's pattern names")
  void campaignIdFormIsThePattern() {
    Pattern pattern = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");
    Random random = new Random(11);
    String alphabet = "abz09-A_. /";
    for (int n = 0; n < 50_000; n++) {
      StringBuilder id = new StringBuilder();
      int length = random.nextInt(44);
      for (int i = 0; i < length; i++) {
        id.append(random.nextInt(4) == 0 ? alphabet.charAt(random.nextInt(alphabet.length())) : (char) ('a' + random.nextInt(26)));
      }
      assertThat(ClaimRoute.campaignIdForm(id.toString())).as(id.toString()).isEqualTo(pattern.matcher(id).matches());
    }
  }
}
