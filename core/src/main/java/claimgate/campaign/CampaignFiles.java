package claimgate.campaign;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads campaign documents (YAML or JSON) and their eligibility lists, and writes them as JSON.
 * Every failure is a {@link CampaignException} with a one-line message naming file and field.
 */
public final class CampaignFiles {

  private static final ObjectMapper YAML = configure(new ObjectMapper(new YAMLFactory()));
  private static final ObjectMapper JSON = configure(new ObjectMapper());

  private CampaignFiles() {}

  private static ObjectMapper configure(ObjectMapper mapper) {
    return mapper.registerModule(new JavaTimeModule())
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
        .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE);
  }

  /** A loaded campaign with its eligibility list (citizenId to tier), empty when it has none. */
  public record Loaded(Campaign campaign, Map<String, Integer> eligible) {}

  public static Loaded load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new CampaignException("cannot read campaign file " + file + ": " + e.getMessage());
    }
    Campaign campaign = parse(text, file.toString(), YAML);
    Campaign.Eligibility e = campaign.eligibility();
    if (e != null && e.file() != null) {
      Path list = resolve(file, e.file());
      return new Loaded(campaign, readEligibility(list, readLines(list, "eligibility file " + list),
          campaign.identityFormat()));
    }
    return new Loaded(campaign.withoutInlineList(), inlineList(campaign, file.toString()));
  }

  /**
   * The document as the public decision log states it: read from its file, without its
   * eligibility list (neither the list's file nor an inline list: who is eligible stays private),
   * so anyone holding the published file can compare it with the log.
   */
  public static io.vertx.core.json.JsonObject published(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new CampaignException("cannot read campaign file " + file + ": " + e.getMessage());
    }
    return published(parse(text, file.toString(), file.toString().endsWith(".json") ? JSON : YAML));
  }

  /** The campaign's document as the public decision log states it: without the eligibility list or its file. */
  public static io.vertx.core.json.JsonObject published(Campaign c) {
    Campaign.Eligibility e = c.eligibility();
    return toJsonObject(e == null ? c : c.withEligibility(new Campaign.Eligibility(null, e.minTier(), null)));
  }

  /**
   * Parses a JSON document such as the admin API receives; its eligibility list, if any, comes
   * inline as {@code eligibility.citizens}, since a server cannot read the sender's files.
   */
  public static Loaded parseJson(String json) {
    Campaign campaign = parse(json, "request body", JSON);
    if (campaign.eligibility() != null && campaign.eligibility().file() != null) {
      throw new CampaignException("request body: eligibility.file cannot be read by the server; "
          + "send the list inline as eligibility.citizens");
    }
    return new Loaded(campaign.withoutInlineList(), inlineList(campaign, "request body"));
  }

  /** The document with its eligibility list inline, as the admin API takes it. */
  public static String toJsonWithList(Loaded loaded) {
    Campaign c = loaded.campaign();
    if (c.eligibility() == null) {
      return toJson(c);
    }
    List<String> citizens = new java.util.ArrayList<>();
    loaded.eligible().forEach((citizen, tier) -> citizens.add(citizen + "," + tier));
    return toJson(c.withEligibility(new Campaign.Eligibility(null, c.eligibility().minTier(), citizens)));
  }

  private static Map<String, Integer> inlineList(Campaign campaign, String source) {
    Campaign.Eligibility e = campaign.eligibility();
    return e == null || e.citizens() == null
        ? Map.of()
        : readEligibility(Path.of(source), e.citizens(), campaign.identityFormat());
  }

  public static Campaign parseJsonUnvalidated(String json) {
    try {
      return JSON.readValue(json, Campaign.class);
    } catch (JsonProcessingException e) {
      throw new CampaignException("stored campaign is unreadable: " + e.getOriginalMessage());
    }
  }

  /** Reads JSON numbers with decimals as BigDecimal, so that 10.00 stays 10.00. */
  private static final ObjectMapper EXACT = JSON.copy().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  /**
   * The document as a Vert.x JSON object whose amounts keep their decimals (one parsed from the
   * document's text would hold 10.00 as the double 10.0 and write it so).
   */
  @SuppressWarnings("unchecked")
  public static io.vertx.core.json.JsonObject toJsonObject(Campaign campaign) {
    return new io.vertx.core.json.JsonObject(EXACT.convertValue(campaign, Map.class));
  }

  public static String toJson(Campaign campaign) {
    try {
      return JSON.writeValueAsString(campaign);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("campaign cannot be written as JSON", e);
    }
  }

  private static Campaign parse(String text, String source, ObjectMapper mapper) {
    try {
      Campaign campaign = mapper.readValue(text, Campaign.class);
      if (campaign == null) {
        throw new CampaignException(source + ": empty campaign document");
      }
      return campaign.validate();
    } catch (UnrecognizedPropertyException e) {
      throw new CampaignException(source + ": unknown field '" + e.getPropertyName() + "' at "
          + path(e));
    } catch (JsonProcessingException e) {
      String at = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
      throw new CampaignException(source + ": " + firstLine(e.getOriginalMessage()) + at);
    } catch (CampaignException e) {
      throw new CampaignException(source + ": " + e.getMessage());
    }
  }

  private static String path(JsonProcessingException e) {
    if (e instanceof com.fasterxml.jackson.databind.JsonMappingException m) {
      return m.getPathReference();
    }
    return "?";
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static Path resolve(Path campaignFile, String other) {
    Path dir = campaignFile.toAbsolutePath().getParent();
    return dir == null ? Path.of(other) : dir.resolve(other);
  }

  private static List<String> readLines(Path file, String what) {
    try {
      return Files.readAllLines(file);
    } catch (IOException e) {
      throw new CampaignException("cannot read " + what + ": " + e.getMessage());
    }
  }

  /**
   * Lines {@code citizenId[,tier]}; blank lines and lines starting with '#' are skipped. A leading
   * byte order mark (a spreadsheet's) is dropped, and every ID is brought to its canonical form as
   * a claim's is; a line whose ID cannot be is refused with its number, so no invisible character
   * silently disables an entry. The same person twice keeps the higher tier.
   */
  static Map<String, Integer> readEligibility(Path file, List<String> lines, CitizenIds.Format format) {
    Map<String, Integer> eligible = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (i == 0 && line.startsWith("\uFEFF")) {
        line = line.substring(1);
      }
      line = line.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split(",", -1);
      int tier;
      try {
        tier = parts.length > 1 ? Integer.parseInt(parts[1].strip()) : 0;
      } catch (NumberFormatException e) {
        throw new CampaignException(file + " line " + (i + 1) + ": tier must be a whole number");
      }
      try {
        eligible.merge(CitizenIds.canonical(parts[0], format), tier, Math::max);
      } catch (CitizenIds.Invalid e) {
        throw new CampaignException(file + " line " + (i + 1) + ": the citizen ID (identity " + format.documentName()
            + ") " + e.getMessage());
      }
    }
    return eligible;
  }
}
