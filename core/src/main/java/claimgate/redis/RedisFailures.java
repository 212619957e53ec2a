package claimgate.redis;

import java.util.Set;

/**
 * Redis answers that mean "not now" rather than "wrong": the server is loading its files after a
 * restart, is a replica (a failover moved the primary), waits for its primary, runs a long script,
 * or the connection is gone. The claim path answers them 503 {@code unavailable}, never 500.
 */
public final class RedisFailures {

  /** The error codes Redis prefixes such answers with. */
  private static final Set<String> TRANSIENT = Set.of("LOADING", "READONLY", "MASTERDOWN", "TRYAGAIN", "BUSY",
      "NOREPLICAS", "CLUSTERDOWN", "CONNECTION_CLOSED");

  private RedisFailures() {}

  /** True when {@code failure}, or a cause of it, is one of those answers. */
  public static boolean isTransient(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (TRANSIENT.contains(code(t.getMessage()))) {
        return true;
      }
    }
    return false;
  }

  /** True when the server is a replica now: the primary moved, the connection must be made again. */
  static boolean isDemoted(Throwable failure) {
    return failure != null && "READONLY".equals(code(failure.getMessage()));
  }

  /**
   * The error code of an answer. A script's failed {@code redis.call} reaches the caller wrapped
   * by Redis 6 as {@code ERR Error running script (call to f_…): @user_script:10: -READONLY …}
   * (Redis 7 passes the inner code through): the inner code is the one that tells.
   */
  static String code(String message) {
    if (message == null) {
      return "";
    }
    if (message.startsWith(SCRIPT_ERROR)) {
      int inner = message.indexOf(": -");
      if (inner >= 0) {
        return firstWord(message.substring(inner + 3));
      }
    }
    return firstWord(message);
  }

  private static final String SCRIPT_ERROR = "ERR Error running script";

  private static String firstWord(String message) {
    int space = message.indexOf(' ');
    return space < 0 ? message : message.substring(0, space);
  }
}
