package io.beamsuite.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * One run of one benchmark side in its own JVM (see {@link ChildRuns}), and the per-trial
 * comparisons of such runs: the benchmarks that run sides as child JVMs report them the same way.
 */
record ChildRun(
    String side,
    String input,
    int trial,
    long records,
    double wallSeconds,
    double cpuSeconds,
    double postgresCpuSeconds,
    long peakRssBytes,
    String rows,
    JsonNode result) {
  /** Complete trial rounds in {@code runs}. */
  static int rounds(List<ChildRun> runs) {
    return runs.stream().mapToInt(ChildRun::trial).max().orElse(0);
  }

  static double median(
      List<ChildRun> runs, String side, java.util.function.ToDoubleFunction<ChildRun> f) {
    double[] v = runs.stream().filter(r -> r.side().equals(side)).mapToDouble(f).toArray();
    return v.length == 0 ? Double.NaN : Stats.median(v);
  }

  static ChildRun find(List<ChildRun> runs, String side, int trial) {
    return runs.stream()
        .filter(r -> r.side().equals(side) && r.trial() == trial)
        .findFirst()
        .orElseThrow();
  }

  static double[] ratios(List<ChildRun> runs, int trials, String numerator, String denominator) {
    double[] out = new double[trials];
    for (int t = 1; t <= trials; t++) {
      out[t - 1] =
          find(runs, denominator, t).wallSeconds()
              / find(runs, numerator, t).wallSeconds()
              * find(runs, numerator, t).records()
              / find(runs, denominator, t).records();
    }
    return out;
  }

  static double[] steadyRatios(
      List<ChildRun> runs,
      int trials,
      String numerator,
      String denominator,
      Map<String, Double> startup) {
    double[] out = new double[trials];
    for (int t = 1; t <= trials; t++) {
      out[t - 1] =
          steadyRate(find(runs, numerator, t), startup)
              / steadyRate(find(runs, denominator, t), startup);
    }
    return out;
  }

  static double[] cpuRatios(List<ChildRun> runs, int trials, String numerator, String denominator) {
    double[] out = new double[trials];
    for (int t = 1; t <= trials; t++) {
      out[t - 1] = find(runs, numerator, t).cpuSeconds() / find(runs, denominator, t).cpuSeconds();
    }
    return out;
  }

  static double steadyRate(ChildRun r, Map<String, Double> startup) {
    return r.records() / Math.max(1e-3, r.wallSeconds() - startup.getOrDefault(r.side(), 0.0));
  }
}
