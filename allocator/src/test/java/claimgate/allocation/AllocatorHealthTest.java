package claimgate.allocation;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.testkit.Campaigns;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The allocator role's liveness: a leader whose decision thread is stuck (here: held inside a
 * batch on purpose) is reported stalled, 503, while it leads; it is live again once it decides,
 * and a process that only stands by is live.
 */
class AllocatorHealthTest {

  static Vertx vertx;
  static AllocatorFixture fixture;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    fixture = new AllocatorFixture(vertx);
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  static HttpResponse<String> live(AllocatorHealth health) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + health.port() + "/health/live")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The liveness answer once it has {@code status}, or the last one after 5 s. */
  static HttpResponse<String> liveOnceItIs(AllocatorHealth health, int status) throws Exception {
    return liveOnceItIs(health, status, "");
  }

  /**
   * The same, once its body names {@code naming} too: campaigns of other suites led by the same
   * thread stall with the one held, and may cross the threshold a few milliseconds before it.
   */
  static HttpResponse<String> liveOnceItIs(AllocatorHealth health, int status, String naming) throws Exception {
    HttpResponse<String> answer = live(health);
    for (int i = 0; i < 50 && (answer.statusCode() != status || !answer.body().contains(naming)); i++) {
      Thread.sleep(100);
      answer = live(health);
    }
    return answer;
  }

  /** A hook that, the first time the campaign reaches {@code at}, holds the allocator's thread itself (the fault under test) until released. */
  static FaultHook holdOnce(FaultHook.Step at, String campaign, CountDownLatch stuck, CountDownLatch release) {
    AtomicBoolean once = new AtomicBoolean();
    return (step, campaignId) -> {
      if (step == at && campaignId.equals(campaign) && once.compareAndSet(false, true)) {
        stuck.countDown();
        try {
          release.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
  }

  @Test
  @DisplayName("a leader stuck in its takeover (the lock held, recovery not done) is 503 stalled, naming the campaign; "
      + "once it leads and decides, 200")
  void stuckTakeoverIsNotLive() throws Exception {
    Campaign campaign = Campaigns.open(Campaigns.uniqueId("stuckrec"), 1, 1, 50);
    fixture.apply(campaign);
    CountDownLatch stuck = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    FaultHook hold = holdOnce(FaultHook.Step.RECOVERING, campaign.id(), stuck, release);
    Vertx leaderProcess = Vertx.vertx();
    AllocatorVerticle leader = new AllocatorVerticle(fixture.config().withFaults(hold), "recovering");
    leaderProcess.deployVerticle(leader).await();
    try (AllocatorHealth health = AllocatorHealth.serve(leader, 0, 500)) {
      assertThat(stuck.await(20, TimeUnit.SECONDS)).isTrue();
      HttpResponse<String> stalled = liveOnceItIs(health, 503, campaign.id());
      assertThat(stalled.statusCode()).isEqualTo(503);
      assertThat(stalled.body()).contains("\"error\":\"stalled\"").contains(campaign.id());
      release.countDown();
      List<String> tickets = fixture.feed(campaign.id(), List.of(new AllocatorFixture.Claim("c1", List.of("m0"))));
      fixture.awaitDecided(campaign.id(), tickets.size(), 20_000);
      HttpResponse<String> again = liveOnceItIs(health, 200);
      assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
    } finally {
      release.countDown();
      leaderProcess.close().await();
    }
  }

  @Test
  @DisplayName("a leader stuck inside a batch is 503 stalled, naming the campaign; deciding again, it is 200; a standby is 200")
  void stuckLeaderIsNotLive() throws Exception {
    Campaign campaign = Campaigns.open(Campaigns.uniqueId("stuck"), 1, 1, 50);
    fixture.apply(campaign);
    CountDownLatch stuck = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    FaultHook hold = holdOnce(FaultHook.Step.AFTER_READ, campaign.id(), stuck, release);
    Vertx leaderProcess = Vertx.vertx();
    Vertx standbyProcess = Vertx.vertx();
    AllocatorVerticle leader = new AllocatorVerticle(fixture.config().withFaults(hold), "leader");
    leaderProcess.deployVerticle(leader).await();
    try (AllocatorHealth health = AllocatorHealth.serve(leader, 0, 500)) {
      List<String> tickets = fixture.feed(campaign.id(), List.of(new AllocatorFixture.Claim("c1", List.of("m0"))));
      assertThat(stuck.await(20, TimeUnit.SECONDS)).isTrue();
      HttpResponse<String> stalled = liveOnceItIs(health, 503, campaign.id());
      assertThat(stalled.statusCode()).isEqualTo(503);
      assertThat(stalled.body()).contains("\"error\":\"stalled\"").contains(campaign.id());

      // a second process stands by for the campaign: live, leading nothing
      AllocatorVerticle standby = new AllocatorVerticle(fixture.config(), "standby");
      standbyProcess.deployVerticle(standby).await();
      try (AllocatorHealth standbyHealth = AllocatorHealth.serve(standby, 0, 500)) {
        HttpResponse<String> standing = live(standbyHealth);
        assertThat(standing.statusCode()).as(standing.body()).isEqualTo(200);
        assertThat(standing.body()).contains("\"leads\":[]");
      }

      release.countDown();
      fixture.awaitDecided(campaign.id(), tickets.size(), 20_000);
      // deciding again (or, if its lease ran out while it was held, standing by): live at its next step
      HttpResponse<String> again = liveOnceItIs(health, 200);
      assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
    } finally {
      release.countDown();
      standbyProcess.close().await();
      leaderProcess.close().await();
    }
  }
}
