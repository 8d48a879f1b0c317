package io.beamsuite.io.kafka;

import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.io.kafka.KafkaSourceDescriptor;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.joda.time.Duration;

/**
 * Builds the {@code KafkaIO} reads a {@link KafkaJsonSource} is configured for: the topics' read
 * with its event-time watermark policy, and the SDF read of explicit offset ranges.
 */
final class KafkaIoReads {
  private KafkaIoReads() {}

  /** One descriptor per replayed partition, from the source's offset ranges. */
  static List<KafkaSourceDescriptor> sourceDescriptors(KafkaJsonSource source) {
    List<KafkaSourceDescriptor> descriptors = new java.util.ArrayList<>();
    for (Map.Entry<Integer, long[]> range : source.offsetRanges().entrySet()) {
      descriptors.add(
          KafkaSourceDescriptor.of(
              new TopicPartition(source.topics().get(0), range.getKey()),
              range.getValue()[0],
              null,
              range.getValue()[1],
              null,
              List.of(source.bootstrapServers())));
    }
    return descriptors;
  }

  /** Consumer config of both reads: the client properties, then the explicit config, the group. */
  private static Map<String, Object> readConfig(KafkaJsonSource source) {
    Map<String, Object> config = source.clientProperties().plainProperties();
    config.putAll(source.consumerConfig());
    if (source.groupId() != null) {
      config.put(ConsumerConfig.GROUP_ID_CONFIG, source.groupId());
    }
    return config;
  }

  /** KafkaIO's SDF read of explicit offset ranges. */
  static KafkaIO.ReadSourceDescriptors<byte[], byte[]> offsetRangeRead(KafkaJsonSource source) {
    Map<String, Object> config = readConfig(source);
    KafkaIO.ReadSourceDescriptors<byte[], byte[]> read =
        KafkaIO.<byte[], byte[]>readSourceDescriptors()
            .withBootstrapServers(source.bootstrapServers())
            .withKeyDeserializer(ByteArrayDeserializer.class)
            .withValueDeserializer(ByteArrayDeserializer.class)
            .withConsumerConfigUpdates(config)
            .withExtractOutputTimestampFn(
                new KafkaRecordEventTimeFn(source.eventTimePath()).orRecordTimestamp());
    if (source.readCommitted()) {
      read = read.withReadCommitted();
    }
    if (source.badRecordHandler() != null) {
      read = read.withBadRecordErrorHandler(source.badRecordHandler());
    }
    if (source.clientProperties().consumerFactory() != null) {
      read = read.withConsumerFactoryFn(source.clientProperties().consumerFactory());
    }
    return read;
  }

  /** The topics' {@code KafkaIO} read with the source's watermark policy, limits and commits. */
  static KafkaIO.Read<byte[], byte[]> topicRead(KafkaJsonSource source) {
    Map<String, Object> config = readConfig(source);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, source.offsetReset());
    Duration delay = source.maxDelay();
    List<String> timePath = source.eventTimePath();
    KafkaIO.Read<byte[], byte[]> read =
        KafkaIO.<byte[], byte[]>read()
            .withBootstrapServers(source.bootstrapServers())
            .withTopics(source.topics())
            .withKeyDeserializerAndCoder(
                ByteArrayDeserializer.class, NullableCoder.of(ByteArrayCoder.of()))
            .withValueDeserializerAndCoder(
                ByteArrayDeserializer.class, NullableCoder.of(ByteArrayCoder.of()))
            .withConsumerConfigUpdates(config)
            .withTimestampPolicyFactory(
                source.eventTimeWatermark()
                    ? (tp, previousWatermark) ->
                        EventTimeWatermarkPolicy.eventTimeOnly(
                            new KafkaRecordEventTimeFn(timePath), delay, previousWatermark)
                    : (tp, previousWatermark) ->
                        EventTimeWatermarkPolicy.idlePartitionsAtWallClock(
                            new KafkaRecordEventTimeFn(timePath), delay, previousWatermark));
    if (source.groupId() != null) {
      read = read.commitOffsetsInFinalize();
    }
    if (source.readCommitted()) {
      read = read.withReadCommitted();
    }
    if (source.maxNumRecords() != null) {
      read = read.withMaxNumRecords(source.maxNumRecords());
    }
    if (source.maxReadTime() != null) {
      read = read.withMaxReadTime(source.maxReadTime());
    }
    if (source.badRecordHandler() != null) {
      read = read.withBadRecordErrorHandler(source.badRecordHandler());
    }
    if (source.clientProperties().consumerFactory() != null) {
      read = read.withConsumerFactoryFn(source.clientProperties().consumerFactory());
    }
    return read;
  }
}
