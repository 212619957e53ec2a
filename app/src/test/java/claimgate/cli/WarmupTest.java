package claimgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.store.ScratchCampaign;
import claimgate.settings.Settings;
import claimgate.redis.PipelinedRedis;
import claimgate.store.EmbeddedServers;
import claimgate.testkit.TestServers;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The warm-up before a gateway and an allocator report ready: it runs their hot paths on the
 * real servers through a scratch campaign and leaves no trace of it (rows, keys, meters, the
 * public list), and it clears what a warm-up that died left behind.
 */
class WarmupTest {

  @Test
  @DisplayName("a warmed-up stack keeps no scratch campaign: no rows, no Redis keys, no meters; a dead warm-up's leftovers are removed")
  void leavesNoTrace() throws Exception {
    TestServers.get();
    Vertx vertx = Vertx.vertx();
    Pool pool = TestServers.database().pool(vertx, 1);
    PipelinedRedis redis = new PipelinedRedis(vertx, TestServers.redisUrl());
    try {
      // what a process killed while warming up leaves: a scratch campaign, old enough to be stale
      var leftover = ScratchCampaign.create();
      ScratchCampaign.install(pool, redis, leftover).await();
      pool.preparedQuery("update campaign set created_at = now() - interval '1 hour' where id = $1")
          .execute(Tuple.of(leftover.id())).await();

      int port = EmbeddedServers.freePort();
      Settings settings = Settings.local(port, Files.createTempDirectory("claimgate-warm"))
          .withServers(TestServers.redisUrl(), TestServers.get().postgresUrl())
            .withCodeKey(TestServers.CODE_KEY)
          .withOperatorToken("cgo_warm")
          .withWarmupSeconds(3);
      try (Stack stack = Stack.start(settings, Optional.empty(), false, Stack.Role.GATEWAY, Stack.Role.ALLOCATOR)) {
        claimgate.testkit.ApiClient api = new claimgate.testkit.ApiClient("http://127.0.0.1:" + port, "cgo_warm");
        assertThat(api.get("/health/ready").status()).isEqualTo(200);
        String metrics = api.admin("GET", "/metrics", null).raw().body();
        assertThat(metrics).doesNotContain(ScratchCampaign.PREFIX);
        String list = api.get("/api/v1/campaigns").raw().body();
        assertThat(list).doesNotContain(ScratchCampaign.PREFIX);
      }
      for (String table : new String[] {"campaign where id", "claim where campaign_id", "voucher where campaign_id",
          "merchant where campaign_id", "redis_generation where campaign_id"}) {
        long rows = pool.query("select count(*) from " + table + " like 'warmup-%'").execute().await().iterator().next().getLong(0);
        assertThat(rows).as(table).isZero();
      }
      assertThat(redis.send(Request.cmd(Command.KEYS).arg("{warmup-*")).await().size()).isZero();
    } finally {
      redis.close().await();
      pool.close().await();
      vertx.close().await();
    }
  }
}
