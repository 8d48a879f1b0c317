package io.beamsuite.transforms.testing;

import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.GaugeResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/** Reads the metrics a finished test pipeline reported, summed over all steps. */
public final class PipelineMetrics {
  private PipelineMetrics() {}

  /** The attempted value of counter {@code name} in {@code namespace}; 0 if it never moved. */
  public static long counter(PipelineResult result, Class<?> namespace, String name) {
    long total = 0;
    for (MetricResult<Long> counter : query(result, namespace, name).getCounters()) {
      total += counter.getAttempted();
    }
    return total;
  }

  /** The highest value gauge {@code name} took in any step; -1 if it was never set. */
  public static long gauge(PipelineResult result, Class<?> namespace, String name) {
    long value = -1;
    for (MetricResult<GaugeResult> gauge : query(result, namespace, name).getGauges()) {
      value = Math.max(value, gauge.getAttempted().getValue());
    }
    return value;
  }

  private static MetricQueryResults query(PipelineResult result, Class<?> namespace, String name) {
    return result
        .metrics()
        .queryMetrics(
            MetricsFilter.builder()
                .addNameFilter(MetricNameFilter.named(namespace, name))
                .build());
  }
}
