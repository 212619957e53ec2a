package claimgate.bench;

import claimgate.redis.PipelinedRedis;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;

/**
 * CPU per admitted claim, read around a run from the processes themselves: the gateway's from
 * {@code /proc}, Redis's from its own {@code INFO cpu} and the admission script's alone from
 * {@code INFO commandstats}; and what Redis's persistence did meanwhile.
 */
final class CpuMeter {

  /** CPU of one process over a counted run, per admitted claim; and claims per admission call. */
  record Cpu(double gatewayUs, double redisUs, double scriptUs, double wrkUs, double claimsPerCall, double redisChildrenUs) {}

  record Measured(Wrk.Result result, Cpu cpu) {}

  @FunctionalInterface
  interface Run {
    Wrk.Result run() throws Exception;
  }

  /** Redis's main process, the admission script alone, and Redis's children (append-only file rewrites). */
  record RedisCpu(double cpuSeconds, double scriptUs, double scriptCalls, double childrenSeconds) {}

  /** What Redis's persistence did: a rewrite forks the whole dataset; a delayed fsync makes writes wait. */
  record RedisPersistence(double rewrites, double lastForkUs, double delayedFsyncs, double usedMemoryBytes,
      double aofBytes) {}

  private final PipelinedRedis redis;

  CpuMeter(PipelinedRedis redis) {
    this.redis = redis;
  }

  /** Runs {@code run} and reads the CPU the gateway and Redis spent on it. */
  Measured measured(Process gateway, Run run) throws Exception {
    double gatewayBefore = Processes.cpuSeconds(gateway.pid());
    RedisCpu redisBefore = redisCpu();
    Wrk.Result result = run.run();
    double gatewayAfter = Processes.cpuSeconds(gateway.pid());
    RedisCpu redisAfter = redisCpu();
    double claims = Math.max(1, result.ok());
    return new Measured(result, new Cpu((gatewayAfter - gatewayBefore) * 1e6 / claims,
        (redisAfter.cpuSeconds - redisBefore.cpuSeconds) * 1e6 / claims,
        (redisAfter.scriptUs - redisBefore.scriptUs) / claims, result.cpuSeconds() * 1e6 / Math.max(1, result.requests()),
        claims / Math.max(1, redisAfter.scriptCalls - redisBefore.scriptCalls),
        (redisAfter.childrenSeconds - redisBefore.childrenSeconds) * 1e6 / claims));
  }

  RedisPersistence redisPersistence() {
    String persistence = redis.send(Request.cmd(Command.INFO).arg("persistence")).await().toString();
    String stats = redis.send(Request.cmd(Command.INFO).arg("stats")).await().toString();
    String memory = redis.send(Request.cmd(Command.INFO).arg("memory")).await().toString();
    return new RedisPersistence(Wrk.number(persistence, "aof_rewrites:(\\d+)"),
        Wrk.number(stats, "latest_fork_usec:(\\d+)"), Wrk.number(persistence, "aof_delayed_fsync:(\\d+)"),
        Wrk.number(memory, "used_memory:(\\d+)"), Wrk.number(persistence, "aof_current_size:(\\d+)"));
  }

  /**
   * Rewrites Redis's append-only file now ({@code BGREWRITEAOF}) and waits until it is done. Redis
   * refuses while a rewrite it began by itself (its growth threshold) runs, and that one may have
   * begun before the writes to be compacted: it is waited for, and the rewrite asked for again.
   */
  void rewriteAppendOnlyFile() throws InterruptedException {
    long until = System.currentTimeMillis() + 300_000;
    while (true) {
      Throwable refused = redis.send(Request.cmd(Command.BGREWRITEAOF)).map(r -> (Throwable) null).otherwise(e -> e).await();
      if (refused == null) {
        break;
      }
      if (refused.getMessage() == null || !refused.getMessage().contains("already in progress")) {
        throw new IllegalStateException("BGREWRITEAOF: " + refused.getMessage(), refused);
      }
      awaitNoRewrite(until);
    }
    awaitNoRewrite(until);
  }

  private void awaitNoRewrite(long until) throws InterruptedException {
    while (System.currentTimeMillis() < until) {
      String persistence = redis.send(Request.cmd(Command.INFO).arg("persistence")).await().toString();
      if (Wrk.number(persistence, "aof_rewrite_in_progress:(\\d+)") == 0
          && Wrk.number(persistence, "aof_rewrite_scheduled:(\\d+)") == 0) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("Redis's append-only file rewrite did not end within 5 minutes");
  }

  /** From now on Redis notes every event (command, fork, fsync, expiry cycle) that takes 2 ms or more. */
  void watchRedisLatency() {
    redis.send(Request.cmd(Command.CONFIG).arg("SET").arg("latency-monitor-threshold").arg("2")).await();
    redis.send(Request.cmd(Command.LATENCY).arg("RESET")).await();
  }

  /** What Redis noted since {@link #watchRedisLatency}: per event, its latest and worst time. */
  String redisLatency() {
    io.vertx.redis.client.Response events = redis.send(Request.cmd(Command.LATENCY).arg("LATEST")).await();
    java.util.List<String> out = new java.util.ArrayList<>();
    for (io.vertx.redis.client.Response e : events) {
      out.add(e.get(0) + " " + e.get(1) + " " + e.get(2) + " " + e.get(3));
    }
    return out.isEmpty() ? "none" : String.join("; ", out);
  }

  /** Redis's CPU so far: its own, the admission script's (commandstats), its children's. */
  RedisCpu redisCpu() {
    String cpu = redis.send(Request.cmd(Command.INFO).arg("cpu")).await().toString();
    String stats = redis.send(Request.cmd(Command.INFO).arg("commandstats")).await().toString();
    double seconds = Wrk.number(cpu, "used_cpu_user:([\\d.]+)") + Wrk.number(cpu, "used_cpu_sys:([\\d.]+)");
    double script = Wrk.number(stats, "cmdstat_evalsha:calls=\\d+,usec=(\\d+)") + Wrk.number(stats, "cmdstat_eval:calls=\\d+,usec=(\\d+)");
    double calls = Wrk.number(stats, "cmdstat_evalsha:calls=(\\d+)") + Wrk.number(stats, "cmdstat_eval:calls=(\\d+)");
    double children = Wrk.number(cpu, "used_cpu_user_children:([\\d.]+)") + Wrk.number(cpu, "used_cpu_sys_children:([\\d.]+)");
    return new RedisCpu(seconds, script, calls, children);
  }
}
