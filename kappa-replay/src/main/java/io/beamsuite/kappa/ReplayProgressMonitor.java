package io.beamsuite.kappa;

import io.beamsuite.io.kafka.KafkaJsonSource;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.kafka.common.TopicPartition;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Measures how far a running replay has got, from the consumer group's committed offsets and the
 * readers' counters, and whether it has caught up with the live point; the rate between two looks
 * is what the ETA is computed from. Not thread-safe: poll from one thread.
 */
final class ReplayProgressMonitor {
  private final KafkaPositions kafka;
  private final String group;
  private final Map<TopicPartition, Long> start;
  private final Map<TopicPartition, Long> live;
  private final Map<String, String> readStepByTopic;
  private final long caughtUpLag;
  private final Supplier<@Nullable PipelineResult> result;
  private final long startNanos = System.nanoTime();
  private long lastPollNanos = startNanos;
  private long lastPosition;

  /**
   * @param readStepByTopic per topic, the name of the step reading it
   * @param result the pipeline's result once it has one (null before)
   */
  ReplayProgressMonitor(
      KafkaPositions kafka,
      String group,
      Map<TopicPartition, Long> start,
      Map<TopicPartition, Long> live,
      Map<String, String> readStepByTopic,
      long caughtUpLag,
      Supplier<@Nullable PipelineResult> result) {
    this.kafka = kafka;
    this.group = group;
    this.start = start;
    this.live = live;
    this.readStepByTopic = readStepByTopic;
    this.caughtUpLag = caughtUpLag;
    this.result = result;
    this.lastPosition = start.values().stream().mapToLong(Long::longValue).sum();
  }

  /** See {@link KappaReplay.Running#poll()}. */
  ReplayProgress poll() {
    Map<TopicPartition, Long> committed = kafka.committed(group);
    Map<String, Long> readByTopic = recordsReadByTopic();
    Map<String, Integer> partitionsByTopic = new java.util.HashMap<>();
    live.keySet().forEach(tp -> partitionsByTopic.merge(tp.topic(), 1, Integer::sum));
    Map<TopicPartition, Long> position = new java.util.TreeMap<>(KafkaPositions::compare);
    boolean caughtUp = true;
    long sum = 0;
    for (TopicPartition tp : live.keySet()) {
      long at = Math.max(start.get(tp), committed.getOrDefault(tp, start.get(tp)));
      Long read = readByTopic.get(tp.topic());
      if (read != null && partitionsByTopic.get(tp.topic()) == 1) {
        at = Math.max(at, start.get(tp) + read);
      }
      position.put(tp, at);
      sum += at;
      caughtUp &= live.get(tp) - at <= caughtUpLag;
    }
    long now = System.nanoTime();
    double seconds = (now - lastPollNanos) / 1e9;
    double rate = seconds <= 0 ? 0 : (sum - lastPosition) / seconds;
    lastPollNanos = now;
    lastPosition = sum;
    return new ReplayProgress((now - startNanos) / 1_000_000, position, live, rate, caughtUp);
  }

  /** Records between the replay's start offsets and the positions {@code progress} found. */
  long recordsRead(ReplayProgress progress) {
    long read = 0;
    for (TopicPartition tp : live.keySet()) {
      read += Math.max(0, progress.position().getOrDefault(tp, start.get(tp)) - start.get(tp));
    }
    return read;
  }

  /** Records read per topic from the readers' counters; empty when the runner has no metrics. */
  private Map<String, Long> recordsReadByTopic() {
    Map<String, Long> read = new java.util.HashMap<>();
    PipelineResult r = result.get();
    if (r == null) {
      return read;
    }
    try {
      MetricQueryResults metrics =
          r.metrics()
              .queryMetrics(
                  MetricsFilter.builder()
                      .addNameFilter(MetricNameFilter.named(KafkaJsonSource.class, "records_read"))
                      .build());
      for (MetricResult<Long> counter : metrics.getCounters()) {
        for (Map.Entry<String, String> e : readStepByTopic.entrySet()) {
          if (counter.getKey().stepName().startsWith(e.getValue() + "/")) {
            read.merge(e.getKey(), counter.getAttempted(), Long::sum);
          }
        }
      }
    } catch (RuntimeException e) {
      // Metrics not available (yet) on this runner: committed offsets only.
      read.clear();
    }
    return read;
  }
}
