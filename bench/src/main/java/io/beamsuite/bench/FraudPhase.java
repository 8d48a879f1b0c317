package io.beamsuite.bench;

import static io.beamsuite.bench.LatencyBenchmark.BLOCK;
import static io.beamsuite.bench.LatencyBenchmark.DRAIN_SECONDS;
import static io.beamsuite.bench.LatencyBenchmark.FEEDER_SLACK_MS;
import static io.beamsuite.bench.LatencyBenchmark.LAG_BOUND_MS;
import static io.beamsuite.bench.LatencyBenchmark.count;
import static io.beamsuite.bench.LatencyBenchmark.percentile;
import static io.beamsuite.bench.LatencyBenchmark.ruleOf;
import static io.beamsuite.bench.LatencyBenchmark.sorted;

import io.beamsuite.fixtures.services.EmbeddedPostgres;
import io.beamsuite.pipelines.fraud.FraudPipeline;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/** What one phase of the fraud feed sent and what arrived. */
final class FraudPhase {
  final String name;
  final int rate;
  final int seconds;
  int sent;
  long startMs;
  double feederBehindMs;
  double achievedRate;

  /** rule -> latencies (ms) of the rows that arrived, sorted. */
  final Map<String, double[]> latencies = new HashMap<>();

  /**
   * Window-rule alerts by {@value #SLICE_MS} ms slice of due time (slice start, epoch ms): {count,
   * max latency ms}. Shows when in the phase a latency tail happened (e.g. on minute boundaries).
   */
  final TreeMap<Long, double[]> windowRulesBySlice = new TreeMap<>();

  static final long SLICE_MS = 5_000;

  final Map<String, Integer> expected = new HashMap<>();
  int missing;
  int unexpected;
  double windowRulesLastThirdP99 = Double.NaN;
  boolean held;

  FraudPhase(String name, int rate, int seconds) {
    this.name = name;
    this.rate = rate;
    this.seconds = seconds;
  }

  double dueMs(int i) {
    return startMs + i * 1000.0 / rate;
  }

  String verdict() {
    if (held) {
      return "holds";
    }
    List<String> why = new ArrayList<>();
    if (feederBehindMs > FEEDER_SLACK_MS) {
      why.add(String.format(Locale.ROOT, "feeder %,.0f ms behind schedule", feederBehindMs));
    }
    if (missing > 0) {
      why.add(
          String.format(
              Locale.ROOT,
              "%,d alerts not there %d s after the last send",
              missing,
              DRAIN_SECONDS));
    }
    if (!(windowRulesLastThirdP99 <= LAG_BOUND_MS)) {
      why.add(
          String.format(
              Locale.ROOT,
              "window-rule p99 in the last third %,.0f ms > %,d ms",
              windowRulesLastThirdP99,
              LAG_BOUND_MS));
    }
    return "**falls behind** (" + String.join(", ", why) + ")";
  }

  /**
   * Waits until every alert this phase deserves is in the table (at most {@value
   * LatencyBenchmark#DRAIN_SECONDS} s after its last send), then computes its latencies and
   * verdict.
   */
  void drain(EmbeddedPostgres postgres) throws Exception {
    int expectedCount = expected.values().stream().mapToInt(Integer::intValue).sum();
    long deadline = System.currentTimeMillis() + TimeUnit.SECONDS.toMillis(DRAIN_SECONDS);
    String prefix = name + "-";
    while (count(postgres, "alert_key LIKE '" + prefix + "%'") < expectedCount
        && System.currentTimeMillis() < deadline) {
      Thread.sleep(250);
    }
    Map<String, List<Double>> byRule = new HashMap<>();
    List<Double> windowRulesLastThird = new ArrayList<>();
    double lastThirdFrom = dueMs(sent * 2 / 3);
    int arrived = 0;
    try (Connection c = postgres.connection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT rule, alert_key, (extract(epoch from inserted_at) * 1000)::float8 FROM "
                    + FraudPipeline.ALERTS_TABLE
                    + " WHERE alert_key LIKE '"
                    + prefix
                    + "%'")) {
      while (rs.next()) {
        String rule = rs.getString(1);
        int i = Integer.parseInt(rs.getString(2).substring(prefix.length()));
        if (!rule.equals(ruleOf(i % BLOCK))) {
          unexpected++;
          continue;
        }
        arrived++;
        double due = dueMs(i);
        double latency = rs.getDouble(3) - due;
        byRule.computeIfAbsent(rule, r -> new ArrayList<>()).add(latency);
        if (!rule.equals(FraudPipeline.AMOUNT_OVER_LIMIT)) {
          if (due >= lastThirdFrom) {
            windowRulesLastThird.add(latency);
          }
          double[] slice =
              windowRulesBySlice.computeIfAbsent(
                  (long) due / SLICE_MS * SLICE_MS,
                  t -> new double[] {0, Double.NEGATIVE_INFINITY});
          slice[0]++;
          slice[1] = Math.max(slice[1], latency);
        }
      }
    }
    byRule.forEach((rule, l) -> latencies.put(rule, sorted(l)));
    missing = expectedCount - arrived;
    windowRulesLastThirdP99 = percentile(sorted(windowRulesLastThird), 0.99);
    held =
        missing == 0
            && feederBehindMs <= FEEDER_SLACK_MS
            && windowRulesLastThirdP99 <= LAG_BOUND_MS;
  }
}
