package io.beamsuite.transforms.testing;

import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.GaugeResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/**
 * Reads the metrics a finished test pipeline reported, summed over all steps.
 *
 * <p>Reads committed values: the DirectRunner commits a bundle's committed metrics together with
 * its outputs, but its attempted metrics only after the outputs are handed on, so an attempted
 * value of the last bundles (for example updates made in {@code @FinishBundle}) can still be
 * missing when {@code waitUntilFinish()} returns.
 */
public final class PipelineMetrics {
  private PipelineMetrics() {}

  /** The committed value of counter {@code name} in {@code namespace}; 0 if it never moved. */
  public static long counter(PipelineResult result, Class<?> namespace, String name) {
    long total = 0;
    for (MetricResult<Long> counter : query(result, namespace, name).getCounters()) {
      total += counter.getCommitted();
    }
    return total;
  }

  /** The highest value gauge {@code name} took in any step; -1 if it was never set. */
  public static long gauge(PipelineResult result, Class<?> namespace, String name) {
    long value = -1;
    for (MetricResult<GaugeResult> gauge : query(result, namespace, name).getGauges()) {
      value = Math.max(value, gauge.getCommitted().getValue());
    }
    return value;
  }

  private static MetricQueryResults query(PipelineResult result, Class<?> namespace, String name) {
    return result
        .metrics()
        .queryMetrics(
            MetricsFilter.builder().addNameFilter(MetricNameFilter.named(namespace, name)).build());
  }
}
