package io.beamsuite.io.kafka;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import com.google.auto.value.AutoValue;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.SimpleFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Writes {@code KV<key, json>} to a Kafka topic with {@code KafkaIO.write}, at least once by
 * default (idempotent producer, {@code acks=all}), or exactly once with {@link
 * #withExactlyOnce(int, String)}.
 *
 * <p>Exactly once maps to KafkaIO's {@code withEOS(numShards, sinkGroupId)}: records are written in
 * Kafka transactions committed together with the sink's state, so consumers reading with {@code
 * read_committed} see each record once even when bundles are retried. It needs a runner that
 * supports it — e.g. Flink with checkpointing enabled, or Dataflow; the DirectRunner runs it, which
 * is how the tests exercise it. The sink group id must be stable across restarts of the same job
 * and unique per sink. Counter: {@code records_written}.
 *
 * <pre>{@code
 * alerts.apply("WriteAlerts",
 *     KafkaJsonSink.to("127.0.0.1:9092", "alerts").withExactlyOnce(1, "fraud-alerts-sink"));
 * }</pre>
 */
@AutoValue
public abstract class KafkaJsonSink extends PTransform<PCollection<KV<String, String>>, PDone> {
  abstract String bootstrapServers();

  abstract String topic();

  abstract int numShards();

  abstract @Nullable String sinkGroupId();

  abstract Map<String, Object> producerConfig();

  abstract KafkaClientProperties clientProperties();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setBootstrapServers(String bootstrapServers);

    abstract Builder setTopic(String topic);

    abstract Builder setNumShards(int numShards);

    abstract Builder setSinkGroupId(@Nullable String sinkGroupId);

    abstract Builder setProducerConfig(Map<String, Object> producerConfig);

    abstract Builder setClientProperties(KafkaClientProperties clientProperties);

    abstract KafkaJsonSink build();
  }

  /** Writes to {@code topic} on the cluster at {@code bootstrapServers}. */
  public static KafkaJsonSink to(String bootstrapServers, String topic) {
    checkArgumentNotNull(bootstrapServers, "bootstrapServers");
    checkArgumentNotNull(topic, "topic");
    if (bootstrapServers.isBlank() || topic.isBlank()) {
      throw new IllegalArgumentException("bootstrapServers and topic must be non-blank");
    }
    return new AutoValue_KafkaJsonSink.Builder()
        .setBootstrapServers(bootstrapServers)
        .setTopic(topic)
        .setNumShards(0)
        .setProducerConfig(Map.of())
        .setClientProperties(KafkaClientProperties.none())
        .build();
  }

  /**
   * Exactly-once delivery with {@code numShards} transactional writers and a sink group id that
   * identifies this sink across job restarts (see the class documentation for runner support).
   */
  public KafkaJsonSink withExactlyOnce(int numShards, String sinkGroupId) {
    if (numShards <= 0) {
      throw new IllegalArgumentException("numShards must be positive");
    }
    if (sinkGroupId == null || sinkGroupId.isBlank()) {
      throw new IllegalArgumentException("sinkGroupId must be non-blank");
    }
    return toBuilder().setNumShards(numShards).setSinkGroupId(sinkGroupId).build();
  }

  /**
   * Extra producer properties (for example security settings). Passed to the producer only, never
   * logged or rendered by this transform.
   */
  public KafkaJsonSink withProducerConfig(Map<String, Object> extra) {
    Map<String, Object> merged = new HashMap<>(producerConfig());
    merged.putAll(extra);
    return toBuilder().setProducerConfig(Map.copyOf(merged)).build();
  }

  /**
   * Client settings such as security ({@link KafkaClientProperties}): the plain properties join the
   * producer config; a secrets file is read by the producer factory where each producer is created
   * (and by the consumer that exactly-once delivery uses to read its committed state).
   */
  public KafkaJsonSink withClientProperties(KafkaClientProperties properties) {
    checkArgumentNotNull(properties, "properties");
    return toBuilder().setClientProperties(properties).build();
  }

  @Override
  public PDone expand(PCollection<KV<String, String>> input) {
    Map<String, Object> config = clientProperties().plainProperties();
    config.putAll(producerConfig());
    config.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
    config.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    KafkaIO.Write<String, String> write =
        KafkaIO.<String, String>write()
            .withBootstrapServers(bootstrapServers())
            .withTopic(topic())
            .withKeySerializer(StringSerializer.class)
            .withValueSerializer(StringSerializer.class)
            .withProducerConfigUpdates(config);
    if (clientProperties().secretsFile() != null) {
      write =
          write
              .withProducerFactoryFn(clientProperties().<String, String>producerFactory())
              .withConsumerFactoryFn(clientProperties().consumerFactory());
    }
    if (sinkGroupId() != null) {
      write = write.withEOS(numShards(), sinkGroupId());
    }
    return input
        .apply("CountWritten", MapElements.via(new CountFn()))
        .setCoder(input.getCoder())
        .apply("WriteKafka", write);
  }

  static final class CountFn extends SimpleFunction<KV<String, String>, KV<String, String>> {
    private static final long serialVersionUID = 1L;
    private final Counter written = Metrics.counter(KafkaJsonSink.class, "records_written");

    @Override
    public KV<String, String> apply(KV<String, String> record) {
      written.inc();
      return record;
    }
  }
}
