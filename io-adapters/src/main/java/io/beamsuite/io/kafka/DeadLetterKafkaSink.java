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
 * Writes dead letters to the {@code dead-letters} topic (DESIGN.md §3): value = {@link
 * DeadLetter#toJson()}, key = the stage that rejected the record, so one stage's failures stay in
 * order within a partition. At least once (a dead letter may be repeated on retry, never lost).
 *
 * <pre>{@code
 * parsed.deadLetters().apply("WriteDeadLetters", DeadLetterKafkaSink.to("127.0.0.1:9092"));
 * }</pre>
 */
public final class DeadLetterKafkaSink extends PTransform<PCollection<DeadLetter>, PDone> {
  /** The topic of DESIGN.md §3. */
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
                .via((DeadLetter letter) -> KV.of(letter.getStage(), letter.toJson())))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()))
        .apply("Write", sink);
  }
}
