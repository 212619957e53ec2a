package claimgate.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import claimgate.config.ConfigException;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisRole;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Redis locations: a server, or the primary that Sentinels name. */
class PipelinedRedisTest {

  @Test
  @DisplayName("redis-sentinel:// names the Sentinels and the master; the client follows the primary")
  void sentinelUrl() {
    RedisOptions options = PipelinedRedis.options("redis-sentinel://s1:26379, s2:26379,s3:26379/claimgate");
    assertThat(options.getType()).isEqualTo(RedisClientType.SENTINEL);
    assertThat(options.getMasterName()).isEqualTo("claimgate");
    assertThat(options.getRole()).isEqualTo(RedisRole.MASTER);
    assertThat(options.getEndpoints()).containsExactly("redis://s1:26379", "redis://s2:26379", "redis://s3:26379");
    assertThat(PipelinedRedis.options("redis://127.0.0.1:6379").getType()).isEqualTo(RedisClientType.STANDALONE);
    assertThatThrownBy(() -> PipelinedRedis.options("redis-sentinel://s1:26379")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("masterName");
  }
}
