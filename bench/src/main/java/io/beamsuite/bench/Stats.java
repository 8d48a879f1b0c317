package io.beamsuite.bench;

import java.util.Arrays;

/** Summary statistics shared by the benchmarks, so that every section computes them alike. */
final class Stats {
  private Stats() {}

  /** The median of {@code values}: the mean of the two middle values for an even count. */
  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
