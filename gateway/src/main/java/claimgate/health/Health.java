package claimgate.health;

import claimgate.redis.PipelinedRedis;
import claimgate.web.ApiError;
import claimgate.web.Failures;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * The probes: live (the process answers) and ready (warm, and Redis and PostgreSQL answer within
 * a second). A load balancer sends traffic only to a ready gateway.
 */
public final class Health {

  private static final long STORE_DEADLINE_MS = 1_000;

  private final PipelinedRedis redis;
  private final Pool pool;
  private final AtomicBoolean warm;

  public Health(PipelinedRedis redis, Pool pool, AtomicBoolean warm) {
    this.redis = redis;
    this.pool = pool;
    this.warm = warm;
  }

  public void live(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "application/json").end("{\"status\":\"up\"}");
  }

  public void ready(RoutingContext ctx) {
    if (!warm.get()) {
      Failures.send(ctx.response(), new ApiError(503, "warming_up", "the gateway warms its hot paths before it takes traffic",
          new JsonObject().put("retryAfterMs", 1_000), 1_000L));
      return;
    }
    Future<String> redisUp = redis.send(Request.cmd(Command.PING))
        .timeout(STORE_DEADLINE_MS, TimeUnit.MILLISECONDS)
        .map("ok")
        .otherwise(failure -> "redis: " + failure.getMessage());
    Future<String> pgUp = pool.query("select 1").execute()
        .timeout(STORE_DEADLINE_MS, TimeUnit.MILLISECONDS)
        .map("ok")
        .otherwise(failure -> "postgresql: " + failure.getMessage());
    Future.all(redisUp, pgUp).onComplete(both -> {
      List<String> problems = Stream.of(redisUp.result(), pgUp.result()).filter(s -> !"ok".equals(s)).toList();
      if (problems.isEmpty()) {
        ctx.response().putHeader("Content-Type", "application/json").end("{\"status\":\"ready\"}");
      } else {
        Failures.send(ctx.response(), new ApiError(503, "unavailable", String.join("; ", problems),
            new JsonObject(), 1_000L));
      }
    });
  }
}
