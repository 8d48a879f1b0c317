package io.beamsuite.io.kafka;

import java.util.List;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.joda.time.Instant;

/** The payload's event time, else the Kafka record timestamp. */
final class KafkaRecordEventTimeFn
    implements SerializableFunction<KafkaRecord<byte[], byte[]>, Instant> {
  private static final long serialVersionUID = 1L;
  private final List<String> path;

  KafkaRecordEventTimeFn(List<String> path) {
    this.path = List.copyOf(path);
  }

  @Override
  public Instant apply(KafkaRecord<byte[], byte[]> record) {
    Instant eventTime = EventTimes.timeOrNull(record.getKV().getValue(), path);
    return eventTime != null ? eventTime : new Instant(record.getTimestamp());
  }
}
