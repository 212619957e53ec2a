package claimgate.redis;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.store.EmbeddedServers;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisSentinel;
import redis.embedded.RedisServer;

/** A primary, its replica and a Sentinel, real servers: the client follows the promotion. */
class SentinelFailoverTest {

  @Test
  @DisplayName("through redis-sentinel:// the connection follows the promoted replica, whose server id differs")
  void followsThePromotedReplica() throws Exception {
    Path dir = Files.createTempDirectory("claimgate-sentinel");
    int primaryPort = EmbeddedServers.freePort();
    int replicaPort = EmbeddedServers.freePort();
    int sentinelPort = EmbeddedServers.freePort();
    RedisServer primary = EmbeddedServers.startRedis(Files.createDirectories(dir.resolve("primary")), primaryPort);
    RedisServer replica = EmbeddedServers.startReplica(Files.createDirectories(dir.resolve("replica")), replicaPort, primaryPort);
    RedisSentinel sentinel = EmbeddedServers.startSentinel(sentinelPort, "claimgate", primaryPort, 1_000);
    Vertx vertx = Vertx.vertx();
    try {
      PipelinedRedis redis = new PipelinedRedis(vertx, "redis-sentinel://127.0.0.1:" + sentinelPort + "/claimgate");
      redis.send(Request.cmd(Command.SET).arg("written").arg("before")).await();
      String before = redis.serverId();
      assertThat(before).isNotNull();
      // the write reached the replica before the primary goes
      redis.send(Request.cmd(Command.WAIT).arg(1).arg(5_000)).await();

      primary.stop();
      String value = null;
      long deadline = System.currentTimeMillis() + 30_000;
      while (value == null && System.currentTimeMillis() < deadline) {
        try {
          // a replica refuses writes: only the promoted one answers this
          redis.send(Request.cmd(Command.SET).arg("after").arg("1")).await();
          value = redis.send(Request.cmd(Command.GET).arg("written")).await().toString();
        } catch (Exception notYet) { // await() rethrows the connection's own failure, checked or not
          Thread.sleep(100);
        }
      }
      assertThat(value).isEqualTo("before");
      assertThat(redis.serverId()).isNotNull().isNotEqualTo(before);
      String role = redis.send(Request.cmd(Command.ROLE)).await().get(0).toString();
      assertThat(role).isEqualTo("master");
      redis.close().await();
    } finally {
      vertx.close().await();
      sentinel.stop();
      EmbeddedServers.stop(replica, replicaPort);
      primary.stop();
    }
  }
}
