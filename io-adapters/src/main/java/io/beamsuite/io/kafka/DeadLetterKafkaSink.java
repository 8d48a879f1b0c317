package io.beamsuite.io.kafka;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import io.beamsuite.transforms.errors.DeadLetter;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Writes dead letters to the {@code dead-letters} topic (docs/pipelines.md): value = {@link
 * DeadLetter#toJson()}, key = the stage that rejected the record, so one stage's failures stay in
 * order within a partition. At least once (a dead letter may be repeated on retry, never lost).
 *
 * <p>A payload larger than {@link #MAX_TOPIC_PAYLOAD_BYTES} is cut to that size in the topic's copy
 * (the detail says so and gives the full size): Kafka's default 1 MiB record limit would otherwise
 * refuse the dead letter of an oversized record and fail the job. The {@code dead_letters} table
 * keeps the payload whole.
 *
 * <pre>{@code
 * parsed.deadLetters().apply("WriteDeadLetters", DeadLetterKafkaSink.to("127.0.0.1:9092"));
 * }</pre>
 */
public final class DeadLetterKafkaSink extends PTransform<PCollection<DeadLetter>, PDone> {
  /**
   * Largest payload a topic copy carries. JSON escaping can grow text up to 6x (a control
   * character), so 128 KiB stays well inside the 1 MiB default of brokers and producers.
   */
  public static final int MAX_TOPIC_PAYLOAD_BYTES = 128 * 1024;

  /** The dead-letter topic (docs/pipelines.md). */
  public static final String DEFAULT_TOPIC = "dead-letters";

  private final KafkaJsonSink sink;

  private DeadLetterKafkaSink(KafkaJsonSink sink) {
    this.sink = sink;
  }

  /** Writes to the {@code dead-letters} topic. */
  public static DeadLetterKafkaSink to(String bootstrapServers) {
    return to(bootstrapServers, DEFAULT_TOPIC);
  }

  /** Writes to {@code topic} instead of {@code dead-letters}. */
  public static DeadLetterKafkaSink to(String bootstrapServers, String topic) {
    checkArgumentNotNull(bootstrapServers, "bootstrapServers");
    return new DeadLetterKafkaSink(KafkaJsonSink.to(bootstrapServers, topic));
  }

  /** {@code letter}, with its payload cut to {@link #MAX_TOPIC_PAYLOAD_BYTES} if it is longer. */
  static DeadLetter forTopic(DeadLetter letter) {
    byte[] payload = letter.getPayload();
    if (payload.length <= MAX_TOPIC_PAYLOAD_BYTES) {
      return letter;
    }
    return DeadLetter.builder()
        .setStage(letter.getStage())
        .setReason(letter.getReason())
        .setDetail(
            "payload cut to its first "
                + MAX_TOPIC_PAYLOAD_BYTES
                + " of "
                + payload.length
                + " bytes for the topic (whole in the dead_letters table); "
                + letter.getDetail())
        .setErrorClass(letter.getErrorClass())
        .setPayload(java.util.Arrays.copyOf(payload, MAX_TOPIC_PAYLOAD_BYTES))
        .setFailedAt(letter.getFailedAt())
        .setSource(letter.getSource())
        .build();
  }

  /** The same sink with client settings such as security; see {@link KafkaClientProperties}. */
  public DeadLetterKafkaSink withClientProperties(KafkaClientProperties properties) {
    return new DeadLetterKafkaSink(sink.withClientProperties(properties));
  }

  @Override
  public PDone expand(PCollection<DeadLetter> input) {
    return input
        .apply(
            "ToJson",
            MapElements.into(
                    TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.strings()))
                .via((DeadLetter letter) -> KV.of(letter.getStage(), forTopic(letter).toJson())))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()))
        .apply("Write", sink);
  }
}
