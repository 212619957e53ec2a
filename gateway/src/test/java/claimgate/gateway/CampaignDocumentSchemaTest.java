package claimgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.CampaignException;
import claimgate.campaign.CampaignFiles;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.OpenAPIContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The campaign document's schema in the contract and the campaign files the CLI applies agree:
 * every file the project ships passes both, and a document the schema refuses for its shape is
 * refused by the file reader too.
 */
class CampaignDocumentSchemaTest {

  static Vertx vertx;
  static Validator schema;

  @TempDir Path dir;

  @BeforeAll
  static void load() {
    vertx = Vertx.vertx();
    OpenAPIContract contract = OpenAPIContract.from(vertx, "openapi/claimgate.yaml").await();
    schema = contract.getSchemaRepository().validator(contract.operation("applyCampaign").getRequestBody()
        .getContent().get("application/json").getSchema());
  }

  @AfterAll
  static void close() {
    vertx.close().await();
  }

  static final List<Path> SHIPPED = List.of(Path.of("../deploy/examples/palma-2027.yaml"),
      Path.of("../loadtest/campaigns/city.yaml"), Path.of("../loadtest/campaigns/restaurants.yaml"),
      Path.of("../loadtest/campaigns/airline.yaml"), Path.of("../loadtest/campaigns/retailer.yaml"));

  @Test
  @DisplayName("every campaign file the project ships is valid for the file reader and for the contract's schema")
  void shippedFiles() {
    for (Path file : SHIPPED) {
      CampaignFiles.Loaded loaded = CampaignFiles.load(file);
      OutputUnit verdict = schema.validate(new JsonObject(CampaignFiles.toJsonWithList(loaded)));
      assertThat(verdict.getValid()).as(file + ": " + verdict.getErrors()).isTrue();
    }
  }

  @Test
  @DisplayName("a document of the wrong shape (a field missing, an unknown one, a wrong type, a bad id) is refused by both")
  void wrongShapes() throws Exception {
    JsonObject valid = new JsonObject(CampaignFiles.toJsonWithList(CampaignFiles.load(SHIPPED.get(0))));
    List<UnaryOperator<JsonObject>> breakages = List.of(
        d -> { d.remove("merchants"); return d; },
        d -> d.put("colour", "green"),
        d -> d.put("voucherValue", "ten"),
        d -> d.put("id", "Not An Id"),
        d -> d.put("currency", "euro"),
        d -> d.put("voucherValue", 0),
        d -> { d.getJsonObject("limits").put("perCitizen", "nine"); return d; },
        d -> { d.getJsonArray("merchants").getJsonObject(0).put("contingent", -1); return d; });
    for (UnaryOperator<JsonObject> breakage : breakages) {
      JsonObject broken = breakage.apply(valid.copy());
      assertThat(schema.validate(broken).getValid()).as("schema: " + broken.encode().substring(0, 120)).isFalse();
      Path file = Files.writeString(dir.resolve("broken.json"), broken.encode());
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> CampaignFiles.load(file))
          .as("file reader: " + broken.encode().substring(0, 120)).isInstanceOf(CampaignException.class);
    }
  }
}
