package claimgate.admission;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The claim body, read with Jackson's streaming parser straight into a record: strict JSON (a
 * key given twice, trailing content or invalid UTF-8 is malformed) and exactly the contract's
 * schema for {@code admitClaim} ({@code ClaimBodyContractTest} runs generated bodies through
 * this parser and the contract's own JSON-Schema validator and requires the same verdict).
 *
 * <pre>
 *   ClaimBody body = ClaimBody.parse(bytes);   // throws ClaimBody.Invalid naming the field
 * </pre>
 */
public record ClaimBody(String citizenId, List<String> merchantIds) {

  public static final int MAX_CITIZEN_ID_CHARS = 64;
  public static final int MAX_MERCHANTS = 5;
  private static final int MAX_MERCHANT_ID_CHARS = 40;

  private static final JsonFactory JSON = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();

  /** The body breaks the contract; the message names the field. */
  public static final class Invalid extends Exception {
    Invalid(String message) {
      super(message, null, false, false);
    }
  }

  public static ClaimBody parse(byte[] bytes) throws Invalid {
    try (JsonParser p = JSON.createParser(bytes)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new Invalid("body: must be a JSON object");
      }
      String citizenId = null;
      List<String> merchantIds = null;
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        switch (field) {
          case "citizenId" -> citizenId = citizenId(p, value);
          case "merchantIds" -> merchantIds = merchantIds(p, value);
          default -> throw new Invalid("body: field " + printable(field) + " is not allowed");
        }
      }
      if (p.nextToken() != null) {
        throw new Invalid("body is not valid JSON: content after the object");
      }
      if (merchantIds == null) {
        throw new Invalid("body: merchantIds is required");
      }
      return new ClaimBody(citizenId, merchantIds);
    } catch (IOException e) {
      throw new Invalid("body is not valid JSON" + (e.getMessage() != null && e.getMessage().startsWith("Duplicate field")
          ? ": a field is given twice" : ""));
    }
  }

  private static String citizenId(JsonParser p, JsonToken value) throws IOException, Invalid {
    if (value != JsonToken.VALUE_STRING) {
      throw new Invalid("citizenId: must be a string");
    }
    String id = p.getText();
    if (id.isEmpty() || id.length() > MAX_CITIZEN_ID_CHARS) {
      throw new Invalid("citizenId: must be 1 to " + MAX_CITIZEN_ID_CHARS + " characters");
    }
    if (!only(id, "._@:+-")) {
      throw new Invalid("citizenId: letters, digits and . _ @ : + - only");
    }
    return id;
  }

  private static List<String> merchantIds(JsonParser p, JsonToken value) throws IOException, Invalid {
    if (value != JsonToken.START_ARRAY) {
      throw new Invalid("merchantIds: must be an array");
    }
    List<String> ids = new ArrayList<>(MAX_MERCHANTS);
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t != JsonToken.VALUE_STRING) {
        throw new Invalid("merchantIds." + ids.size() + ": must be a string");
      }
      String id = p.getText();
      if (id.isEmpty() || id.length() > MAX_MERCHANT_ID_CHARS || !only(id, "_-")) {
        throw new Invalid("merchantIds." + ids.size() + ": 1 to " + MAX_MERCHANT_ID_CHARS
            + " letters, digits, '_' or '-'");
      }
      if (ids.contains(id)) {
        throw new Invalid("merchantIds: " + id + " is chosen twice");
      }
      if (ids.size() == MAX_MERCHANTS) {
        throw new Invalid("merchantIds: at most " + MAX_MERCHANTS + " merchants");
      }
      ids.add(id);
    }
    if (ids.isEmpty()) {
      throw new Invalid("merchantIds: choose at least one merchant");
    }
    return ids;
  }

  /** True when every character is an ASCII letter or digit or one of {@code others}: the contract's patterns. */
  private static boolean only(String s, String others) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || others.indexOf(c) >= 0)) {
        return false;
      }
    }
    return true;
  }

  private static String printable(String field) {
    return field.length() > 40 || !field.chars().allMatch(c -> c >= 0x20 && c < 0x7f) ? "(unnamed)" : field;
  }
}
