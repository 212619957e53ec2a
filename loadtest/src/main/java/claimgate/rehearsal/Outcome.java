package claimgate.rehearsal;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a rehearsal (or a merge of several injectors' runs) ends with, written beside Gatling's
 * HTML report for a pipeline to read: {@code summary.json} (requests, failures by status,
 * percentiles, Gatling's assertions, the invariant check) and {@code junit.xml} (one test per
 * assertion and one for the invariants), so that a CI server shows the rehearsal as a test.
 */
record Outcome(String name, JsonObject context, RunFigures figures, List<Assertion> assertions, Invariants invariants,
    int gatlingExit, Path report) {

  /**
   * The assertions a rehearsal adds to Gatling's: that its campaign admitted claims at all (a run
   * in which every citizen was turned away must not pass), and, for a merge, that every injector
   * passed.
   */
  static Assertion admitted(JsonObject stats) {
    long admitted = stats == null ? -1 : stats.getLong("admitted", -1L);
    return new Assertion("the rehearsal campaign admitted claims", admitted > 0, admitted < 0 ? "unknown" : Long.toString(admitted));
  }

  /** One of Gatling's assertions as its run printed it: "Global: count of failed events is 0 : true (actual : 0)". */
  record Assertion(String description, boolean passed, String actual) {

    private static final Pattern LINE = Pattern.compile("^(.+?) : (true|false) \\((?:actual : )?(.*)\\)$");

    static List<Assertion> fromOutput(List<String> lines) {
      List<Assertion> found = new ArrayList<>();
      for (String line : lines) {
        Matcher m = LINE.matcher(line.strip());
        if (m.matches()) {
          found.add(new Assertion(m.group(1), Boolean.parseBoolean(m.group(2)), m.group(3)));
        }
      }
      return found;
    }

    JsonObject json() {
      return new JsonObject().put("description", description).put("passed", passed).put("actual", actual);
    }
  }

  /** The invariant check's verdict: sound, or its breaches (none checked: {@code checked} false). */
  record Invariants(boolean checked, List<String> breaches) {
    boolean sound() {
      return checked && breaches.isEmpty();
    }

    JsonObject json() {
      return new JsonObject().put("checked", checked).put("sound", sound()).put("breaches", new JsonArray(breaches));
    }

    static Invariants fromJson(JsonObject json) {
      List<String> breaches = new ArrayList<>();
      json.getJsonArray("breaches", new JsonArray()).forEach(b -> breaches.add(b.toString()));
      return new Invariants(json.getBoolean("checked", false), breaches);
    }
  }

  boolean passed() {
    return gatlingExit == 0 && !assertions.isEmpty() && assertions.stream().allMatch(Assertion::passed)
        && invariants.sound();
  }

  JsonObject json() {
    JsonArray asserted = new JsonArray();
    assertions.forEach(a -> asserted.add(a.json()));
    return new JsonObject().put("name", name).put("passed", passed()).mergeIn(context)
        .put("requests", figures.json()).put("assertions", asserted).put("invariants", invariants.json())
        .put("gatlingExit", gatlingExit).put("report", report == null ? null : report.toString());
  }

  /** Writes summary.json and junit.xml into the directory. */
  void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("summary.json"), json().encodePrettily() + "\n");
    Files.writeString(dir.resolve("junit.xml"), junit());
  }

  String junit() {
    StringBuilder cases = new StringBuilder();
    int failures = 0;
    for (Assertion a : assertions) {
      cases.append("    <testcase classname=\"").append(xml(name)).append(".assertions\" name=\"").append(xml(a.description()))
          .append("\">");
      if (!a.passed()) {
        failures++;
        cases.append("<failure message=\"actual: ").append(xml(a.actual())).append("\"/>");
      }
      cases.append("</testcase>\n");
    }
    if (assertions.isEmpty()) {
      failures++;
      cases.append("    <testcase classname=\"").append(xml(name)).append(".assertions\" name=\"Gatling ran and asserted\">")
          .append("<failure message=\"no assertion result (Gatling exit ").append(gatlingExit).append(")\"/></testcase>\n");
    }
    cases.append("    <testcase classname=\"").append(xml(name)).append(".invariants\" name=\"every invariant holds\">");
    if (!invariants.sound()) {
      failures++;
      String what = invariants.checked() ? String.join("\n", invariants.breaches()) : "the invariant check did not run";
      cases.append("<failure message=\"").append(xml(invariants.checked() ? invariants.breaches().size() + " breaches" : what))
          .append("\">").append(xml(what)).append("</failure>");
    }
    cases.append("</testcase>\n");
    int tests = Math.max(1, assertions.size()) + 1;
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"" + xml(name) + "\" tests=\""
        + tests + "\" failures=\"" + failures + "\" errors=\"0\">\n" + cases + "  </testsuite>\n</testsuites>\n";
  }

  private static String xml(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
