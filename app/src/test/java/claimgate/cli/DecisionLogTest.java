package claimgate.cli;

import static claimgate.system.LiveStack.admin;
import static claimgate.system.LiveStack.awaitFinal;
import static claimgate.system.LiveStack.claim;
import static claimgate.system.LiveStack.create;
import static claimgate.system.LiveStack.get;
import static org.assertj.core.api.Assertions.assertThat;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignFiles;
import claimgate.log.DecisionLog;
import claimgate.verify.LogVerifier;
import claimgate.system.LiveStack;
import claimgate.system.PublicLog;
import claimgate.testkit.Campaigns;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The public decision log of a real campaign (stack, Redis, PostgreSQL): served in pages to
 * anyone, chained by hashes, with a receipt per decided claim, and checked offline by the
 * verifier, which finds every kind of tampering at the record where it happened.
 */
class DecisionLogTest {

  static Campaign c;
  static List<String> tickets = new ArrayList<>();
  static List<String> lines;
  static int confirmed;
  static String secondOfLogger0;

  @TempDir Path dir;

  @BeforeAll
  static void launch() {
    // m0 has 3 vouchers, m1 has 10; 2 per citizen, 1 per shop
    c = create(Campaigns.open(Campaigns.uniqueId("log"), 2, 1, 3, 10));
    for (int i = 0; i < 8; i++) {
      admitted(claim(c.id(), "logger-" + i, "m0", "m1"));
      if (i == 3) {
        assertThat(admin("POST", "/admin/v1/campaigns/" + c.id() + "/pause", new JsonObject()).status()).isEqualTo(200);
        assertThat(admin("POST", "/admin/v1/campaigns/" + c.id() + "/resume", new JsonObject()).status()).isEqualTo(200);
      }
    }
    // a second claim of one citizen: the same pseudonym in the log
    awaitFinal(tickets.get(0));
    claimgate.testkit.ApiClient.Reply second = claim(c.id(), "logger-0", "m1");
    assertThat(second.status()).isEqualTo(202);
    admitted(second);
    secondOfLogger0 = second.json().getString("ticket");
    assertThat(tickets).hasSize(9);
    tickets.forEach(t -> awaitFinal(t));
    tickets.forEach(t -> awaitFinal(t));
    // a withdrawal frees logger-1's slot and puts the voucher back in m0's stock: the allocator
    // takes it in at its next rules, and a newcomer gets it
    String code = awaitFinal(tickets.get(1)).getJsonObject("voucher").getString("code");
    assertThat(admin("POST", "/admin/v1/vouchers/revoke", new JsonObject()
        .put("codes", new io.vertx.core.json.JsonArray().add(code)).put("reason", "withdrawal")).status()).isEqualTo(200);
    // admission sees the voucher back once the allocator has taken the revocation in
    claimgate.testkit.ApiClient.Reply late = claim(c.id(), "logger-8", "m0");
    for (int tries = 0; late.status() == 410 && tries < 100; tries++) {
      LiveStack.pause(100);
      late = claim(c.id(), "logger-8", "m0");
    }
    assertThat(late.status()).isEqualTo(202);
    admitted(late);
    assertThat(awaitFinal(late.json().getString("ticket")).getJsonObject("voucher").getString("merchantId")).isEqualTo("m0");
    for (String t : tickets) {
      // every voucher ever confirmed: the revoked one too
      if (!awaitFinal(t).getString("status").equals("rejected")) {
        confirmed++;
      }
    }
    lines = export(3);
  }

  private static void admitted(claimgate.testkit.ApiClient.Reply reply) {
    if (reply.status() == 202) {
      tickets.add(reply.json().getString("ticket"));
    }
  }

  static List<String> export(int limit) {
    return PublicLog.export(c.id(), limit);
  }

  static LogVerifier.Result verify(List<String> log, JsonObject document, JsonObject receipt) {
    return PublicLog.verify(log, document, receipt);
  }

  @Test
  @DisplayName("the log holds the document, each claim's admission and decision, the release and the pause; it verifies ok and ends at the head")
  void cleanLogVerifies() {
    List<String> types = lines.stream().map(l -> new JsonObject(l).getString("type")).toList();
    assertThat(types.get(0)).isEqualTo("campaign");
    assertThat(types).contains("pause", "resume", "release", "rules", "revocation");
    assertThat(types.stream().filter("admission"::equals).count()).isEqualTo(tickets.size());
    assertThat(types.stream().filter("decision"::equals).count()).isEqualTo(tickets.size());
    LogVerifier.Result result = verify(lines, CampaignFiles.toJsonObject(c), null);
    assertThat(result.ok()).as(result.message()).isTrue();
    assertThat(result.figures()).containsEntry("admissions", (long) tickets.size()).containsEntry("confirmed", (long) confirmed);
    JsonObject head = get("/api/v1/campaigns/" + c.id() + "/log/head").json();
    assertThat(head.getLong("index")).isEqualTo(lines.size());
    assertThat(head.getString("hash")).isEqualTo(result.figures().get("head"));
    // pages of another size hold the same lines
    assertThat(export(1000)).isEqualTo(lines);
  }

  @Test
  @DisplayName("no citizen ID is in the log: a pseudonym, the same for both claims of one citizen, another for the next")
  void pseudonyms() {
    assertThat(String.join("\n", lines)).doesNotContain("logger-");
    JsonObject first = receipt(tickets.get(0));
    JsonObject again = receipt(secondOfLogger0);
    assertThat(again.getString("pseudonym")).isEqualTo(first.getString("pseudonym"));
    assertThat(receipt(tickets.get(1)).getString("pseudonym")).isNotEqualTo(first.getString("pseudonym"));
    // a ticket whose tag does not hold: unknown
    String t = tickets.get(0);
    int at = t.length() - 5;
    String forged = t.substring(0, at) + (t.charAt(at) == 'x' ? 'y' : 'x') + t.substring(at + 1);
    assertThat(get("/api/v1/claims/" + forged + "/receipt").json().getString("error")).isEqualTo("unknown_ticket");
  }

  static JsonObject receipt(String ticket) {
    return get("/api/v1/claims/" + ticket + "/receipt").json();
  }

  @Test
  @DisplayName("a claim still queued has no receipt yet: 404 not_decided")
  void noReceiptWhileQueued() {
    Campaign held = create(Campaigns.open(Campaigns.uniqueId("log-held"), 2, 1, 3));
    assertThat(admin("POST", "/admin/v1/campaigns/" + held.id() + "/freeze", new JsonObject()).status()).isEqualTo(200);
    String ticket = claim(held.id(), "waiting-citizen", "m0").json().getString("ticket");
    assertThat(get("/api/v1/claims/" + ticket + "/receipt").json().getString("error")).isEqualTo("not_decided");
    assertThat(admin("POST", "/admin/v1/campaigns/" + held.id() + "/unfreeze", new JsonObject()).status()).isEqualTo(200);
    awaitFinal(ticket);
    assertThat(get("/api/v1/claims/" + ticket + "/receipt").status()).isEqualTo(200);
  }

  @Test
  @DisplayName("a receipt names its admission and decision by index and hash; the verifier finds them, and refuses a receipt that does not match")
  void receipts() {
    JsonObject receipt = receipt(tickets.get(2));
    JsonObject admission = new JsonObject(lines.get((int) (long) receipt.getJsonObject("admission").getLong("index") - 1));
    assertThat(admission.getString("ticket")).isEqualTo(tickets.get(2));
    assertThat(admission.getString("citizen")).isEqualTo(receipt.getString("pseudonym"));
    assertThat(DecisionLog.hash(lines.get((int) (long) receipt.getJsonObject("decision").getLong("index") - 1)))
        .isEqualTo(receipt.getJsonObject("decision").getString("hash"));
    assertThat(verify(lines, null, receipt).ok()).isTrue();
    JsonObject wrong = receipt.copy();
    wrong.getJsonObject("decision").put("hash", "f".repeat(64));
    LogVerifier.Result refused = verify(lines, null, wrong);
    assertThat(refused.ok()).isFalse();
    assertThat(refused.index()).isEqualTo(receipt.getJsonObject("decision").getLong("index"));
  }

  @Test
  @DisplayName("tampering is found at its record: a changed byte, a dropped record, two decisions swapped")
  void tampering() {
    int k = indexOf("decision", 3);
    List<String> changed = new ArrayList<>(lines);
    changed.set(k - 1, changed.get(k - 1).replace("\"ticket\":\"", "\"ticket\":\"x"));
    assertFailsAt(changed, k);

    List<String> dropped = new ArrayList<>(lines);
    dropped.remove(k - 1);
    assertFailsAt(dropped, k);

    int a = indexOf("decision", 1);
    int b = indexOf("decision", 2);
    List<String> swapped = new ArrayList<>(lines);
    swapped.set(a - 1, lines.get(b - 1));
    swapped.set(b - 1, lines.get(a - 1));
    assertFailsAt(swapped, a);
  }

  @Test
  @DisplayName("a forged log with a sound chain is found by the rules: a voucher over a shop's contingent, "
      + "a decision before its admission, a claimant passed over for a shop with stock, another campaign document")
  void forgeries() {
    // one voucher more at m0, whose 3 are taken: admitted and confirmed at the end of the log,
    // the chain recomputed as a forger would
    List<String> extra = new ArrayList<>(lines);
    extra.add(DecisionLog.line(0, "", DecisionLog.admission("forged.1.99.x", 1_000_000,
        System.currentTimeMillis(), "f".repeat(32), List.of("m0"))));
    extra.add(DecisionLog.line(0, "", DecisionLog.decision("forged.1.99.x", "confirmed", "m0", null)));
    LogVerifier.Result forged = verify(rechain(extra, (i, r) -> r), null, null);
    assertThat(forged.ok()).isFalse();
    assertThat(forged.message()).contains("confirmed at m0, but by the campaign's rules at that point it is rejected (sold_out)");
    assertThat(forged.index()).isEqualTo(lines.size() + 2);

    // a decision of a ticket never admitted
    List<String> unadmitted = new ArrayList<>(lines);
    unadmitted.add(DecisionLog.line(0, "", DecisionLog.decision("forged.1.98.x", "rejected", null, "sold_out")));
    assertThat(verify(rechain(unadmitted, (i, r) -> r), null, null).index()).isEqualTo(lines.size() + 1);

    int firstAdmission = indexOf("admission", 1);
    List<String> early = new ArrayList<>(lines);
    early.remove(firstAdmission - 1);
    assertThat(verify(rechain(early, (i, r) -> r), null, null).index()).isEqualTo(firstAdmission);

    int firstConfirmed = lines.stream().map(JsonObject::new).filter(r -> "confirmed".equals(r.getString("outcome")))
        .findFirst().orElseThrow().getInteger("index");
    // the first claimant passed over: given its second choice while its first still had stock
    LogVerifier.Result passedOver = verify(rechain(lines, (i, r) -> i == firstConfirmed ? r.put("merchant", "m1") : r), null, null);
    assertThat(passedOver.index()).isEqualTo(firstConfirmed);
    assertThat(passedOver.message()).contains("is confirmed at m1, but by the campaign's rules at that point it is confirmed at m0");

    JsonObject otherDocument = CampaignFiles.toJsonObject(c);
    otherDocument.getJsonArray("merchants").getJsonObject(0).put("contingent", 30);
    assertThat(verify(lines, otherDocument, null).ok()).isFalse();
  }

  @Test
  @DisplayName("claimgate log export and claimgate verify: ok with the figures; a tampered file names its record and exits 1")
  void commandLine() throws Exception {
    Path log = dir.resolve("log.jsonl");
    StringWriter exported = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(exported));
    assertThat(cli.execute("log", "export", c.id(), "--url", LiveStack.base())).isEqualTo(0);
    Files.writeString(log, exported.toString());
    assertThat(Files.readAllLines(log)).isEqualTo(lines);
    Path document = dir.resolve("campaign.json");
    Files.writeString(document, CampaignFiles.toJson(c));
    Path receipt = dir.resolve("receipt.json");
    Files.writeString(receipt, receipt(tickets.get(4)).encode());

    StringWriter out = new StringWriter();
    CommandLine verify = Main.commandLine();
    verify.setOut(new PrintWriter(out));
    assertThat(verify.execute("verify", "--campaign", document.toString(), "--log", log.toString(),
        "--receipt", receipt.toString())).isEqualTo(0);
    assertThat(out.toString()).startsWith("ok ").contains("\"confirmed\":" + confirmed);

    List<String> tampered = new ArrayList<>(lines);
    tampered.set(4, tampered.get(4).replace("\"type\":\"", "\"type\": \""));
    Files.write(log, tampered);
    StringWriter bad = new StringWriter();
    CommandLine again = Main.commandLine();
    again.setOut(new PrintWriter(bad));
    assertThat(again.execute("verify", "--log", log.toString())).isEqualTo(1);
    assertThat(bad.toString()).startsWith("violation at record 5:");
  }

  private static void assertFailsAt(List<String> log, long index) {
    LogVerifier.Result result = verify(log, null, null);
    assertThat(result.ok()).isFalse();
    assertThat(result.index()).as(result.message()).isEqualTo(index);
  }

  private static int indexOf(String type, int n) {
    return PublicLog.indexOf(lines, type, n);
  }

  private static List<String> rechain(List<String> log, java.util.function.BiFunction<Integer, JsonObject, JsonObject> change) {
    return PublicLog.rechain(log, change);
  }
}
