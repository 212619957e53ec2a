package claimgate.redis;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignStore;
import claimgate.testkit.Campaigns;
import claimgate.testkit.TestServers;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A claim's admission time as the stream gives it back, against a real Redis. */
@ExtendWith(VertxExtension.class)
class StreamEntriesTest {

  private PipelinedRedis redis;

  @BeforeEach
  void connect(Vertx vertx) {
    redis = new PipelinedRedis(vertx, TestServers.redisUrl());
  }

  @AfterEach
  void close() {
    redis.close().await();
  }

  @Test
  @DisplayName("a claim is admitted at the time the script judged it (t), even when the entry's id was taken later, past an opening")
  void admittedWhenJudged() {
    CampaignKeys keys = new CampaignKeys(Campaigns.uniqueId("stream-times"));
    // judged a millisecond before the opening at 2000; the XADD ran at 2001
    redis.send(Request.cmd(Command.XADD).arg(keys.stream()).arg("2001-0").arg("g").arg(1).arg("f").arg(1).arg("t")
        .arg(1999).arg("o").arg(2000).arg("d").arg("c1\tm1\tm1\t\tr1")).await();
    // an entry without t (an older one, or one appended by a test or a warm-up)
    redis.send(Request.cmd(Command.XADD).arg(keys.stream()).arg("3000-0").arg("g").arg(1).arg("f").arg(2).arg("d")
        .arg("c2\tm1\tm1\t\tr2")).await();
    Response entries = redis.send(Request.cmd(Command.XRANGE).arg(keys.stream()).arg("-").arg("+")).await();
    List<StreamEntries.Claim> judged = StreamEntries.entry(entries.get(0));
    List<StreamEntries.Claim> untimed = StreamEntries.entry(entries.get(1));
    assertThat(judged.get(0).admittedAtMs()).as("the pre-queue's claim: before its opening").isEqualTo(1999);
    assertThat(judged.get(0).prequeuedFor()).isEqualTo(2000);
    assertThat(untimed.get(0).admittedAtMs()).as("timed by its entry's id").isEqualTo(3000);
    redis.send(Request.cmd(Command.UNLINK).arg(keys.stream())).await();
  }

  @Test
  @DisplayName("the admission script writes the time it judged its batch at into the entry, no later than the entry's id")
  void theScriptWritesItsTime() {
    // a campaign open since a minute ago, restored on this server as its allocator would
    Campaign campaign = Campaigns.open(Campaigns.uniqueId("stream-script"), 9, 3, 10);
    RedisRestore.restore(redis, RedisRestore.Snapshot.fresh(campaign, new CampaignStore.Versions(1, 1, false, false, 0),
        Optional.empty()), surviving -> Future.succeededFuture(1L)).await();
    CampaignKeys keys = new CampaignKeys(campaign.id());
    long before = serverMs();
    String answer = LuaScript.load("admit.lua").call(redis::send, keys.admitKeys(),
        List.of(redis.serverId(), "1", "c1", "m0", "r1", "fp1", "", "10.0.0.1")).await().toString();
    assertThat(answer).as("admitted").startsWith("A 1 0 1 q");
    Response entries = redis.send(Request.cmd(Command.XRANGE).arg(keys.stream()).arg("-").arg("+")).await();
    StreamEntries.Claim claim = StreamEntries.entry(entries.get(0)).get(0);
    assertThat(claim.judgedAtMs()).as("the script's time").isBetween(before, serverMs());
    assertThat(claim.judgedAtMs()).as("no later than the entry's id").isLessThanOrEqualTo(StreamEntries.timeOf(claim.streamId()));
    assertThat(claim.admittedAtMs()).isEqualTo(claim.judgedAtMs());
    keys.all().forEach(k -> redis.send(Request.cmd(Command.UNLINK).arg(k)).await());
  }

  private long serverMs() {
    Response time = redis.send(Request.cmd(Command.TIME)).await();
    return time.get(0).toLong() * 1000 + time.get(1).toLong() / 1000;
  }
}
