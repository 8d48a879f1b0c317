package io.beamsuite.io.kafka;

import io.beamsuite.transforms.records.RawRecord;
import io.beamsuite.transforms.records.SourceCoordinates;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;

/** Kafka record to {@link RawRecord}: value bytes verbatim plus topic, partition and offset. */
final class ToRawRecordFn extends DoFn<KafkaRecord<byte[], byte[]>, RawRecord> {
  private static final long serialVersionUID = 1L;
  private final Counter recordsRead = Metrics.counter(KafkaJsonSource.class, "records_read");

  @ProcessElement
  public void process(@Element KafkaRecord<byte[], byte[]> record, OutputReceiver<RawRecord> out) {
    recordsRead.inc();
    byte[] value = record.getKV().getValue();
    // Tombstones become empty payloads: the parser dead-letters them with their coordinates.
    out.output(
        RawRecord.of(
            value == null ? new byte[0] : value,
            SourceCoordinates.of(record.getTopic(), record.getPartition(), record.getOffset())));
  }
}
