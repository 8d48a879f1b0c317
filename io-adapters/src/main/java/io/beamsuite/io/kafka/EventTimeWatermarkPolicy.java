package io.beamsuite.io.kafka;

import java.util.Optional;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.TimestampPolicy;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * A KafkaIO timestamp policy whose watermark follows event time only: per partition, the largest
 * event time read so far minus {@code maxDelay}. Unlike KafkaIO's {@code
 * CustomTimestampPolicyWithLimitedDelay}, it never consults the wall clock: that policy moves a
 * partition with no backlog to {@code now - maxDelay}, which is right for a live topic whose event
 * times are near now, and wrong for a replay of history (once the replay has caught up, or when a
 * partition briefly reports no backlog, the watermark jumps to today and every window of the
 * history closes at once; everything read after that is late).
 *
 * <p>The price: a partition that receives nothing holds the watermark where its last record put it
 * (a partition that never had a record holds it at the minimum), so windows only close as new
 * events arrive on every partition. That is the correct event-time answer for a replay; for a live
 * topic with partitions that go quiet, use the default policy. See {@code docs/kappa.md}.
 *
 * <pre>{@code
 * KafkaIO.<byte[], byte[]>read()
 *     .withTimestampPolicyFactory(
 *         (tp, previous) -> new EventTimeWatermarkPolicy<>(eventTimeFn, Duration.standardMinutes(1), previous));
 * }</pre>
 */
public final class EventTimeWatermarkPolicy<K, V> extends TimestampPolicy<K, V> {
  private final SerializableFunction<KafkaRecord<K, V>, Instant> eventTime;
  private final Duration maxDelay;
  private Instant maxEventTime;
  private Instant watermark;

  /**
   * @param eventTime the record's event time
   * @param maxDelay how far the watermark trails the largest event time
   * @param previousWatermark the watermark restored from a checkpoint, if any (never moves back)
   */
  public EventTimeWatermarkPolicy(
      SerializableFunction<KafkaRecord<K, V>, Instant> eventTime,
      Duration maxDelay,
      Optional<Instant> previousWatermark) {
    this.eventTime = eventTime;
    this.maxDelay = maxDelay;
    this.watermark = previousWatermark.orElse(BoundedWindow.TIMESTAMP_MIN_VALUE);
    this.maxEventTime = BoundedWindow.TIMESTAMP_MIN_VALUE;
  }

  @Override
  public Instant getTimestampForRecord(PartitionContext ctx, KafkaRecord<K, V> record) {
    Instant time = eventTime.apply(record);
    if (time.isAfter(maxEventTime)) {
      maxEventTime = time;
    }
    return time;
  }

  @Override
  public Instant getWatermark(PartitionContext ctx) {
    if (maxEventTime.isAfter(BoundedWindow.TIMESTAMP_MIN_VALUE)) {
      Instant candidate = maxEventTime.minus(maxDelay);
      if (candidate.isAfter(watermark)) {
        watermark = candidate;
      }
    }
    return watermark;
  }
}
