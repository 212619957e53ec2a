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
import org.openqa.selenium.By;
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
 * ChromeDriver; .ci/run installs them). Screenshots land in target/screenshots.
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
            "--window-size=1280,1000", "--user-data-dir=" + Files.createTempDirectory("chromium"));
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

  @Test
  @DisplayName("launch page: shows the campaign, claims with ranked shops, waits while paused, retries by itself, shows the voucher")
  void launchPage() throws Exception {
    Campaign c = LiveStack.create(Campaigns.open(Campaigns.uniqueId("page"), 9, 3, 50, 50, 50));
    browser.get(LiveStack.base() + "/?campaign=" + c.id());
    waiting(10).until(ExpectedConditions.textToBe(By.id("name"), c.name()));
    assertThat(browser.findElements(By.cssSelector("#merchants tbody tr"))).hasSize(3);
    assertThat(browser.findElement(By.id("state")).getText()).isEqualTo("Open now");
    screenshot("launch-page-open");

    browser.findElement(By.id("citizen")).sendKeys("browser-citizen");
    new Select(browser.findElement(By.id("merchant"))).selectByValue("m1");
    browser.findElement(By.id("add")).click();
    browser.findElement(By.id("submit")).click();
    WebElement voucher = waiting(15).until(ExpectedConditions.visibilityOfElementLocated(By.id("voucher")));
    assertThat(voucher.getText()).matches(c.codePrefix() + "(-[0-9A-HJKMNP-TV-Z]{4}){5}");
    assertThat(browser.findElement(By.id("progress-title")).getText()).isEqualTo("Your voucher");
    screenshot("launch-page-voucher");

    // the waiting room: paused admission makes the page wait and retry on its own
    LiveStack.admin("POST", "/admin/v1/campaigns/" + c.id() + "/pause", null);
    browser.navigate().refresh();
    waiting(10).until(ExpectedConditions.textToBe(By.id("name"), c.name()));
    browser.findElement(By.id("citizen")).sendKeys("waiting-citizen");
    browser.findElement(By.id("submit")).click();
    waiting(10).until(ExpectedConditions.textToBe(By.id("progress-title"), "Admission is paused"));
    screenshot("launch-page-waiting");
    LiveStack.admin("POST", "/admin/v1/campaigns/" + c.id() + "/resume", null);
    WebElement second = waiting(30).until(ExpectedConditions.visibilityOfElementLocated(By.id("voucher")));
    assertThat(second.getText()).startsWith(c.codePrefix() + "-");
  }

  @Test
  @DisplayName("launch page in every other state: opens soon with a countdown, sold out, in the queue with no wait told "
      + "while decisions are frozen, a refusal in plain words, and an ended campaign")
  void launchPageStates() throws Exception {
    java.time.OffsetDateTime now = java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC);
    Campaign later = LiveStack.create(Campaigns.build(Campaigns.uniqueId("soon"), 9, 3,
        java.util.List.of(new Campaign.Round(now.plusHours(2), now.plusHours(3), 1.0)), 10, 10));
    browser.get(LiveStack.base() + "/?campaign=" + later.id());
    waiting(10).until(ExpectedConditions.textToBe(By.id("state"), "Opens soon"));
    waiting(5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("countdown"), "Opens in 1h"));
    screenshot("launch-page-scheduled");

    Campaign small = LiveStack.create(Campaigns.open(Campaigns.uniqueId("gone"), 9, 3, 1));
    LiveStack.awaitFinal(LiveStack.claim(small.id(), "first-comer", "m0").json().getString("ticket"));
    browser.get(LiveStack.base() + "/?campaign=" + small.id());
    waiting(15).until(d -> {
      d.navigate().refresh();
      return d.findElement(By.id("state")).getText().equals("All vouchers are gone");
    });
    assertThat(browser.findElement(By.id("claim")).isDisplayed()).isFalse();
    screenshot("launch-page-sold-out");

    Campaign frozen = LiveStack.create(Campaigns.open(Campaigns.uniqueId("frozen"), 1, 1, 20, 20));
    LiveStack.admin("POST", "/admin/v1/campaigns/" + frozen.id() + "/freeze", null);
    browser.get(LiveStack.base() + "/?campaign=" + frozen.id());
    waiting(10).until(ExpectedConditions.textToBe(By.id("name"), frozen.name()));
    browser.findElement(By.id("citizen")).sendKeys("patient-citizen");
    browser.findElement(By.id("submit")).click();
    waiting(10).until(ExpectedConditions.textToBe(By.id("progress-title"), "You are in the queue"));
    assertThat(browser.findElement(By.id("progress-text")).getText()).contains("cannot be told right now");
    screenshot("launch-page-queued-frozen");
    LiveStack.admin("POST", "/admin/v1/campaigns/" + frozen.id() + "/unfreeze", null);
    waiting(30).until(ExpectedConditions.visibilityOfElementLocated(By.id("voucher")));

    // the same person again, with the campaign's limit of one voucher reached
    browser.navigate().refresh();
    waiting(10).until(ExpectedConditions.textToBe(By.id("name"), frozen.name()));
    browser.findElement(By.id("citizen")).sendKeys("patient-citizen");
    new Select(browser.findElement(By.id("merchant"))).selectByValue("m1");
    browser.findElement(By.id("add")).click();
    browser.findElement(By.id("submit")).click();
    waiting(15).until(d -> {
      String title = d.findElement(By.id("progress-title")).getText();
      return title.equals("Not possible") || title.equals("No voucher this time");
    });
    assertThat(browser.findElement(By.id("progress-text")).getText()).isNotBlank();
    screenshot("launch-page-refused");

    Campaign ended = LiveStack.create(Campaigns.build(Campaigns.uniqueId("ended"), 9, 3,
        java.util.List.of(new Campaign.Round(now.minusHours(3), now.minusHours(2), 1.0)), 10));
    browser.get(LiveStack.base() + "/?campaign=" + ended.id());
    waiting(10).until(ExpectedConditions.textToBe(By.id("state"), "This campaign has ended"));
    screenshot("launch-page-ended");
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
