package claimgate.simulation;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.listFeeder;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The retailer's day after the leak (profile {@code retailer}): merchants redeem the vouchers citizens got, while attackers send forged codes, codes already
 * redeemed and other merchants' codes. Every valid code is redeemed exactly once (200); every
 * attack is refused with its own answer (404, 409, 403) or throttled (429); nothing else passes.
 * Vouchers and merchant keys are made first through the public and admin APIs.
 *
 * <pre>
 *   loadtest/launch-minute --profile retailer [-Dvouchers=1000 -Dseconds=20]
 * </pre>
 */
public class RedemptionStorm extends Simulation {

  static final int VOUCHERS = Injector.share(Integer.getInteger("vouchers", 1_000));
  static final int SECONDS = Integer.getInteger("seconds", 20);
  static final int SHOPS = Integer.getInteger("shops", 10);
  static final String ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  static final Pattern CODE = Pattern.compile("\"code\":\"([A-Z0-9-]+)\"");
  static final Pattern KEY = Pattern.compile("\"key\":\"([^\"]+)\"");
  static final Pattern TICKET = Pattern.compile("\"ticket\":\"([^\"]+)\"");
  static final Pattern MERCHANT = Pattern.compile("\"merchantId\":\"([^\"]+)\"");

  final List<Map<String, Object>> valid = new ArrayList<>();
  final List<Map<String, Object>> otherMerchant = new ArrayList<>();
  final List<Map<String, Object>> forged = new ArrayList<>();

  final HttpClient client = HttpClient.newHttpClient();

  String send(String method, String path, String bearer, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(LaunchMinute.BASE_URL + path))
        .timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    if (bearer != null) {
      request.header("Authorization", "Bearer " + bearer);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  static String find(Pattern pattern, String json) {
    Matcher m = pattern.matcher(json);
    return m.find() ? m.group(1) : null;
  }

  /** Issues vouchers through the claim API and makes a key per shop through the admin API; the feeders need them at set-up. */
  void issueVouchers() {
    Injector.awaitStart();
    try {
      Map<String, String> keys = new HashMap<>();
      for (int i = 1; i <= SHOPS; i++) {
        String shop = String.format("m%03d", i);
        keys.put(shop, find(KEY, send("POST", "/admin/v1/campaigns/" + LaunchMinute.CAMPAIGN + "/merchants/" + shop + "/keys",
            KillSwitch.TOKEN, null)));
      }
      List<String> tickets = new ArrayList<>();
      for (int i = 0; i < VOUCHERS; i++) {
        String shop = String.format("m%03d", 1 + i % SHOPS);
        tickets.add(find(TICKET, send("POST", "/api/v1/campaigns/" + LaunchMinute.CAMPAIGN + "/claims", null,
            "{\"citizenId\":\"" + Injector.citizenId("storm", System.nanoTime() + "-" + i) + "\",\"merchantIds\":[\"" + shop + "\"]}")));
      }
      for (String ticket : tickets) {
        String status = send("GET", "/api/v1/claims/" + ticket, null, null);
        for (int poll = 0; poll < 100 && status.contains("\"queued\""); poll++) {
          Thread.sleep(100);
          status = send("GET", "/api/v1/claims/" + ticket, null, null);
        }
        String code = find(CODE, status);
        String shop = find(MERCHANT, status);
        if (code == null) {
          continue;
        }
        valid.add(Map.of("key", keys.get(shop), "code", code));
        String otherShop = shop.equals("m001") ? "m002" : "m001";
        otherMerchant.add(Map.of("key", keys.get(otherShop), "code", code));
        forged.add(Map.of("key", keys.get(shop), "code", forge(code.substring(0, code.indexOf('-')))));
      }
    } catch (Exception e) {
      throw new IllegalStateException("redemption storm: vouchers not issued", e);
    }
    System.out.println("redemption storm: " + valid.size() + " vouchers issued for " + SHOPS + " shops");
  }

  /** A well-formed code (its check symbol right) whose tag is random: what a forger can make. */
  static String forge(String prefix) {
    int[] symbols = new int[20];
    int sum = 0;
    for (int i = 0; i < 19; i++) {
      symbols[i] = i == 0 ? 1 : ThreadLocalRandom.current().nextInt(32);
      sum += symbols[i] * (2 * i + 1);
    }
    symbols[19] = sum & 31;
    StringBuilder code = new StringBuilder(prefix);
    for (int i = 0; i < 20; i++) {
      code.append(i % 4 == 0 ? "-" : "").append(ALPHABET.charAt(symbols[i]));
    }
    return code.toString();
  }

  ScenarioBuilder redeem(String name, List<Map<String, Object>> items, Integer... expected) {
    return scenario(name).feed(listFeeder(items).circular())
        .exec(http(name).post("/api/v1/redemptions")
            .header("Authorization", "Bearer #{key}")
            .body(StringBody("{\"code\":\"#{code}\"}")).asJson()
            .check(status().in(expected)));
  }

  {
    issueVouchers();
    double rate = Math.max(1.0, valid.size() / (double) SECONDS);
    setUp(
        // every valid code once, by its own shop
        scenario("merchants").feed(listFeeder(valid).queue())
            .exec(http("redeem").post("/api/v1/redemptions")
                .header("Authorization", "Bearer #{key}")
                .body(StringBody("{\"code\":\"#{code}\"}")).asJson()
                .check(status().is(200)))
            // one merchant per valid code: the queue of codes never runs dry
            .injectOpen(rampUsers(valid.size()).during(Duration.ofSeconds(SECONDS))),
        redeem("forged codes", forged, 404, 429)
            .injectOpen(constantUsersPerSec(rate).during(Duration.ofSeconds(SECONDS))),
        redeem("other shop's codes", otherMerchant, 403, 409, 429)
            .injectOpen(constantUsersPerSec(rate / 2).during(Duration.ofSeconds(SECONDS))),
        // codes the merchants have redeemed by then, sent again
        redeem("reused codes", valid, 409, 429)
            .injectOpen(nothingFor(Duration.ofSeconds(SECONDS + 2)), constantUsersPerSec(rate).during(Duration.ofSeconds(5))))
        .protocols(LaunchMinute.protocol())
        .assertions(Injector.assertions());
  }
}
