package claimgate.web;

import io.vertx.core.http.HttpServerRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/** Bearer credentials: reading them from a request, hashing and comparing them in constant time. */
public final class Bearer {

  private static final int MAX_TOKEN_CHARS = 2048;

  private Bearer() {}

  /** The token of a single {@code Authorization: Bearer ...} header; empty when absent, doubled or malformed. */
  public static Optional<String> of(HttpServerRequest request) {
    List<String> headers = request.headers().getAll("Authorization");
    if (headers.size() != 1) {
      return Optional.empty();
    }
    String value = headers.get(0);
    if (value.length() < 8 || value.length() > MAX_TOKEN_CHARS || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Optional.empty();
    }
    String token = value.substring(7).strip();
    return token.isEmpty() ? Optional.empty() : Optional.of(token);
  }

  /** SHA-256 of a secret, hex: what is stored and compared instead of the secret. */
  public static String hash(String secret) {
    return HexFormat.of().formatHex(sha256(secret));
  }

  /** Constant-time comparison of a presented secret with the expected one. */
  public static boolean matches(String presented, String expected) {
    return MessageDigest.isEqual(sha256(presented), sha256(expected));
  }

  private static byte[] sha256(String secret) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
