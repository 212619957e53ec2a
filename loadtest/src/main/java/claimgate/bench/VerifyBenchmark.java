package claimgate.bench;

import claimgate.log.DecisionLog;
import claimgate.voucher.VoucherCodes;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What checking a campaign's public log costs a citizen: the real allocator decides
 * {@code claims} claims (default 100,000) for a fifth as many vouchers, the campaign's log is
 * exported as {@code claimgate log export} writes it, and {@code claimgate verify} (the app's jar,
 * in a JVM of its own with a 512 MiB heap) checks it. Prints its verdict, the seconds it took
 * and its peak resident memory.
 *
 * <pre>
 *   loadtest/bench verify [-Dclaims=100000]
 * </pre>
 */
public final class VerifyBenchmark {

  public static void main(String[] args) throws Exception {
    int claims = Integer.getInteger("claims", 100_000);
    int vouchers = claims / 5;
    String id = "bench-verify";
    Path jar = Path.of(System.getProperty("jar", "app/target/claimgate.jar")).toAbsolutePath();
    try (BenchServers servers = BenchServers.start()) {
      Vertx vertx = Vertx.vertx();
      System.out.println("deciding " + claims + " claims with the allocator...");
      AllocatorBenchmark.allocate(vertx, servers, id, claims, vouchers, 100,
          VoucherCodes.fromSpec(VoucherCodes.newKeySpec(1, new SecureRandom())));
      Pool pool = servers.database.pool(vertx, 1);
      Path log = Files.createTempFile("decision-log", ".jsonl");
      List<String> lines = new java.util.ArrayList<>();
      DecisionLog.readAll(pool, id, lines::add).await();
      long records = lines.size();
      try (BufferedWriter out = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
        for (String line : lines) {
          out.write(line);
          out.write('\n');
        }
      }
      pool.close().await();
      vertx.close().await();

      Path output = Files.createTempFile("verify", ".out");
      long start = System.nanoTime();
      Process verify = Processes.start(Processes.jvm(List.of("-Xmx512m"), "-jar", jar.toString(), "verify",
          "--log", log.toString()), Map.of(), output);
      long peakKb = 0;
      while (verify.isAlive()) {
        peakKb = Math.max(peakKb, residentPeakKb(verify.pid()));
        Thread.sleep(50);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      String verdict = Files.readAllLines(output).stream().filter(l -> l.startsWith("ok ") || l.startsWith("violation"))
          .findFirst().orElse("no verdict; see " + output);
      System.out.printf(Locale.ROOT, "%n## claimgate verify (%,d claims decided by the allocator, %,d records, %.1f MB; %s)%n",
          claims, records, Files.size(log) / 1e6, servers.describe());
      System.out.printf(Locale.ROOT, "| verdict | %s |%n", verdict.length() > 160 ? verdict.substring(0, 160) + "…" : verdict);
      System.out.printf(Locale.ROOT, "| time, JVM start included | %.1f s | target < 10 s |%n", seconds);
      System.out.printf(Locale.ROOT, "| peak resident memory (-Xmx512m) | %.0f MiB | target < 512 MiB |%n", peakKb / 1024.0);
      if (verify.exitValue() != 0) {
        throw new AssertionError("the allocator's own log did not verify: " + verdict);
      }
    }
    System.exit(0);
  }

  /** The process's peak resident set so far (VmHWM), in KiB; 0 once it is gone. */
  private static long residentPeakKb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (java.io.IOException | NumberFormatException gone) {
      // it ended between two looks
    }
    return 0;
  }
}
