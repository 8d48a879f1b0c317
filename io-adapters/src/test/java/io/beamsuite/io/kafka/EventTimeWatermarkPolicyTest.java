package io.beamsuite.io.kafka;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.apache.beam.sdk.io.kafka.CustomTimestampPolicyWithLimitedDelay;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.KafkaTimestampType;
import org.apache.beam.sdk.io.kafka.TimestampPolicy;
import org.apache.beam.sdk.io.kafka.TimestampPolicy.PartitionContext;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Test;

/**
 * {@link EventTimeWatermarkPolicy}: why a replay needs the event-time-only mode (KafkaIO's
 * limited-delay policy moves a caught-up partition to wall-clock time, so history from 2024 is
 * "late" the moment the replay has read it), what the live mode shares with KafkaIO's policy, and
 * why neither mode lets a record without an event time move the watermark (KafkaIO's does: one
 * malformed record in a topic written today makes every later record of 2024 late).
 */
public class EventTimeWatermarkPolicyTest {
  private static final Duration DELAY = Duration.standardMinutes(1);
  private static final Instant T0 = Instant.parse("2024-03-01T10:00:00Z");

  @Test
  public void caughtUpPartitionKeepsItsEventTimeWatermark() {
    TimestampPolicy<byte[], byte[]> policy =
        EventTimeWatermarkPolicy.eventTimeOnly(fn(), DELAY, Optional.empty());
    assertEquals(BoundedWindow.TIMESTAMP_MIN_VALUE, policy.getWatermark(context(5, Instant.now())));
    policy.getTimestampForRecord(
        context(2, Instant.now()), record(T0.plus(Duration.standardMinutes(5))));
    policy.getTimestampForRecord(context(1, Instant.now()), record(T0)); // out of order
    Instant expected = T0.plus(Duration.standardMinutes(4));
    assertEquals(expected, policy.getWatermark(context(1, Instant.now())));
    // Caught up (no backlog), an hour of wall-clock time later: still event time.
    assertEquals(
        expected, policy.getWatermark(context(0, Instant.now().plus(Duration.standardHours(1)))));
  }

  @Test
  public void kafkaIoLimitedDelayPolicyJumpsToWallClockWhenCaughtUp() {
    // The trap this policy avoids, pinned so that a Beam upgrade that changes it is noticed.
    TimestampPolicy<byte[], byte[]> policy =
        new CustomTimestampPolicyWithLimitedDelay<>(
            fn().orRecordTimestamp(), DELAY, Optional.empty());
    policy.getTimestampForRecord(context(0, Instant.now()), record(T0));
    Instant watermark = policy.getWatermark(context(0, Instant.now()));
    assertTrue(
        "limited-delay watermark " + watermark + " should be near wall clock",
        watermark.isAfter(Instant.now().minus(Duration.standardMinutes(2))));
  }

  @Test
  public void restoredWatermarkNeverMovesBack() {
    Instant restored = T0.plus(Duration.standardHours(1));
    TimestampPolicy<byte[], byte[]> policy =
        EventTimeWatermarkPolicy.eventTimeOnly(fn(), DELAY, Optional.of(restored));
    policy.getTimestampForRecord(context(0, Instant.now()), record(T0));
    assertEquals(restored, policy.getWatermark(context(0, Instant.now())));
  }

  @Test
  public void livePolicyMovesACaughtUpPartitionToWallClockAndOnlyThen() {
    TimestampPolicy<byte[], byte[]> policy =
        EventTimeWatermarkPolicy.idlePartitionsAtWallClock(fn(), DELAY, Optional.empty());
    Instant now = Instant.now();
    // Nothing read yet: the partition holds the watermark, backlog or not (as KafkaIO's policy).
    assertEquals(BoundedWindow.TIMESTAMP_MIN_VALUE, policy.getWatermark(context(0, now)));
    policy.getTimestampForRecord(context(3, now), record(T0));
    assertEquals(T0.minus(DELAY), policy.getWatermark(context(3, now)));
    assertEquals(now.minus(DELAY), policy.getWatermark(context(0, now)));
    // Never back: a backlog again (new records of 2024) keeps the wall-clock watermark.
    assertEquals(now.minus(DELAY), policy.getWatermark(context(5, now)));
  }

  @Test
  public void aRecordWithoutEventTimeKeepsItsKafkaTimestampAndLeavesTheWatermark() {
    Instant writtenToday = Instant.now();
    for (TimestampPolicy<byte[], byte[]> policy :
        List.<TimestampPolicy<byte[], byte[]>>of(
            EventTimeWatermarkPolicy.eventTimeOnly(fn(), DELAY, Optional.empty()),
            EventTimeWatermarkPolicy.idlePartitionsAtWallClock(fn(), DELAY, Optional.empty()))) {
      policy.getTimestampForRecord(context(2, writtenToday), record(T0));
      assertEquals(
          writtenToday,
          policy.getTimestampForRecord(context(1, writtenToday), malformed(writtenToday)));
      assertEquals(T0.minus(DELAY), policy.getWatermark(context(1, writtenToday)));
    }
  }

  @Test
  public void kafkaIoLimitedDelayPolicyLetsAMalformedRecordMoveTheWatermark() {
    // Why KafkaJsonSource has its own policy; pinned so that a Beam upgrade that changes it is
    // noticed.
    Instant writtenToday = Instant.now();
    TimestampPolicy<byte[], byte[]> policy =
        new CustomTimestampPolicyWithLimitedDelay<>(
            fn().orRecordTimestamp(), DELAY, Optional.empty());
    policy.getTimestampForRecord(context(2, writtenToday), record(T0));
    policy.getTimestampForRecord(context(1, writtenToday), malformed(writtenToday));
    assertEquals(writtenToday.minus(DELAY), policy.getWatermark(context(1, writtenToday)));
  }

  private static KafkaRecord<byte[], byte[]> malformed(Instant kafkaTimestamp) {
    byte[] value = "{\"event_id\":\"e\",\"event_time\":".getBytes(StandardCharsets.UTF_8);
    return new KafkaRecord<>(
        "t",
        0,
        1L,
        kafkaTimestamp.getMillis(),
        KafkaTimestampType.CREATE_TIME,
        null,
        KV.of(new byte[0], value));
  }

  private static KafkaRecordEventTimeFn fn() {
    return new KafkaRecordEventTimeFn(List.of(EventTimes.FIELD));
  }

  private static KafkaRecord<byte[], byte[]> record(Instant eventTime) {
    byte[] value =
        ("{\"event_id\":\"e\",\"event_time\":\"" + eventTime + "\"}")
            .getBytes(StandardCharsets.UTF_8);
    return new KafkaRecord<>(
        "t", 0, 0L, 0L, KafkaTimestampType.CREATE_TIME, null, KV.of(new byte[0], value));
  }

  private static PartitionContext context(long backlog, Instant checkTime) {
    return new PartitionContext() {
      @Override
      public long getMessageBacklog() {
        return backlog;
      }

      @Override
      public Instant getBacklogCheckTime() {
        return checkTime;
      }
    };
  }
}
