package claimgate.allocation;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.allocation.AllocatorFixture.Claim;
import claimgate.campaign.Campaign;
import claimgate.redis.CampaignKeys;
import claimgate.redis.CitizenRecord;
import claimgate.testkit.Campaigns;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Invariants 3 and 8 when the stream repeats seqs (a Redis that lost its counter without the
 * gate noticing): the allocator never stalls on them, the first claim of a seq stands, the repeat
 * is decided by no one (its ticket then reads rejected/lost: its seq is passed and PostgreSQL has
 * no row of it) and its queue counters are released.
 */
@ExtendWith(VertxExtension.class)
class RepeatedSeqTest {

  @Test
  @DisplayName("a stream that repeats decided seqs: decisions go on past them, the first of each seq stands, counters drain")
  void repeatsArePassedOver(Vertx vertx) {
    AllocatorFixture fixture = new AllocatorFixture(vertx);
    Campaign campaign = Campaigns.open(Campaigns.uniqueId("repeats"), 9, 3, 100);
    fixture.apply(campaign);
    CampaignKeys keys = new CampaignKeys(campaign.id());
    Vertx process = Vertx.vertx();
    try {
      process.deployVerticle(new AllocatorVerticle(fixture.config())).await();
      List<String> first = fixture.feed(campaign.id(), List.of(new Claim("a1", List.of("m0")), new Claim("a2", List.of("m0")),
          new Claim("a3", List.of("m0")), new Claim("a4", List.of("m0")), new Claim("a5", List.of("m0"))));
      fixture.awaitDecided(campaign.id(), 5, 20_000);
      fixture.awaitPublished(campaign.id(), 5, 20_000);

      // Redis forgets its counter: seqs 3, 4 and 5 are given out again, in a later generation
      long generation = fixture.redis.send(Request.cmd(Command.HGET).arg(keys.config()).arg(CampaignKeys.GENERATION)).await().toLong();
      fixture.redis.send(Request.cmd(Command.HSET).arg(keys.config()).arg(CampaignKeys.SEQ).arg(2)
          .arg(CampaignKeys.GENERATION).arg(generation + 1)).await();
      for (String citizen : List.of("r3", "r4", "r5", "f6", "f7")) {
        // queued, as the admission script counts a claim it admits
        fixture.redis.send(Request.cmd(Command.HSET).arg(keys.citizens()).arg(citizen)
            .arg(new CitizenRecord(1, 0, Map.of()).encode())).await();
      }
      List<String> second = fixture.feed(campaign.id(), List.of(new Claim("r3", List.of("m0")), new Claim("r4", List.of("m0")),
          new Claim("r5", List.of("m0")), new Claim("f6", List.of("m0")), new Claim("f7", List.of("m0"))));

      fixture.awaitDecided(campaign.id(), 7, 20_000);
      fixture.awaitPublished(campaign.id(), 7, 20_000);
      Map<String, String> outcomes = fixture.outcomes(campaign.id());
      assertThat(first).allSatisfy(ticket -> assertThat(outcomes.get(ticket)).isEqualTo("confirmed:m0"));
      assertThat(second.subList(0, 3)).as("repeats are decided by no one").allSatisfy(ticket ->
          assertThat(outcomes).doesNotContainKey(ticket));
      assertThat(second.subList(3, 5)).allSatisfy(ticket -> assertThat(outcomes.get(ticket)).isEqualTo("confirmed:m0"));
      assertThat(fixture.decidedSeq(campaign.id())).isEqualTo(7);
      String offset = fixture.pool.preparedQuery("select stream_offset from campaign where id = $1")
          .execute(Tuple.of(campaign.id())).await().iterator().next().getString(0);
      String lastEntry = fixture.redis.send(Request.cmd(Command.XREVRANGE).arg(keys.stream()).arg("+").arg("-")
          .arg("COUNT").arg(1)).await().get(0).get(0).toString();
      assertThat(offset).as("the offset is at the last entry").isEqualTo(lastEntry);
      for (String citizen : List.of("r3", "r4", "r5", "f6", "f7")) {
        String record = fixture.redis.send(Request.cmd(Command.HGET).arg(keys.citizens()).arg(citizen)).await().toString();
        assertThat(CitizenRecord.decode(record).pending()).as("pending of %s", citizen).isZero();
      }
      fixture.checkInvariants(campaign, outcomes.keySet().stream().toList());
    } finally {
      process.close().await();
    }
  }
}
