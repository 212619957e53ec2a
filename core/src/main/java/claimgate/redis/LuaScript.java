package claimgate.redis;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;

/**
 * A Lua script kept as a resource, loaded once and called by SHA. When Redis answers NOSCRIPT
 * (it restarted, or the script cache was flushed) the script is sent once in full and the call
 * goes on.
 */
public record LuaScript(String name, String source, String sha) {

  /** Loads {@code /lua/<resource>}; a line {@code --@include lib/x.lua} is replaced by that file. */
  public static LuaScript load(String resource) {
    try {
      String source = read(resource).lines()
          .map(line -> line.startsWith(INCLUDE) ? read(line.substring(INCLUDE.length()).strip()) : line)
          .collect(java.util.stream.Collectors.joining("\n", "", "\n"));
      byte[] digest = MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8));
      return new LuaScript(resource, source, HexFormat.of().formatHex(digest));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is part of every JDK", e);
    }
  }

  private static final String INCLUDE = "--@include ";

  private static String read(String resource) {
    try (InputStream in = LuaScript.class.getResourceAsStream("/lua/" + resource)) {
      if (in == null) {
        throw new IllegalStateException("missing script resource /lua/" + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Calls the script through {@code send}, which carries one request over a connection. */
  public Future<Response> call(Function<Request, Future<Response>> send, List<String> keys, List<String> args) {
    return send.apply(request(Command.EVALSHA, sha, keys, args))
        .recover(failure -> isNoScript(failure)
            ? send.apply(request(Command.EVAL, source, keys, args))
            : Future.failedFuture(failure));
  }

  /** Loads the script into Redis's cache ahead of its first call. */
  public Future<Void> preload(Function<Request, Future<Response>> send) {
    return send.apply(Request.cmd(Command.SCRIPT).arg("LOAD").arg(source)).mapEmpty();
  }

  private static Request request(Command command, String script, List<String> keys, List<String> args) {
    Request request = Request.cmd(command).arg(script).arg(keys.size());
    keys.forEach(request::arg);
    args.forEach(request::arg);
    return request;
  }

  private static boolean isNoScript(Throwable failure) {
    String message = failure.getMessage();
    return message != null && message.startsWith("NOSCRIPT");
  }
}
