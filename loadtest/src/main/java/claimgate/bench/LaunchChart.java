package claimgate.bench;

import claimgate.store.Database;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.TreeMap;

/**
 * The launch minute as a picture: claims admitted (by their admission time in Redis) and
 * vouchers confirmed (by their commit time) per second, from PostgreSQL after the run, as SVG.
 *
 * <pre>
 *   CLAIMGATE_PG_URL=... java ... claimgate.bench.LaunchChart launch-minute loadtest/charts/launch-minute.svg
 * </pre>
 */
public final class LaunchChart {

  static final String ADMITTED = """
      select split_part(stream_id, '-', 1)::bigint / 1000 as s, count(*) from claim where campaign_id = $1 group by 1""";
  static final String CONFIRMED = """
      select extract(epoch from decided_at)::bigint as s, count(*) from claim
      where campaign_id = $1 and status = 'confirmed' group by 1""";

  /** From a claim's admission (Redis time, its stream id) to its decision (commit time), in ms. */
  static final String DECISION_LAG = """
      select percentile_cont(array[0.5, 0.99]) within group (order by lag), max(lag), count(*) from (
        select extract(epoch from decided_at) * 1000 - split_part(stream_id, '-', 1)::bigint as lag
        from claim where campaign_id = $1) l""";

  public static void main(String[] args) throws Exception {
    String campaign = args[0];
    Path out = Path.of(args[1]);
    Vertx vertx = Vertx.vertx();
    Pool pool = Database.fromUrl(System.getenv("CLAIMGATE_PG_URL")).pool(vertx, 1);
    TreeMap<Long, Long> admitted = new TreeMap<>();
    TreeMap<Long, Long> confirmed = new TreeMap<>();
    for (Row r : pool.preparedQuery(ADMITTED).execute(Tuple.of(campaign)).await()) {
      admitted.put(r.getLong(0), r.getLong(1));
    }
    for (Row r : pool.preparedQuery(CONFIRMED).execute(Tuple.of(campaign)).await()) {
      confirmed.put(r.getLong(0), r.getLong(1));
    }
    Row lag = pool.preparedQuery(DECISION_LAG).execute(Tuple.of(campaign)).await().iterator().next();
    Object[] percentiles = lag.getArrayOfDoubles(0) == null ? new Object[0] : lag.getArrayOfDoubles(0);
    if (percentiles.length == 2) {
      System.out.printf(Locale.ROOT, "launch chart: from admission to decision, %,d claims: p50 %.0f ms, p99 %.0f ms, max %.0f ms%n",
          lag.getLong(2), (Double) percentiles[0], (Double) percentiles[1], lag.getDouble(1));
    }
    pool.close().await();
    vertx.close().await();
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, svg(admitted, confirmed));
    System.out.println("launch chart: " + out + " (" + admitted.size() + " s)");
  }

  static String svg(TreeMap<Long, Long> admitted, TreeMap<Long, Long> confirmed) {
    long first = Math.min(admitted.isEmpty() ? 0 : admitted.firstKey(), confirmed.isEmpty() ? Long.MAX_VALUE : confirmed.firstKey());
    long last = Math.max(admitted.isEmpty() ? 0 : admitted.lastKey(), confirmed.isEmpty() ? 0 : confirmed.lastKey());
    long seconds = Math.max(1, last - first + 1);
    long max = Math.max(1, Math.max(admitted.values().stream().mapToLong(Long::longValue).max().orElse(1),
        confirmed.values().stream().mapToLong(Long::longValue).max().orElse(1)));
    int w = 800;
    int h = 320;
    int left = 60;
    int bottom = 40;
    StringBuilder svg = new StringBuilder(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n"
            + "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n"
            + "<text x=\"%d\" y=\"18\">claims admitted and vouchers confirmed per second over the launch minute</text>%n"
            + "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>%n<line x1=\"%d\" y1=\"30\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>%n"
            + "<text x=\"4\" y=\"36\">%,d/s</text><text x=\"%d\" y=\"%d\">0 s</text><text x=\"%d\" y=\"%d\">%d s</text>%n",
        w, h, left, left, h - bottom, w - 10, h - bottom, left, left, h - bottom, max, left, h - bottom + 16, w - 50,
        h - bottom + 16, seconds));
    svg.append(line(admitted, first, seconds, max, w, h, left, bottom, "#0b6e4f"));
    svg.append(line(confirmed, first, seconds, max, w, h, left, bottom, "#1f4e9c"));
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#0b6e4f\">admitted</text>"
        + "<text x=\"%d\" y=\"%d\" fill=\"#1f4e9c\">confirmed</text>%n</svg>%n", w - 200, 36, w - 120, 36));
    return svg.toString();
  }

  static String line(TreeMap<Long, Long> perSecond, long first, long seconds, long max, int w, int h, int left, int bottom,
      String colour) {
    StringBuilder points = new StringBuilder();
    for (long s = 0; s < seconds; s++) {
      double x = left + (w - 10 - left) * (double) s / Math.max(1, seconds - 1);
      double y = h - bottom - (h - bottom - 30) * (double) perSecond.getOrDefault(first + s, 0L) / max;
      points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
    }
    return "<polyline fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"2\" points=\"" + points.toString().strip() + "\"/>\n";
  }
}
