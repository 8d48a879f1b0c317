package io.beamsuite.bench;

import static io.beamsuite.bench.LatencyBenchmark.DRAIN_SECONDS;
import static io.beamsuite.bench.LatencyBenchmark.createTable;
import static io.beamsuite.bench.LatencyBenchmark.deadLetters;
import static io.beamsuite.bench.LatencyBenchmark.ms;
import static io.beamsuite.bench.LatencyBenchmark.percentile;
import static io.beamsuite.bench.LatencyBenchmark.producer;
import static io.beamsuite.bench.LatencyBenchmark.sorted;

import io.beamsuite.fixtures.services.EmbeddedKafka;
import io.beamsuite.fixtures.services.EmbeddedPostgres;
import io.beamsuite.pipelines.clickstream.ClickstreamOptions;
import io.beamsuite.pipelines.clickstream.ClickstreamPipeline;
import io.beamsuite.pipelines.options.FlinkStreamingBundles;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The clickstream part of the latency section: page views on embedded Flink streaming from the
 * embedded broker, latency = the page-view row's insert time minus the click's send time.
 */
final class ClickstreamLatency {
  private static final int PAGES = 100;
  private static final long WATERMARK_DELAY_MS = 2_000;

  private ClickstreamLatency() {}

  static void run(
      Results out,
      EmbeddedPostgres postgres,
      EmbeddedKafka kafka,
      int rate,
      int windows,
      int warmupSeconds,
      List<String> failures)
      throws Exception {
    kafka.createTopic("clicks", 2);
    createTable(
        postgres,
        "CREATE TABLE "
            + ClickstreamPipeline.PAGE_VIEWS
            + " (page text, window_start timestamptz,"
            + " window_end timestamptz, views bigint,"
            + " inserted_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (page, window_start))");
    ClickstreamOptions options =
        PipelineOptionsFactory.fromArgs(
                BeamSide.flinkEmbeddedStreamingFromKafka(
                    kafka.bootstrapServers(),
                    "--clicksTopic=clicks",
                    "--maxOutOfOrdernessSeconds=2",
                    "--jdbcUrl=" + postgres.jdbcUrl(),
                    "--jdbcUser=" + postgres.user()))
            .as(ClickstreamOptions.class);
    Pipeline p = Pipeline.create(options);
    ClickstreamPipeline.build(p, options);
    FlinkStreamingBundles.preferOneElementBundles(p);
    PipelineResult result = p.run();
    // (page, window start) -> {clicks, due time of the page's last click in the window}
    Map<String, double[]> sent = new HashMap<>();
    long firstEnd;
    long lastEnd;
    try (KafkaProducer<String, String> producer = producer(kafka.bootstrapServers())) {
      // Start-up: a malformed click every half second until its dead letter is in the table.
      long upBy = System.currentTimeMillis() + TimeUnit.SECONDS.toMillis(300);
      while (deadLetters(postgres) == 0) {
        if (System.currentTimeMillis() > upBy) {
          throw new IllegalStateException(
              "no dead letter within 300 s; the clickstream job did not start");
        }
        producer.send(new ProducerRecord<>("clicks", "{\"event_id\":"));
        producer.flush();
        Thread.sleep(500);
      }
      long startMs = System.currentTimeMillis();
      // Measured: the first `windows` minutes ending after the warm-up; clicks continue until the
      // watermark (max event time - 2 s) has passed the last of them.
      firstEnd = (startMs + warmupSeconds * 1000L) / 60_000 * 60_000 + 60_000;
      lastEnd = firstEnd + (windows - 1) * 60_000L;
      long stopAt = lastEnd + WATERMARK_DELAY_MS + 2_000;
      long startNanos = System.nanoTime();
      for (long i = 0; ; i++) {
        double dueMs = startMs + i * 1000.0 / rate;
        if (dueMs >= stopAt) {
          break;
        }
        long due = startNanos + (long) (i * 1e9 / rate);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        long eventMs = (long) Math.floor(dueMs);
        String page = String.format("/p/%02d", i % PAGES);
        String user = "u-" + (i % 500);
        String key = page + "|" + (eventMs / 60_000 * 60_000);
        double[] cell = sent.computeIfAbsent(key, k -> new double[2]);
        cell[0]++;
        cell[1] = dueMs;
        producer.send(
            new ProducerRecord<>(
                "clicks",
                user,
                "{\"event_id\":\"c-"
                    + i
                    + "\",\"user_id\":\""
                    + user
                    + "\",\"page\":\""
                    + page
                    + "\",\"event_time\":\""
                    + Instant.ofEpochMilli(eventMs)
                    + "\"}"));
      }
      producer.flush();
    }
    List<Double> latencies = new ArrayList<>();
    // Per measured window (by its end): {rows expected, rows arrived, wrong counts}, latencies.
    Map<Long, int[]> windowRows = new TreeMap<>();
    Map<Long, List<Double>> windowLatencies = new TreeMap<>();
    int expectedRows = 0;
    int missing = 0;
    int wrongCounts = 0;
    try {
      long deadline = System.currentTimeMillis() + TimeUnit.SECONDS.toMillis(DRAIN_SECONDS);
      Map<String, double[]> rows = new HashMap<>();
      while (true) {
        rows.clear();
        try (Connection c = postgres.connection();
            Statement s = c.createStatement();
            ResultSet rs =
                s.executeQuery(
                    "SELECT page, (extract(epoch from window_start) * 1000)::bigint, views,"
                        + " (extract(epoch from inserted_at) * 1000)::float8 FROM "
                        + ClickstreamPipeline.PAGE_VIEWS)) {
          while (rs.next()) {
            rows.put(
                rs.getString(1) + "|" + rs.getLong(2),
                new double[] {rs.getLong(3), rs.getDouble(4)});
          }
        }
        expectedRows = 0;
        missing = 0;
        wrongCounts = 0;
        latencies.clear();
        windowRows.clear();
        windowLatencies.clear();
        for (Map.Entry<String, double[]> e : sent.entrySet()) {
          long windowEnd =
              Long.parseLong(e.getKey().substring(e.getKey().indexOf('|') + 1)) + 60_000;
          if (windowEnd < firstEnd || windowEnd > lastEnd) {
            continue;
          }
          expectedRows++;
          int[] perWindow = windowRows.computeIfAbsent(windowEnd, w -> new int[3]);
          perWindow[0]++;
          double[] row = rows.get(e.getKey());
          if (row == null) {
            missing++;
          } else {
            perWindow[1]++;
            if (row[0] != e.getValue()[0]) {
              wrongCounts++;
              perWindow[2]++;
            }
            latencies.add(row[1] - e.getValue()[1]);
            windowLatencies
                .computeIfAbsent(windowEnd, w -> new ArrayList<>())
                .add(row[1] - e.getValue()[1]);
          }
        }
        if ((missing == 0 && wrongCounts == 0) || System.currentTimeMillis() > deadline) {
          break;
        }
        Thread.sleep(500);
      }
    } finally {
      result.cancel();
    }
    double[] l = sorted(latencies);
    out.note(
        String.format(
            Locale.ROOT,
            "**clickstream.** `ClickstreamPipeline.build` on the same flags"
                + " (`--maxOutOfOrdernessSeconds=2`), topic `clicks` (2 partitions), %,d clicks/s open loop over %d"
                + " pages (`event_time` = due time). Measured: the %d one-minute window(s) ending after a %d s"
                + " warm-up. Latency of a `page_views_per_minute` row = its `inserted_at` (first insert; the"
                + " bench adds the column) − due time of the last click of that page in that window. The"
                + " on-time pane needs the watermark (max event time − 2 s) past the window end, so about"
                + " 2 s is the floor by design; the table also shows the latency minus those 2 s.",
            rate,
            PAGES,
            windows,
            warmupSeconds));
    List<List<String>> tableRows = new ArrayList<>();
    for (Map.Entry<Long, int[]> w : windowRows.entrySet()) {
      double[] wl = sorted(windowLatencies.getOrDefault(w.getKey(), List.of()));
      tableRows.add(
          List.of(
              String.format("%,d", rate),
              Instant.ofEpochMilli(w.getKey()).toString().substring(11, 16),
              String.valueOf(w.getValue()[0]),
              String.valueOf(w.getValue()[1]),
              String.valueOf(w.getValue()[2]),
              ms(percentile(wl, 0.5)),
              ms(percentile(wl, 0.99)),
              ms(wl.length == 0 ? Double.NaN : wl[wl.length - 1]),
              ms(percentile(wl, 0.5) - WATERMARK_DELAY_MS),
              ms(percentile(wl, 0.99) - WATERMARK_DELAY_MS)));
    }
    out.table(
        "clickstream: page_views_per_minute row latency per window (ms)",
        List.of(
            "clicks/s",
            "window end (UTC)",
            "rows expected",
            "rows arrived",
            "views ≠ clicks sent",
            "p50 ms",
            "p99 ms",
            "max ms",
            "p50 − 2 s",
            "p99 − 2 s"),
        tableRows);
    out.measure(
        String.format(Locale.ROOT, "clickstream page views p99 at %,d clicks/s", rate),
        new double[] {percentile(l, 0.99) / 1000},
        "s",
        null);
    if (missing > 0 || wrongCounts > 0 || expectedRows == 0) {
      failures.add(
          String.format(
              "clickstream: %d of %d page-view rows missing, %d with views ≠ clicks sent",
              missing, expectedRows, wrongCounts));
    }
  }
}
