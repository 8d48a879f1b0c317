package io.beamsuite.bench;

import static io.beamsuite.bench.LatencyBenchmark.DRAIN_SECONDS;
import static io.beamsuite.bench.LatencyBenchmark.FEEDER_SLACK_MS;
import static io.beamsuite.bench.LatencyBenchmark.LAG_BOUND_MS;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
}
