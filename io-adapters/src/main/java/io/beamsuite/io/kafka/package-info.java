/**
 * Kafka sources and sinks of beamsuite around Beam's {@code KafkaIO}: {@link
 * io.beamsuite.io.kafka.KafkaJsonSource} reads JSON topics as {@link
 * io.beamsuite.transforms.records.RawRecord}s with event-time timestamps, {@link
 * io.beamsuite.io.kafka.KafkaJsonSink} writes keyed JSON (optionally exactly once), and {@link
 * io.beamsuite.io.kafka.DeadLetterKafkaSink} writes dead letters to the {@code dead-letters} topic.
 *
 * <pre>{@code
 * PCollection<RawRecord> raw =
 *     p.apply(KafkaJsonSource.of("127.0.0.1:9092", "clicks").withGroupId("clickstream"));
 * }</pre>
 */
package io.beamsuite.io.kafka;
