package claimgate.system;

import claimgate.testkit.ApiClient;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.testkit.Campaigns;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The launch page and the operator console in a real browser (Debian's headless Chromium and
 * ChromeDriver; .ci/run installs them). Screenshots land in docs/screenshots, where the guides show them.
 */
class BrowserTest {

  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  /** The guides show these: each run takes them again, so they show the pages as they are. */
  static final Path SCREENSHOTS = Path.of("../docs/screenshots");
  static WebDriver browser;

  @BeforeAll
  static void openBrowser() throws Exception {
    // CI installs the browser: there a missing one fails the run instead of skipping it
    Assumptions.assumeTrue(Files.isExecutable(CHROMEDRIVER) || "true".equals(System.getenv("CI")),
        "Debian's chromium and chromium-driver are not installed");
    Files.createDirectories(SCREENSHOTS);
    ChromeOptions options = new ChromeOptions()
        .setBinary(CHROMIUM.toFile())
        .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--window-size=1280,1000", "--user-data-dir=" + Files.createTempDirectory("chromium"))
        // a citizen whose browser asks for French first, then Catalan
        .setExperimentalOption("prefs", Map.of("intl.accept_languages", "fr-FR,fr,ca"));
    browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort().build(), options);
  }

  @AfterAll
  static void closeBrowser() {
    if (browser != null) {
      browser.quit();
    }
  }

  static WebDriverWait waiting(long seconds) {
    return new WebDriverWait(browser, Duration.ofSeconds(seconds));
  }

  static void screenshot(String name) throws Exception {
    File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
    Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + ".png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  static final List<String> LANGUAGES = List.of("en", "ca", "es", "de");
  static final List<Dimension> WIDTHS = List.of(new Dimension(1200, 1000), new Dimension(375, 812));

  /** A campaign of 30 shops with areas and categories, its name and two shops' names in Catalan. */
  static Campaign townCampaign(String stem, int perCitizen, List<Campaign.Round> rounds, int contingent) {
    Campaign base = Campaigns.build(Campaigns.uniqueId(stem), perCitizen, Math.min(3, perCitizen), rounds,
        java.util.stream.IntStream.range(0, 30).map(i -> contingent).toArray());
    List<String> areas = List.of("Centre", "Santa Catalina", "Son Espanyolet");
    List<String> kinds = List.of("Bakery", "Books", "Shoes", "Grocery", "Toys");
    List<Campaign.Merchant> shops = new java.util.ArrayList<>();
    for (int i = 0; i < 30; i++) {
      Campaign.Merchant m = base.merchants().get(i);
      shops.add(new Campaign.Merchant(m.id(), i == 0 ? "Forn des Teatre" : i == 1 ? "Llibreria Lluna" : "Shop " + i,
          m.contingent(), areas.get(i % 3), kinds.get(i % 5), i == 1 ? Map.of("es", "Librería Luna") : null));
    }
    return new Campaign(base.id(), "Town vouchers " + stem, base.currency(), base.voucherValue(), base.validDays(),
        base.limits(), base.eligibility(), base.admission(), base.rounds(), shops, base.identity(),
        new Campaign.Presentation("Europe/Madrid", Map.of("ca", "Bons de la ciutat", "es", "Bonos de la ciudad")));
  }

  /** The page's own texts of a language, as the page reads them. */
  static JsonObject words(String language) throws Exception {
    try (var in = BrowserTest.class.getClassLoader().getResourceAsStream("webroot/i18n/" + language + ".json")) {
      return new JsonObject(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)).getJsonObject("page");
    }
  }

  @Test
  @DisplayName("launch page: every state (opens soon, open, paused, in the queue, voucher with a QR code that scans back "
      + "to its code, refused, sold out, ended) in English, Catalan, Spanish and German at 1200 and 375 px, axe-core clean; "
      + "shops found by search and chosen by keyboard alone; the rules in plain words; light enough for the launch minute")
  void launchPage() throws Exception {
    java.time.OffsetDateTime now = java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC);
    List<Campaign.Round> openNow = List.of(new Campaign.Round(now.minusMinutes(1), now.plusHours(1), 0.5),
        new Campaign.Round(now.plusDays(7), now.plusDays(7).plusHours(12), 0.5));

    // open: the rules, a search, a shop chosen with the keyboard alone, the claim sent with Enter
    Campaign town = LiveStack.create(townCampaign("town", 9, openNow, 20));
    browser.manage().window().setSize(WIDTHS.get(0));
    browser.get(LiveStack.base() + "/?campaign=" + town.id() + "&lang=en");
    waiting(10).until(ExpectedConditions.textToBe(By.id("state"), "Open now"));
    List<String> rules = browser.findElements(By.cssSelector("#rules li")).stream().map(WebElement::getText).toList();
    assertThat(rules).hasSize(6);
    assertThat(rules.get(0)).contains("10.00");
    assertThat(rules.get(1)).contains("9").contains("3");
    // times in the reader's zone (the browser's); without one the API tells the campaign's
    String zone = (String) ((JavascriptExecutor) browser).executeScript("return Intl.DateTimeFormat().resolvedOptions().timeZone");
    assertThat(rules.get(2)).startsWith("Round 1:").contains("50 %").contains("(" + zone + ")");
    assertThat(LiveStack.get("/api/v1/campaigns/" + town.id()).json().getJsonArray("rules").getString(2))
        .contains("(Europe/Madrid)");
    assertThat(rules.get(3)).startsWith("Round 2:");
    assertThat(rules.get(4)).contains("30 days");
    assertThat(rules.get(5)).contains("queue");
    assertThat(browser.findElements(By.cssSelector("#results li"))).hasSize(12);
    assertThat(browser.findElement(By.id("search-count")).getText()).isEqualTo("Showing 12 of 30 shops.");
    screenshot("launch-page-open");
    browser.findElement(By.id("citizen")).sendKeys("keyboard-citizen");
    WebElement search = browser.findElement(By.id("search"));
    search.click();
    search.sendKeys("lluna");
    waiting(5).until(ExpectedConditions.textToBe(By.id("search-count"), "Showing 1 of 1 shops."));
    search.sendKeys(Keys.TAB);
    browser.switchTo().activeElement().sendKeys(Keys.ENTER);
    assertThat(browser.findElement(By.id("choices")).getText()).contains("Llibreria Lluna");
    search = browser.findElement(By.id("search"));
    search.clear();
    search.sendKeys("santa bakery");
    waiting(5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("search-count"), "of 2 shops"));
    search.sendKeys(Keys.TAB);
    browser.switchTo().activeElement().sendKeys(Keys.ENTER);
    assertThat(browser.findElements(By.cssSelector("#choices li"))).hasSize(2);
    browser.findElement(By.id("citizen")).sendKeys(Keys.ENTER);
    WebElement voucher = waiting(20).until(ExpectedConditions.visibilityOfElementLocated(By.id("voucher-card")));
    String confirmedUrl = browser.getCurrentUrl();
    assertThat(confirmedUrl).contains("ticket=");
    String ticket = confirmedUrl.replaceAll(".*ticket=([^&]+).*", "$1");
    JsonObject confirmed = LiveStack.get("/api/v1/claims/" + ticket).json();
    String code = confirmed.getJsonObject("voucher").getString("code");
    assertThat(confirmed.getJsonObject("voucher").getString("merchantId")).isEqualTo("m1");
    assertThat(browser.findElement(By.id("voucher")).getText()).isEqualTo(code.replace("-", " - "));
    assertThat(browser.findElement(By.id("progress-text")).getText()).contains("Llibreria Lluna");
    // the QR code, as a till's scanner sees it on the screen, reads back as the code
    waiting(10).until(d -> (Boolean) ((JavascriptExecutor) d).executeScript(
        "const i = document.getElementById('qr'); return i.complete && i.naturalWidth > 0;"));
    assertThat(scan(browser.findElement(By.id("qr")))).isEqualTo(code);
    assertThat(voucher.getText()).contains("Valid until");
    // the receipt: its one line of why, and the link to the claim's place in the public log
    assertThat(browser.findElement(By.id("receipt-box")).isDisplayed()).isTrue();
    assertThat(browser.findElement(By.id("receipt-why")).getText()).contains("public log of decisions");
    String receiptLink = browser.findElement(By.id("receipt")).getAttribute("href");
    assertThat(receiptLink).endsWith("/api/v1/claims/" + ticket + "/receipt");
    JsonObject receipt = LiveStack.get("/api/v1/claims/" + ticket + "/receipt").json();
    assertThat(receipt.getJsonObject("decision").getLong("index")).isEqualTo(receipt.getJsonObject("admission").getLong("index") + 1);

    // the other states, each at a link of its own
    Campaign later = LiveStack.create(townCampaign("soon", 9,
        List.of(new Campaign.Round(now.plusHours(2), now.plusHours(3), 1.0)), 20));
    Campaign paused = LiveStack.create(townCampaign("paused", 9, openNow, 20));
    LiveStack.admin("POST", "/admin/v1/campaigns/" + paused.id() + "/pause", null);
    Campaign frozen = LiveStack.create(townCampaign("frozen", 9, openNow, 20));
    LiveStack.admin("POST", "/admin/v1/campaigns/" + frozen.id() + "/freeze", null);
    String queued = LiveStack.claim(frozen.id(), "patient-citizen", "m0").json().getString("ticket");
    // two claims queued for the last voucher (decisions frozen meanwhile): the second is refused
    Campaign small = LiveStack.create(Campaigns.open(Campaigns.uniqueId("gone"), 9, 3, 1));
    LiveStack.admin("POST", "/admin/v1/campaigns/" + small.id() + "/freeze", null);
    String first = LiveStack.claim(small.id(), "first-comer", "m0").json().getString("ticket");
    String refused = LiveStack.claim(small.id(), "second-comer", "m0").json().getString("ticket");
    LiveStack.admin("POST", "/admin/v1/campaigns/" + small.id() + "/unfreeze", null);
    assertThat(LiveStack.awaitFinal(first).getString("status")).isEqualTo("confirmed");
    assertThat(LiveStack.awaitFinal(refused).getString("reason")).isEqualTo("sold_out");
    // the QR code through the API: the status names it; a claim without a voucher has none
    String image = confirmed.getJsonObject("voucher").getString("image");
    assertThat(image).isEqualTo("/api/v1/claims/" + ticket + "/voucher.svg");
    ApiClient.Reply svg = LiveStack.get(image);
    assertThat(svg.status()).isEqualTo(200);
    assertThat(svg.header("Content-Type")).isEqualTo("image/svg+xml");
    assertThat(svg.raw().body()).startsWith("<svg").contains("<title>" + code + "</title>");
    ApiClient.Reply none = LiveStack.get("/api/v1/claims/" + refused + "/voucher.svg");
    assertThat(none.status()).isEqualTo(404);
    assertThat(none.error()).isEqualTo("no_voucher");
    // the language from Accept-Language when none is named; Content-Language says which
    java.net.http.HttpResponse<String> negotiated = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(LiveStack.base() + "/api/v1/campaigns/" + town.id()))
            .header("Accept-Language", "fr-FR, fr;q=0.9, de;q=0.8").build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    claimgate.testkit.ContractCheck.of().orElseThrow().check("GET", "/api/v1/campaigns/" + town.id(),
        negotiated.statusCode(), negotiated.headers().firstValue("Content-Type").orElse(null), negotiated.body());
    assertThat(new JsonObject(negotiated.body()).getString("language")).isEqualTo("de");
    assertThat(negotiated.headers().firstValue("Content-Language")).contains("de");
    assertThat(new JsonObject(negotiated.body()).getJsonArray("rules").getString(0)).startsWith("Jeder Gutschein ist");

    Campaign ended = LiveStack.create(townCampaign("ended", 9,
        List.of(new Campaign.Round(now.minusHours(3), now.minusHours(2), 1.0)), 20));

    record Screen(String name, String query, String marker, java.util.function.Function<JsonObject, String> expected) {}
    List<Screen> screens = List.of(
        new Screen("scheduled", "campaign=" + later.id(), "state", w -> w.getString("state.scheduled")),
        new Screen("open", "campaign=" + town.id() + "&x=open", "state", w -> w.getString("state.open")),
        new Screen("paused", "campaign=" + paused.id(), "state", w -> w.getString("state.paused")),
        new Screen("queued-frozen", "campaign=" + frozen.id() + "&ticket=" + queued, "progress-title", w -> w.getString("queueTitle")),
        new Screen("voucher", "campaign=" + town.id() + "&ticket=" + ticket, "progress-title", w -> w.getString("voucherTitle")),
        new Screen("refused", "campaign=" + small.id() + "&ticket=" + refused, "progress-title", w -> w.getString("rejectedTitle")),
        new Screen("sold-out", "campaign=" + small.id() + "&x=gone", "state", w -> w.getString("state.sold_out")),
        new Screen("ended", "campaign=" + ended.id(), "state", w -> w.getString("state.closed")));
    for (Screen screen : screens) {
      for (String language : LANGUAGES) {
        JsonObject words = words(language);
        for (Dimension width : WIDTHS) {
          browser.manage().window().setSize(width);
          freshPage(screen.query() + "&lang=" + language);
          String expected = screen.expected().apply(words);
          waiting(15).until(ExpectedConditions.textToBe(By.id(screen.marker()), expected));
          assertThat(browser.findElement(By.tagName("html")).getAttribute("lang")).isEqualTo(language);
          assertThat(browser.findElement(By.id("submit")).getAttribute("textContent")).isEqualTo(words.getString("submit"));
          if (screen.name().equals("queued-frozen")) {
            assertThat(browser.findElement(By.id("progress-text")).getText()).isEqualTo(
                words.getString("queueUnknown").replace("{p}", "1"));
          }
          if (screen.name().equals("refused")) {
            assertThat(browser.findElement(By.id("progress-text")).getText()).isEqualTo(words.getString("reason.sold_out"));
          }
          accessible(screen.name() + " " + language + " " + width.getWidth() + " px");
          // reflow (WCAG 1.4.10): nothing scrolls sideways on a phone
          assertThat((Boolean) ((JavascriptExecutor) browser).executeScript(
              "return document.documentElement.scrollWidth <= window.innerWidth"))
              .as("no horizontal scrolling: " + screen.name() + " " + language + " " + width.getWidth() + " px").isTrue();
          if (language.equals("en")) {
            screenshot("launch-page-" + screen.name() + (width.getWidth() < 600 ? "-phone" : ""));
          } else if (width.getWidth() > 600 && (screen.name().equals("open") || screen.name().equals("voucher"))) {
            screenshot("launch-page-" + screen.name() + "-" + language);
          }
        }
      }
    }
    // no language chosen: the server picks from the browser's Accept-Language (French is not there, Catalan is)
    ((JavascriptExecutor) browser).executeScript("localStorage.clear()");
    browser.get(LiveStack.base() + "/?campaign=" + town.id());
    waiting(10).until(ExpectedConditions.textToBe(By.id("state"), "Obert ara"));
    assertThat(browser.findElement(By.tagName("html")).getAttribute("lang")).isEqualTo("ca");
    assertThat(browser.findElement(By.id("name")).getText()).isEqualTo("Bons de la ciutat");

    // the waiting room while Redis or PostgreSQL cannot be reached: every claim answers 503
    // unavailable (played by the page's fetch, since the suite shares its servers)
    withPageScript("const realFetch = window.fetch;"
        + "window.fetch = (url, init) => init && init.method === 'POST' && String(url).endsWith('/claims')"
        + " ? Promise.resolve(new Response(JSON.stringify({error: 'unavailable', message: 'Redis is restoring'}),"
        + " {status: 503, headers: {'Content-Type': 'application/json', 'Retry-After': '5'}}))"
        + " : realFetch(url, init);", () -> {
          for (String language : LANGUAGES) {
            JsonObject words = words(language);
            for (Dimension width : WIDTHS) {
              browser.manage().window().setSize(width);
              claimOnPage(town, language, "restoring-citizen");
              waiting(10).until(ExpectedConditions.textToBe(By.id("progress-title"), words.getString("restoringTitle")));
              accessible("unavailable " + language + " " + width.getWidth() + " px");
              if (language.equals("en")) {
                screenshot("launch-page-unavailable" + (width.getWidth() < 600 ? "-phone" : ""));
              }
            }
          }
        });

    // in the queue with a wait told: a claim that stays queued for long enough to see it needs a
    // decision rate slower than this machine's, so the page's claim and status reads are answered
    // in the browser, as the API answers them (the answers checked against the contract)
    String queuedAnswer = new JsonObject().put("ticket", queued).put("status", "queued").put("position", 4211)
        .put("etaMs", 84_000).encode();
    claimgate.testkit.ContractCheck.of().orElseThrow().check("GET", "/api/v1/claims/" + queued, 200, "application/json",
        queuedAnswer);
    withPageScript("window.EventSource = undefined; const realFetch = window.fetch;"
        + "const queued = " + queuedAnswer + ";"
        + "window.fetch = (url, init) => String(url).endsWith('/claims') && init && init.method === 'POST'"
        + " ? Promise.resolve(new Response(JSON.stringify(queued), {status: 202, headers: {'Content-Type': 'application/json'}}))"
        + " : String(url).includes('/api/v1/claims/')"
        + " ? Promise.resolve(new Response(JSON.stringify(queued), {status: 200, headers: {'Content-Type': 'application/json'}}))"
        + " : realFetch(url, init);", () -> {
          for (String language : LANGUAGES) {
            JsonObject words = words(language);
            for (Dimension width : WIDTHS) {
              browser.manage().window().setSize(width);
              claimOnPage(town, language, "waiting-citizen");
              waiting(10).until(ExpectedConditions.textToBe(By.id("progress-title"), words.getString("queueTitle")));
              assertThat(browser.findElement(By.id("progress-text")).getText())
                  .isEqualTo(words.getString("queuePosition").replace("{p}", "4211").replace("{s}", "84"));
              assertThat(browser.findElement(By.id("progress-more")).getText()).isEqualTo(words.getString("queueMeanwhile"));
              accessible("queued " + language + " " + width.getWidth() + " px");
              if (language.equals("en")) {
                screenshot("launch-page-queued" + (width.getWidth() < 600 ? "-phone" : ""));
              }
            }
          }
        });

    // translated content: the campaign's and a shop's names as the document gives them
    browser.manage().window().setSize(WIDTHS.get(0));
    ((JavascriptExecutor) browser).executeScript("localStorage.clear()");
    browser.get(LiveStack.base() + "/?campaign=" + town.id() + "&lang=es");
    waiting(10).until(ExpectedConditions.textToBe(By.id("name"), "Bonos de la ciudad"));
    browser.findElement(By.id("search")).sendKeys("luna");
    waiting(5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("results"), "Librería Luna"));
    // switching language on the page: the page and <html lang> follow
    new Select(browser.findElement(By.id("language"))).selectByValue("de");
    waiting(10).until(ExpectedConditions.textToBe(By.id("state"), "Jetzt geöffnet"));
    assertThat(browser.findElement(By.tagName("html")).getAttribute("lang")).isEqualTo("de");

    // a claim whose answer was lost (the tab closed, the network dropped): the page kept its body
    // and key, and the next visit sends them again; the server answers with the same ticket
    Campaign lost = LiveStack.create(townCampaign("lost", 9, openNow, 20));
    String lostBody = "{\"citizenId\":\"lost-answer\",\"merchantIds\":[\"m0\"]}";
    String lostKey = "lost-" + java.util.UUID.randomUUID();
    String lostTicket = LiveStack.send("POST", "/api/v1/campaigns/" + lost.id() + "/claims", null,
        new JsonObject(lostBody), lostKey).json().getString("ticket");
    // the browser's storage as the lost visit left it, set before the page's own script runs
    browser.get(LiveStack.base() + "/favicon.ico");
    ((JavascriptExecutor) browser).executeScript("localStorage.clear();"
            + "localStorage.setItem(arguments[0], arguments[1])",
        "claimgate.pending." + lost.id(), new JsonObject().put("body", lostBody).put("key", lostKey).encode());
    browser.get(LiveStack.base() + "/?campaign=" + lost.id() + "&lang=en");
    try {
      waiting(20).until(d -> d.getCurrentUrl().contains("ticket=" + lostTicket));
    } catch (org.openqa.selenium.TimeoutException e) {
      throw new AssertionError("the page did not resume ticket " + lostTicket + ": url " + browser.getCurrentUrl()
          + ", progress '" + ((JavascriptExecutor) browser).executeScript(
              "return document.getElementById('progress-title').textContent + ' / ' + document.getElementById('progress-text').textContent"
              + " + ' / pending ' + localStorage.getItem(arguments[0])", "claimgate.pending." + lost.id()) + "'", e);
    }
    assertThat(((JavascriptExecutor) browser).executeScript("return localStorage.getItem(arguments[0])",
        "claimgate.pending." + lost.id())).isNull();
    // a second tab of the same browser shows the same ticket, and its receipt once decided
    String firstTab = browser.getWindowHandle();
    browser.switchTo().newWindow(org.openqa.selenium.WindowType.TAB);
    browser.get(LiveStack.base() + "/?campaign=" + lost.id() + "&lang=en");
    waiting(20).until(d -> String.valueOf(d.findElement(By.id("receipt")).getAttribute("href")).contains(lostTicket));
    browser.close();
    browser.switchTo().window(firstTab);

    // page weight: everything a first visit loads (nothing cached), as sent (the campaign gzip'd), within the budget
    ((JavascriptExecutor) browser).executeScript("localStorage.clear()");
    ((org.openqa.selenium.chrome.ChromeDriver) browser).executeCdpCommand("Network.clearBrowserCache", Map.of());
    browser.get(LiveStack.base() + "/?campaign=" + town.id() + "&lang=ca&fresh=1");
    waiting(10).until(ExpectedConditions.textToBe(By.id("state"), "Obert ara"));
    @SuppressWarnings("unchecked")
    List<Object> weight = (List<Object>) ((JavascriptExecutor) browser).executeScript(
        "const all = performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'));"
            + "return [all.length, all.reduce((s, e) => s + e.transferSize, 0), all.reduce((s, e) => s + e.decodedBodySize, 0),"
            + " all.filter(e => !e.name.startsWith(location.origin)).length];");
    long requests = ((Number) weight.get(0)).longValue();
    long sent = ((Number) weight.get(1)).longValue();
    long decoded = ((Number) weight.get(2)).longValue();
    System.out.printf(java.util.Locale.ROOT, "launch page weight: %d requests, %,d bytes sent (%,d decoded), %d to other hosts%n",
        requests, sent, decoded, ((Number) weight.get(3)).longValue());
    assertThat(((Number) weight.get(3)).longValue()).as("third-party requests").isZero();
    assertThat(sent).as("bytes a first visit loads").isLessThan(100_000);
  }

  @Test
  @DisplayName("pre-queue: before the opening the page says so in plain words in four languages (how many are in it, when the draw is, "
      + "what the chosen shop will have, the chances there), axe-core clean at 1200 and 375 px; at the opening the draw decides and the page shows "
      + "the voucher and the place in the draw")
  void prequeueAndDraw() throws Exception {
    java.time.OffsetDateTime opens = java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(30)
        .truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    Campaign base = townCampaign("prequeue", 3, List.of(new Campaign.Round(opens, opens.plusHours(1), 1.0)), 20);
    Campaign town = LiveStack.create(base.withAdmission(base.admission().withPrequeue(
        new Campaign.Prequeue(Duration.ofMinutes(30), null))));
    int n = 0;
    for (String language : LANGUAGES) {
      JsonObject words = words(language);
      Dimension width = WIDTHS.get(n % 2);
      browser.manage().window().setSize(width);
      freshPage("campaign=" + town.id() + "&lang=" + language);
      waiting(10).until(ExpectedConditions.textToBe(By.id("state"), words.getString("state.scheduled")));
      List<String> rules = browser.findElements(By.cssSelector("#rules li")).stream().map(WebElement::getText).toList();
      assertThat(rules).anyMatch(rule -> rule.contains("30"));
      browser.findElement(By.id("citizen")).sendKeys("early-bird-" + n);
      browser.findElement(By.cssSelector("#results li button")).click();
      browser.findElement(By.id("submit")).click();
      waiting(10).until(ExpectedConditions.textToBe(By.id("progress-title"), words.getString("prequeueTitle")));
      n++;
      String text = browser.findElement(By.id("progress-text")).getText();
      assertThat(text).startsWith(words.getString("prequeueText").substring(0, words.getString("prequeueText").indexOf('{')) + n);
      assertThat(browser.findElement(By.id("progress-more")).getText())
          .startsWith(words.getString("prequeueShops").replace("{n}", "20"));
      // the chances at the chosen shop: 20 vouchers at the opening, a few people expected ahead: likely
      waiting(10).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#outlook li")));
      assertThat(browser.findElements(By.cssSelector("#outlook li"))).hasSize(1);
      assertThat(browser.findElement(By.cssSelector("#outlook li")).getText()).contains("20")
          .endsWith(words.getString("band.likely"));
      accessible("prequeued " + language + " " + width.getWidth() + " px");
      if (language.equals("en")) {
        screenshot("launch-page-prequeued" + (width.getWidth() < 600 ? "-phone" : ""));
      }
    }
    // the last page stays open: at the opening the draw decides, and the page shows the voucher and the place drawn
    JsonObject words = words(LANGUAGES.get(LANGUAGES.size() - 1));
    waiting(60).until(ExpectedConditions.textToBe(By.id("progress-title"), words.getString("voucherTitle")));
    waiting(10).until(ExpectedConditions.visibilityOfElementLocated(By.id("place")));
    assertThat(browser.findElement(By.id("place")).getText()).matches(
        java.util.regex.Pattern.quote(words.getString("placeInDraw").replace("{place}.", "")) + "[1-4]\\.");
    accessible("drawn " + LANGUAGES.get(LANGUAGES.size() - 1));
  }

  interface Steps {
    void run() throws Exception;
  }

  /** The steps with a script that runs first in every page the browser opens meanwhile. */
  static void withPageScript(String source, Steps steps) throws Exception {
    @SuppressWarnings("unchecked")
    Map<String, Object> added = ((org.openqa.selenium.chrome.ChromeDriver) browser).executeCdpCommand(
        "Page.addScriptToEvaluateOnNewDocument", Map.of("source", source));
    try {
      steps.run();
    } finally {
      ((org.openqa.selenium.chrome.ChromeDriver) browser).executeCdpCommand("Page.removeScriptToEvaluateOnNewDocument",
          Map.of("identifier", added.get("identifier")));
    }
  }

  /** The launch page with {@code query}, nothing kept on the device from another screen (no ticket, no language). */
  static void freshPage(String query) {
    browser.get(LiveStack.base() + "/favicon.ico");
    ((JavascriptExecutor) browser).executeScript("localStorage.clear()");
    browser.get(LiveStack.base() + "/?" + query);
  }

  /** A fresh page of the campaign (nothing kept on the device) and a claim sent from it for its first listed shop. */
  static void claimOnPage(Campaign campaign, String language, String citizen) throws Exception {
    freshPage("campaign=" + campaign.id() + "&lang=" + language);
    waiting(10).until(ExpectedConditions.textToBe(By.id("state"), words(language).getString("state.open")));
    browser.findElement(By.id("citizen")).sendKeys(citizen);
    browser.findElement(By.cssSelector("#results li button")).click();
    browser.findElement(By.id("submit")).click();
  }

  /** axe-core's WCAG 2.1 A and AA rules against the page as it is: no violation. */
  static void accessible(String where) throws Exception {
    JavascriptExecutor js = (JavascriptExecutor) browser;
    js.executeScript(AXE.get());
    browser.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
    Object result = js.executeAsyncScript("const done = arguments[arguments.length - 1];"
        + "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        + ".then(r => done(JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        + " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))))"
        + ".catch(e => done('axe failed: ' + e));");
    assertThat(String.valueOf(result)).as("axe-core on " + where).isEqualTo("[]");
  }

  static final java.util.function.Supplier<String> AXE = new java.util.function.Supplier<>() {
    private String source;

    @Override
    public synchronized String get() {
      if (source == null) {
        try {
          source = Files.readString(Path.of("node_modules/axe-core/axe.min.js"));
        } catch (java.io.IOException e) {
          throw new AssertionError("axe-core is missing: run `npm ci` in app/ (.ci/run does)", e);
        }
      }
      return source;
    }
  };

  /** Decodes the QR code shown in an element, from a screenshot of it, with ZXing. */
  static String scan(WebElement image) throws Exception {
    ((JavascriptExecutor) browser).executeScript("arguments[0].scrollIntoView({block: 'center'})", image);
    byte[] png = image.getScreenshotAs(OutputType.BYTES);
    Files.write(Path.of("target/qr-as-seen.png"), png);
    java.awt.image.BufferedImage shot = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
    com.google.zxing.BinaryBitmap bitmap = new com.google.zxing.BinaryBitmap(new com.google.zxing.common.HybridBinarizer(
        new com.google.zxing.client.j2se.BufferedImageLuminanceSource(shot)));
    try {
      return new com.google.zxing.qrcode.QRCodeReader().decode(bitmap,
          Map.of(com.google.zxing.DecodeHintType.TRY_HARDER, true)).getText();
    } catch (com.google.zxing.NotFoundException notFound) {
      // the element's own picture is the code and nothing else: read it as such (at some scales
      // of the modules the finder-pattern search misses what this reads)
      return new com.google.zxing.qrcode.QRCodeReader().decode(bitmap,
          Map.of(com.google.zxing.DecodeHintType.PURE_BARCODE, true)).getText();
    }
  }

  @Test
  @DisplayName("console: token once, live numbers move during a burst, every answer counted; pause, freeze, rate, key, revoke "
      + "each ask for confirmation and act; the audit log lists them")
  void console() throws Exception {
    Campaign c = LiveStack.create(Campaigns.open(Campaigns.uniqueId("console"), 9, 3, 500, 500));
    browser.get(LiveStack.base() + "/admin?campaign=" + c.id());
    browser.findElement(By.id("token")).sendKeys("not-the-token");
    browser.findElement(By.cssSelector("#login button")).click();
    waiting(10).until(ExpectedConditions.visibilityOfElementLocated(By.id("login-error")));
    browser.findElement(By.id("token")).clear();
    browser.findElement(By.id("token")).sendKeys(LiveStack.OPERATOR_TOKEN);
    browser.findElement(By.cssSelector("#login button")).click();
    waiting(10).until(ExpectedConditions.visibilityOfElementLocated(By.id("console")));
    waiting(10).until(ExpectedConditions.textToBe(By.id("feed"), "live"));

    ExecutorService burst = Executors.newFixedThreadPool(4);
    for (int i = 0; i < 200; i++) {
      int n = i;
      burst.submit(() -> LiveStack.claim(c.id(), "console-" + n, "m0", "m1"));
    }
    burst.shutdown();
    waiting(20).until(d -> Long.parseLong(d.findElement(By.id("confirmed")).getText()) >= 100);
    long admitted = Long.parseLong(browser.findElement(By.id("admitted")).getText());
    assertThat(admitted).isGreaterThanOrEqualTo(100);
    assertThat(browser.findElements(By.cssSelector("#merchants tbody tr"))).hasSize(2);
    screenshot("console-live");

    browser.findElement(By.id("pause")).click();
    assertThat(browser.findElement(By.id("confirm")).isDisplayed()).isTrue();
    assertThat(LiveStack.claim(c.id(), "before-confirm", "m0").status()).isEqualTo(202);
    browser.findElement(By.id("confirm-yes")).click();
    waiting(10).until(ExpectedConditions.textToBePresentInElementLocated(By.id("action-result"), "Paused"));
    ApiClient.Reply refused = LiveStack.claim(c.id(), "after-pause", "m0");
    assertThat(refused.status()).isEqualTo(503);
    waiting(10).until(ExpectedConditions.textToBe(By.id("state"), "paused"));
    screenshot("console-paused");
    JsonObject audit = LiveStack.admin("GET", "/admin/v1/audit?campaignId=" + c.id() + "&limit=1", null).array().getJsonObject(0);
    assertThat(audit.getString("action")).isEqualTo("campaign.pause");
    assertThat(audit.getJsonObject("detail").getString("reason")).isEqualTo("from the console");
    // every answer the gateways gave, refusals included (the pause's 503 among them)
    JsonObject answers = null;
    for (int i = 0; i < 40; i++) {
      answers = LiveStack.admin("GET", "/admin/v1/campaigns/" + c.id() + "/stats", null).json().getJsonObject("answers");
      if (answers != null && answers.containsKey("paused")) {
        break;
      }
      LiveStack.pause(250);
    }
    assertThat(answers).as("stats answers").isNotNull();
    assertThat(answers.fieldNames()).contains("paused", "queued");
    waiting(10).until(d -> d.findElement(By.id("answers")).getText().contains("paused"));
    assertThat(browser.findElement(By.id("answers")).getText()).contains("queued");

    confirmed("freeze", "Frozen");
    waiting(10).until(ExpectedConditions.textToBe(By.id("state"), "paused, decisions frozen"));
    assertThat(LiveStack.admin("GET", "/admin/v1/campaigns/" + c.id() + "/stats", null).status()).isEqualTo(200);
    confirmed("unfreeze", "Unfrozen");
    confirmed("resume", "Resumed");

    browser.findElement(By.id("rate")).sendKeys("777");
    browser.findElement(By.id("burst")).sendKeys("99");
    browser.findElement(By.cssSelector("#rate-form button")).click();
    confirmYes("Rate set");
    waiting(10).until(ExpectedConditions.textToBe(By.id("rate-now"), "777/s, burst 99"));
    JsonObject rateAudit = LiveStack.admin("GET", "/admin/v1/audit?campaignId=" + c.id() + "&limit=1", null).array()
        .getJsonObject(0);
    assertThat(rateAudit.getString("action")).isEqualTo("campaign.admission");
    assertThat(rateAudit.getJsonObject("detail").getJsonObject("after").getInteger("ratePerSecond")).isEqualTo(777);

    browser.findElement(By.id("key-merchant")).sendKeys("m1");
    browser.findElement(By.cssSelector("#key-form button")).click();
    confirmYes("Key created for m1");
    waiting(10).until(ExpectedConditions.textToBePresentInElementLocated(By.id("key-result"), "cgm_"));

    String code = LiveStack.awaitFinal(LiveStack.claim(c.id(), "to-revoke", "m1").json().getString("ticket"))
        .getJsonObject("voucher").getString("code");
    browser.findElement(By.id("revoke-codes")).sendKeys(code);
    new Select(browser.findElement(By.id("revoke-reason"))).selectByValue("mistake");
    browser.findElement(By.cssSelector("#revoke-form button")).click();
    confirmYes("Revoked 1 voucher(s); slots freed: 1.");

    browser.findElement(By.id("audit-load")).click();
    waiting(10).until(d -> d.findElement(By.id("audit")).getText().contains("voucher.revoke"));
    assertThat(browser.findElement(By.id("audit")).getText()).contains("merchant.key.create").contains("campaign.freeze");
    screenshot("console-actions");
  }

  /** Clicks an action's button, is asked, says yes, and sees the result. */
  static void confirmed(String button, String result) {
    browser.findElement(By.id(button)).click();
    confirmYes(result);
  }

  static void confirmYes(String result) {
    assertThat(browser.findElement(By.id("confirm")).isDisplayed()).isTrue();
    browser.findElement(By.id("confirm-yes")).click();
    waiting(10).until(ExpectedConditions.textToBePresentInElementLocated(By.id("action-result"), result));
  }
}
