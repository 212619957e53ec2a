package claimgate.rehearsal;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A launch shape from the incidents claimgate is built against: {@code loadtest/profiles/NAME.properties}
 * names the simulation, the campaign file (in {@code loadtest/campaigns}) and the parameters with
 * their documented defaults; {@code ci.}-prefixed keys are the same run scaled down for CI.
 */
record Profile(String name, String description, String simulation, Path campaign, Map<String, String> parameters) {

  static final List<String> NAMES = List.of("city", "restaurants", "airline", "retailer");

  static Profile load(Path loadtest, String name, boolean ci) throws IOException {
    Path file = loadtest.resolve("profiles").resolve(name + ".properties");
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("no profile " + name + " (" + file + "); the profiles are " + String.join(", ", NAMES));
    }
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file)) {
      p.load(in);
    }
    StringBuilder description = new StringBuilder();
    for (String line : Files.readAllLines(file)) {
      if (!line.startsWith("#")) {
        break;
      }
      description.append(description.length() == 0 ? "" : " ").append(line.substring(1).strip());
    }
    Map<String, String> parameters = new LinkedHashMap<>();
    p.stringPropertyNames().stream().sorted()
        .filter(k -> !k.equals("simulation") && !k.equals("campaign") && !k.startsWith("ci."))
        .forEach(k -> parameters.put(k, p.getProperty(k)));
    if (ci) {
      p.stringPropertyNames().stream().filter(k -> k.startsWith("ci."))
          .forEach(k -> parameters.put(k.substring(3), p.getProperty(k)));
    }
    return new Profile(name, description.toString(), p.getProperty("simulation"),
        loadtest.resolve("campaigns").resolve(p.getProperty("campaign")), parameters);
  }
}
