package io.beamsuite.io.kafka;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;
import io.beamsuite.transforms.records.RawRecord;
import io.beamsuite.io.watermark.PaddedUnboundedSource;
import io.beamsuite.io.watermark.WatermarkStallMonitor;
import io.beamsuite.transforms.records.SourceCoordinates;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.io.kafka.CustomTimestampPolicyWithLimitedDelay;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.KafkaSourceDescriptor;
import org.apache.beam.sdk.io.kafka.KafkaUnboundedSources;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.options.ExperimentalOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.errorhandling.BadRecord;
import org.apache.beam.sdk.transforms.errorhandling.ErrorHandler;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
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
