package claimgate.redemption;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;

/**
 * The body of a redemption at the till, read with Jackson's streaming parser straight into a
 * record: strict JSON (a key given twice, trailing content or invalid UTF-8 is malformed) and
 * exactly the contract's schema for {@code redeem}, with the gateway's rule that no text holds a
 * NUL character ({@code LeanBodyContractTest} holds the two to the same verdict).
 *
 * <pre>
 *   RedeemBody body = RedeemBody.parse(bytes);   // throws IllegalArgumentException naming the field
 * </pre>
 */
public record RedeemBody(String code) {

  private static final int MAX_CODE_CHARS = 64;

  private static final JsonFactory JSON = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();

  /** @throws IllegalArgumentException when the body breaks the contract; the message says where */
  public static RedeemBody parse(byte[] bytes) {
    try (JsonParser p = JSON.createParser(bytes)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("body: must be a JSON object");
      }
      String code = null;
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (!field.equals("code")) {
          throw new IllegalArgumentException("body: field " + printable(field) + " is not allowed");
        }
        if (value != JsonToken.VALUE_STRING) {
          throw new IllegalArgumentException("code: must be a string");
        }
        code = p.getText();
      }
      if (p.nextToken() != null) {
        throw new IllegalArgumentException("body is not valid JSON: content after the object");
      }
      if (code == null) {
        throw new IllegalArgumentException("body: code is required");
      }
      // the contract counts characters as JSON Schema does: code points
      int length = code.codePointCount(0, code.length());
      if (length < 1 || length > MAX_CODE_CHARS) {
        throw new IllegalArgumentException("code: must be 1 to " + MAX_CODE_CHARS + " characters");
      }
      if (code.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("code contains a NUL character");
      }
      return new RedeemBody(code);
    } catch (IOException e) {
      throw new IllegalArgumentException("body is not valid JSON" + (e.getMessage() != null
          && e.getMessage().startsWith("Duplicate field") ? ": a field is given twice" : ""), e);
    }
  }

  private static String printable(String field) {
    return field.length() > 40 || !field.chars().allMatch(c -> c >= 0x20 && c < 0x7f) ? "(unnamed)" : field;
  }
}
