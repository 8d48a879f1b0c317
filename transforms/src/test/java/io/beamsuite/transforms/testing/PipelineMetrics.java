package io.beamsuite.transforms.testing;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.GaugeResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/**
 * Reads the metrics a finished test pipeline reported, summed over all steps.
 *
 * <p>The DirectRunner commits a bundle's metrics after the bundle completes, so updates of the
 * last bundles (for example those made in {@code @FinishBundle}) can land just after {@code
 * waitUntilFinish()} returns. Every read first waits, once per result, until the counters stop
 * moving.
 */
public final class PipelineMetrics {
  private static final Map<PipelineResult, Boolean> SETTLED =
      Collections.synchronizedMap(new WeakHashMap<>());

  private PipelineMetrics() {}

  /** Waits (at most 5 s) until two reads 200 ms apart see the same counters. */
  public static void settle(PipelineResult result) {
    if (SETTLED.containsKey(result)) {
      return;
    }
    String previous = null;
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (System.nanoTime() < deadline) {
      StringBuilder snapshot = new StringBuilder();
      for (MetricResult<Long> counter : result.metrics().allMetrics().getCounters()) {
        snapshot.append(counter.getKey()).append('=').append(counter.getAttempted()).append(';');
      }
      String current = snapshot.toString();
      if (current.equals(previous)) {
        break;
      }
      previous = current;
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    SETTLED.put(result, true);
  }

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
    settle(result);
    return result
        .metrics()
        .queryMetrics(
            MetricsFilter.builder()
                .addNameFilter(MetricNameFilter.named(namespace, name))
                .build());
  }
}
