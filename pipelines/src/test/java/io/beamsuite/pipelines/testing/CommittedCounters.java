package io.beamsuite.pipelines.testing;

import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/**
 * Committed counter values of a finished run, summed over steps. Committed, because the
 * DirectRunner commits them with each bundle's outputs while attempted values lag behind.
 */
public final class CommittedCounters {
  private CommittedCounters() {}

  /** The committed total of counter {@code name} in namespace {@code namespace}. */
  public static long of(PipelineResult result, Class<?> namespace, String name) {
    return sum(result, namespace, name, true);
  }

  /**
   * The final value of a counter on any runner: committed where the runner has committed values,
   * attempted (final once the run has finished) where it does not, as on Flink and Spark.
   */
  public static long ofFinishedRun(PipelineResult result, Class<?> namespace, String name) {
    try {
      return sum(result, namespace, name, true);
    } catch (UnsupportedOperationException noCommittedMetrics) {
      return sum(result, namespace, name, false);
    }
  }

  private static long sum(
      PipelineResult result, Class<?> namespace, String name, boolean committed) {
    long total = 0;
    for (MetricResult<Long> m :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(namespace, name))
                    .build())
            .getCounters()) {
      total += committed ? m.getCommitted() : m.getAttempted();
    }
    return total;
  }
}
