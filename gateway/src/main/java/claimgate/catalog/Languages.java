package claimgate.catalog;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The languages of the citizens' page: one file per language, {@code webroot/i18n/<code>.json}
 * (its name in itself, the rules' sentences, the page's texts), read once per process. The page
 * reads the same files; adding a language is adding one file.
 */
public final class Languages {

  public static final String FALLBACK = "en";
  private static final String DIR = "webroot/i18n";

  private final Map<String, JsonObject> byCode;

  private Languages(Map<String, JsonObject> byCode) {
    if (!byCode.containsKey(FALLBACK)) {
      throw new IllegalStateException(DIR + "/" + FALLBACK + ".json is missing");
    }
    this.byCode = Map.copyOf(byCode);
  }

  /** Reads every language file on the classpath (blocking: call it once, before the event loops run). */
  public static Languages load() {
    URL dir = Languages.class.getClassLoader().getResource(DIR);
    if (dir == null) {
      throw new IllegalStateException(DIR + " is not on the classpath");
    }
    Map<String, JsonObject> found = new TreeMap<>();
    try {
      URI uri = dir.toURI();
      if ("jar".equals(uri.getScheme())) {
        FileSystem jar;
        try {
          jar = FileSystems.newFileSystem(uri, Map.of());
        } catch (FileSystemAlreadyExistsException open) {
          jar = FileSystems.getFileSystem(uri);
        }
        read(jar.getPath(DIR), found);
      } else {
        read(Path.of(uri), found);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + DIR, e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    return new Languages(found);
  }

  private static void read(Path dir, Map<String, JsonObject> found) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.getFileName().toString().matches("[a-z]{2}\\.json")).toList()) {
        try (InputStream in = Files.newInputStream(file)) {
          String code = file.getFileName().toString().substring(0, 2);
          found.put(code, new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        }
      }
    }
  }

  public List<String> codes() {
    return List.copyOf(new TreeMap<>(byCode).keySet());
  }

  /** Every language as {code, name}, the name in the language itself, for a page's switcher. */
  public io.vertx.core.json.JsonArray list() {
    io.vertx.core.json.JsonArray list = new io.vertx.core.json.JsonArray();
    new TreeMap<>(byCode).forEach((code, file) -> list.add(new JsonObject().put("code", code).put("name", file.getString("name"))));
    return list;
  }

  /**
   * The language to answer in: the one asked for by name when this installation has it, else the
   * best of the {@code Accept-Language} header's, else English.
   */
  public String choose(String asked, String acceptLanguage) {
    if (asked != null && byCode.containsKey(asked)) {
      return asked;
    }
    if (acceptLanguage != null && !acceptLanguage.isBlank()) {
      try {
        String best = Locale.lookupTag(Locale.LanguageRange.parse(acceptLanguage), byCode.keySet());
        if (best != null) {
          return best;
        }
      } catch (IllegalArgumentException malformed) {
        // a header that is not a language list: the fallback
      }
    }
    return FALLBACK;
  }

  /** A sentence of the rules in {@code language}, with its placeholders filled. */
  public String rule(String language, String key, Map<String, String> values) {
    String template = byCode.get(language).getJsonObject("rules").getString(key);
    if (template == null) {
      template = byCode.get(FALLBACK).getJsonObject("rules").getString(key);
    }
    for (Map.Entry<String, String> value : values.entrySet()) {
      template = template.replace("{" + value.getKey() + "}", value.getValue());
    }
    return template;
  }
}
