package claimgate.access;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.web.ApiError;
import io.vertx.core.Future;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The status-read buckets a gateway process keeps in memory: burst, refill, one per address. */
class LocalRateBucketsTest {

  @Test
  @DisplayName("a burst of 3 at 1/s: three pass, the fourth is 429 with its wait, another address is not touched, a second later one more passes")
  void bucket() throws InterruptedException {
    LocalRateBuckets buckets = new LocalRateBuckets(1, 3);
    for (int i = 0; i < 3; i++) {
      assertThat(buckets.take("10.0.0.1").succeeded()).as("take %d", i + 1).isTrue();
    }
    Future<Void> fourth = buckets.take("10.0.0.1");
    assertThat(fourth.failed()).isTrue();
    ApiError throttled = (ApiError) fourth.cause();
    assertThat(throttled.status()).isEqualTo(429);
    assertThat(throttled.retryAfterMs()).isBetween(1L, 1_000L);
    assertThat(buckets.take("10.0.0.2").succeeded()).isTrue();
    Thread.sleep(1_100);
    assertThat(buckets.take("10.0.0.1").succeeded()).isTrue();
    assertThat(buckets.take("10.0.0.1").failed()).isTrue();
    assertThat(buckets.size()).isEqualTo(2);
  }
}
