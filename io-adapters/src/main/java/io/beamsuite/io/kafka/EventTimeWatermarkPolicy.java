package io.beamsuite.io.kafka;

import java.util.Optional;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.TimestampPolicy;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The KafkaIO timestamp policy of {@link KafkaJsonSource}: per partition, the watermark trails the
 * largest <em>event time</em> read so far by {@code maxDelay}, and never moves back. Two modes:
 *
 * <ul>
 *   <li>{@link #idlePartitionsAtWallClock}: as KafkaIO's {@code
 *       CustomTimestampPolicyWithLimitedDelay}, a partition that has been read and has no backlog
 *       moves to {@code now - maxDelay}, so a live topic whose partitions go quiet still closes its
 *       windows;
 *   <li>{@link #eventTimeOnly}: never the wall clock, for replays of history (once a replay has
 *       caught up, the wall-clock rule would close every window of the history at once and make
 *       everything read after that late). The price: a partition that receives nothing holds the
 *       watermark where its last record put it (one that never had a record holds it at the
 *       minimum), so windows only close as new events arrive on every partition. See {@code
 *       docs/kappa.md}.
 * </ul>
 *
 * <p>A record whose event time cannot be read (malformed: the parser dead-letters it downstream) is
 * stamped with its Kafka record timestamp but <b>does not move the watermark</b>. KafkaIO's policy
 * lets it: a malformed record in a topic written long after its events (a backfill, a replay, a
 * test that produces history now) carries today's timestamp, the partition's watermark jumps to
 * today, and every valid record read after it is late.
 *
 * <pre>{@code
 * KafkaIO.<byte[], byte[]>read()
 *     .withTimestampPolicyFactory(
 *         (tp, previous) ->
 *             EventTimeWatermarkPolicy.idlePartitionsAtWallClock(
 *                 eventTimeOrNull, Duration.standardMinutes(1), previous));
 * }</pre>
 */
public final class EventTimeWatermarkPolicy<K, V> extends TimestampPolicy<K, V> {
  private final SerializableFunction<KafkaRecord<K, V>, @Nullable Instant> eventTime;
  private final Duration maxDelay;
  private final boolean idleAtWallClock;
  private Instant maxEventTime = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private boolean anyRecordRead;
  private Instant watermark;

  private EventTimeWatermarkPolicy(
      SerializableFunction<KafkaRecord<K, V>, @Nullable Instant> eventTime,
      Duration maxDelay,
      Optional<Instant> previousWatermark,
      boolean idleAtWallClock) {
    this.eventTime = eventTime;
    this.maxDelay = maxDelay;
    this.idleAtWallClock = idleAtWallClock;
    this.watermark = previousWatermark.orElse(BoundedWindow.TIMESTAMP_MIN_VALUE);
    this.anyRecordRead = previousWatermark.isPresent();
  }

  /**
   * Event time only, never the wall clock (replays of history).
   *
   * @param eventTime the record's event time, or {@code null} when it has none
   * @param maxDelay how far the watermark trails the largest event time
   * @param previousWatermark the watermark restored from a checkpoint, if any (never moves back)
   */
  public static <K, V> EventTimeWatermarkPolicy<K, V> eventTimeOnly(
      SerializableFunction<KafkaRecord<K, V>, @Nullable Instant> eventTime,
      Duration maxDelay,
      Optional<Instant> previousWatermark) {
    return new EventTimeWatermarkPolicy<>(eventTime, maxDelay, previousWatermark, false);
  }

  /** Event time, and a read partition without backlog at {@code now - maxDelay} (live topics). */
  public static <K, V> EventTimeWatermarkPolicy<K, V> idlePartitionsAtWallClock(
      SerializableFunction<KafkaRecord<K, V>, @Nullable Instant> eventTime,
      Duration maxDelay,
      Optional<Instant> previousWatermark) {
    return new EventTimeWatermarkPolicy<>(eventTime, maxDelay, previousWatermark, true);
  }

  @Override
  public Instant getTimestampForRecord(PartitionContext ctx, KafkaRecord<K, V> record) {
    anyRecordRead = true;
    Instant time = eventTime.apply(record);
    if (time == null) {
      return new Instant(record.getTimestamp());
    }
    if (time.isAfter(maxEventTime)) {
      maxEventTime = time;
    }
    return time;
  }

  @Override
  public Instant getWatermark(PartitionContext ctx) {
    Instant candidate = BoundedWindow.TIMESTAMP_MIN_VALUE;
    if (maxEventTime.isAfter(BoundedWindow.TIMESTAMP_MIN_VALUE)) {
      candidate = maxEventTime.minus(maxDelay);
    }
    if (idleAtWallClock && anyRecordRead && ctx.getMessageBacklog() == 0) {
      Instant idle = ctx.getBacklogCheckTime().minus(maxDelay);
      if (idle.isAfter(candidate)) {
        candidate = idle;
      }
    }
    if (candidate.isAfter(watermark)) {
      watermark = candidate;
    }
    return watermark;
  }
}
