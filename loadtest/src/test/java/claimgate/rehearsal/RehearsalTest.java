package claimgate.rehearsal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignFiles;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/** The profiles, the rehearsal campaign made from a profile's file, and the results a pipeline reads. */
class RehearsalTest {

  static final Path LOADTEST = Path.of("").toAbsolutePath();

  @Test
  @DisplayName("every profile names an existing simulation and a valid campaign file; --ci scales it down")
  void profiles() throws Exception {
    for (String name : Profile.NAMES) {
      Profile p = Profile.load(LOADTEST, name, false);
      assertThat(p.description()).as(name).isNotBlank();
      assertThat(LOADTEST.resolve("gatling/src/test/java/claimgate/simulation/" + p.simulation() + ".java")).as(name).exists();
      assertThat(CampaignFiles.load(p.campaign()).campaign().merchants()).as(name).isNotEmpty();
      assertThat(p.parameters()).as(name).containsKey("p99Ms").containsKey("seconds");
      Profile ci = Profile.load(LOADTEST, name, true);
      String size = p.parameters().containsKey("users") ? "users" : "vouchers";
      assertThat(Integer.parseInt(ci.parameters().get(size))).as(name).isLessThan(Integer.parseInt(p.parameters().get(size)));
    }
    assertThat(Profile.load(LOADTEST, "city", false).parameters()).containsEntry("users", "50000").containsEntry("seconds", "60");
    assertThatThrownBy(() -> Profile.load(LOADTEST, "stadium", false)).hasMessageContaining("city, restaurants, airline, retailer");
  }

  @Test
  @DisplayName("the rehearsal campaign: the id suffixed (40 characters at most), every round moved so the first opens at the start, the list inline")
  void campaign() throws Exception {
    Path airline = LOADTEST.resolve("campaigns/airline.yaml");
    Instant opens = Instant.parse("2030-01-01T10:00:00Z");
    Campaign c = CampaignFiles.parseJson(RehearsalCampaign.document(airline, "r12345", opens)).campaign();
    assertThat(c.id()).isEqualTo("airline-r12345");
    assertThat(c.rounds().get(0).opensAt().toInstant()).isEqualTo(opens);
    assertThat(CampaignFiles.parseJson(RehearsalCampaign.document(airline, "r12345", opens)).eligible()).hasSize(5_000);

    Path city = LOADTEST.resolve("campaigns/city.yaml");
    Campaign original = CampaignFiles.load(city).campaign();
    Campaign moved = CampaignFiles.parseJson(RehearsalCampaign.document(city, "r1", opens)).campaign();
    for (int i = 0; i < original.rounds().size(); i++) {
      Duration was = Duration.between(original.rounds().get(0).opensAt(), original.rounds().get(i).closesAt());
      assertThat(Duration.between(moved.rounds().get(0).opensAt(), moved.rounds().get(i).closesAt())).isEqualTo(was);
    }
    assertThat(RehearsalCampaign.id(city, "twenty-characters-xx")).isEqualTo("city-twenty-characters-xx");
    assertThatThrownBy(() -> RehearsalCampaign.id(city, "twenty-one-characters")).hasMessageContaining("at most 20");
    assertThatThrownBy(() -> RehearsalCampaign.id(city, "Upper")).hasMessageContaining("lower-case");
    Path longName = Files.writeString(Files.createTempFile("campaign", ".yaml"), Files.readString(city)
        .replace("id: city", "id: a-campaign-whose-id-is-thirty-six-chars"));
    assertThat(RehearsalCampaign.id(longName, "twenty-characters-xx")).hasSize(40).endsWith("-twenty-characters-xx");
  }

  @Test
  @DisplayName("summary.json and junit.xml: assertions as Gatling printed them, the invariants, and a failure for each breach")
  void results(@TempDir Path dir) throws Exception {
    List<Outcome.Assertion> asserted = Outcome.Assertion.fromOutput(List.of(
        "Reports generated, please open the following file: file:///x/index.html",
        "Global: count of failed events is 0.0 : true (actual : 0.0)",
        "Global: 99th percentile of response time is less than 2000.0 : false (actual : 2710.0)"));
    assertThat(asserted).extracting(Outcome.Assertion::passed).containsExactly(true, false);
    assertThat(asserted.get(1).actual()).isEqualTo("2710.0");

    RunFigures figures = RunFigures.of(List.of(new SimulationLog.Request("claim", 0, 10, true, "")));
    Outcome breached = new Outcome("rehearsal city", new JsonObject().put("profile", "city"), figures, asserted,
        new Outcome.Invariants(true, List.of("invariant 1: merchant m001 issued 3 of 2 released")), 0, null);
    breached.write(dir);
    JsonObject summary = new JsonObject(Files.readString(dir.resolve("summary.json")));
    assertThat(summary.getBoolean("passed")).isFalse();
    assertThat(summary.getJsonObject("requests").getLong("total")).isEqualTo(1);
    assertThat(summary.getJsonObject("invariants").getJsonArray("breaches")).hasSize(1);
    Document junit = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(dir.resolve("junit.xml").toFile());
    assertThat(junit.getElementsByTagName("testcase").getLength()).isEqualTo(3);
    assertThat(junit.getElementsByTagName("failure").getLength()).isEqualTo(2);

    Outcome sound = new Outcome("rehearsal city", new JsonObject(), figures, List.of(asserted.get(0)),
        new Outcome.Invariants(true, List.of()), 0, null);
    assertThat(sound.passed()).isTrue();
    assertThat(new Outcome("x", new JsonObject(), figures, List.of(), new Outcome.Invariants(true, List.of()), 0, null).passed())
        .as("no assertion printed: Gatling did not finish").isFalse();
    assertThat(new Outcome("x", new JsonObject(), figures, List.of(asserted.get(0)), new Outcome.Invariants(false, List.of()), 0, null)
        .passed()).as("invariants not checked").isFalse();
    // a campaign that admitted nothing (every citizen turned away), or whose numbers were not read, fails
    assertThat(Outcome.admitted(new JsonObject().put("admitted", 0)).passed()).isFalse();
    assertThat(Outcome.admitted(null).passed()).isFalse();
    assertThat(Outcome.admitted(new JsonObject().put("admitted", 1_834)).actual()).isEqualTo("1834");
  }
}
