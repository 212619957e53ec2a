package claimgate.cli;

import claimgate.config.ConfigException;
import claimgate.settings.Settings;
import claimgate.store.EmbeddedServers;
import claimgate.voucher.VoucherCodes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Optional;

/**
 * What a process keeps in, or reads from, its data dir and settings: the operator token and the
 * voucher-code keys (generated once for the demo, readable by the owner only), the citizens'
 * JWT key, and where a running demo's embedded servers listen.
 */
final class DataDir {

  private DataDir() {}

  /**
   * The admin API's token: {@code CLAIMGATE_OPERATOR_TOKEN}; with embedded servers (the demo),
   * generated once and kept in the data dir, where the CLI finds it. A gateway against external
   * servers must be given one, so that every gateway of an installation shares it.
   */
  static String operatorToken(Settings settings, boolean local) {
    if (settings.credentials().operatorToken().isPresent()) {
      return settings.credentials().operatorToken().get();
    }
    if (!local) {
      throw new ConfigException("set CLAIMGATE_OPERATOR_TOKEN: every gateway of an installation needs the same one");
    }
    Path tokenFile = settings.stores().dataDir().resolve(OPERATOR_TOKEN_FILE);
    try {
      if (!Files.exists(tokenFile)) {
        Files.createDirectories(settings.stores().dataDir());
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        Files.writeString(tokenFile, "cgo_" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
        ownerOnly(tokenFile);
      }
      return Files.readString(tokenFile).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep the operator token in " + tokenFile, e);
    }
  }

  static final String OPERATOR_TOKEN_FILE = "operator-token";
  static final String SERVERS_FILE = "servers";

  /** Where the demo's embedded servers listen, for the operator commands that read the stores ({@code check}). */
  static void writeDemoServers(Settings settings, EmbeddedServers embedded) {
    Path file = settings.stores().dataDir().resolve(SERVERS_FILE);
    try {
      Files.writeString(file, embedded.redisUrl() + "\n" + embedded.postgresUrl() + "\n");
      ownerOnly(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot note the demo's servers in " + file, e);
    }
  }

  /** The settings with the servers a running demo noted in its data dir, if it did. */
  static Optional<Settings> demoServers(Settings settings) {
    Path file = settings.stores().dataDir().resolve(SERVERS_FILE);
    try {
      java.util.List<String> lines = Files.readAllLines(file);
      return lines.size() < 2 ? Optional.empty() : Optional.of(settings.withServers(lines.get(0), lines.get(1)));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** {@code CLAIMGATE_JWT_PUBLIC_KEY}: the PEM itself, or the path of a file holding it. */
  static Optional<String> jwtPublicKey(Settings settings) {
    if (!Settings.IDENTITY_JWT.equals(settings.credentials().identity())) {
      return Optional.empty();
    }
    String value = settings.credentials().jwtPublicKey().orElseThrow();
    if (value.startsWith("-----BEGIN")) {
      return Optional.of(value);
    }
    try {
      return Optional.of(Files.readString(Path.of(value)));
    } catch (IOException e) {
      throw new ConfigException("CLAIMGATE_JWT_PUBLIC_KEY is neither a PEM key nor a readable file: " + value);
    }
  }

  private static void ownerOnly(Path file) {
    file.toFile().setReadable(false, false);
    file.toFile().setReadable(true, true);
  }

  /** Voucher-code keys: {@code CLAIMGATE_CODE_KEY}, else generated once and kept in the data dir. */
  static VoucherCodes codes(Settings settings) {
    if (settings.credentials().codeKey().isPresent()) {
      try {
        return VoucherCodes.fromSpec(settings.credentials().codeKey().get());
      } catch (IllegalArgumentException e) {
        throw new ConfigException(e.getMessage());
      }
    }
    Path keyFile = settings.stores().dataDir().resolve("code-key");
    try {
      if (!Files.exists(keyFile)) {
        Files.createDirectories(settings.stores().dataDir());
        Files.writeString(keyFile, VoucherCodes.newKeySpec(1, new SecureRandom()));
        ownerOnly(keyFile);
      }
      return VoucherCodes.fromSpec(Files.readString(keyFile).strip());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep the code key in " + keyFile, e);
    }
  }
}
