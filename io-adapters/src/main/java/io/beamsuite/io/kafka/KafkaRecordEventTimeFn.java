package io.beamsuite.io.kafka;

import java.util.List;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/** The payload's event time, or {@code null} when it has none that can be read. */
final class KafkaRecordEventTimeFn
    implements SerializableFunction<KafkaRecord<byte[], byte[]>, @Nullable Instant> {
  private static final long serialVersionUID = 1L;
  private final List<String> path;

  KafkaRecordEventTimeFn(List<String> path) {
    this.path = List.copyOf(path);
  }

  @Override
  public @Nullable Instant apply(KafkaRecord<byte[], byte[]> record) {
    return EventTimes.timeOrNull(record.getKV().getValue(), path);
  }

  /** The event time, else the Kafka record timestamp: an output timestamp for every record. */
  SerializableFunction<KafkaRecord<byte[], byte[]>, Instant> orRecordTimestamp() {
    return record -> {
      Instant eventTime = apply(record);
      return eventTime != null ? eventTime : new Instant(record.getTimestamp());
    };
  }
}
