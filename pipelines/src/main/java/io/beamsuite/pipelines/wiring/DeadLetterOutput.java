package io.beamsuite.pipelines.wiring;

import io.beamsuite.io.jdbc.DeadLetterJdbcSink;
import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.io.kafka.DeadLetterKafkaSink;
import io.beamsuite.io.kafka.KafkaClientProperties;
import io.beamsuite.pipelines.options.BeamsuiteOptions;
import io.beamsuite.pipelines.options.OptionsValidation;
import io.beamsuite.transforms.errors.DeadLetter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PDone;

/**
 * Where a pipeline's dead letters end: the {@code dead_letters} table, and a Kafka topic when one
 * is configured. A dead letter the table refuses (it should not happen: the table has no
 * constraints) goes to the topic when there is one, and is otherwise counted by the sink.
 *
 * <pre>{@code
 * PCollectionList.of(parsed.deadLetters()).and(sinkFailures)
 *     .apply("DeadLetters", DeadLetterOutput.to(db, options));
 * }</pre>
 */
public final class DeadLetterOutput extends PTransform<PCollectionList<DeadLetter>, PDone> {
  private final JdbcConnectionSpec database;
  private final String topic;
  private final String bootstrapServers;
  private final KafkaClientProperties kafkaClient;

  private DeadLetterOutput(
      JdbcConnectionSpec database,
      String topic,
      String bootstrapServers,
      KafkaClientProperties kafkaClient) {
    this.database = database;
    this.topic = topic;
    this.bootstrapServers = bootstrapServers;
    this.kafkaClient = kafkaClient;
  }

  /**
   * Writes to the table, and to {@code --deadLetterTopic} unless it is empty (with the options'
   * Kafka client settings).
   */
  public static DeadLetterOutput to(JdbcConnectionSpec database, BeamsuiteOptions options) {
    return new DeadLetterOutput(
        database,
        options.getDeadLetterTopic(),
        options.getBootstrapServers(),
        OptionsValidation.kafkaClient(options));
  }

  @Override
  public PDone expand(PCollectionList<DeadLetter> input) {
    PCollection<DeadLetter> all = input.apply("AllDeadLetters", Flatten.pCollections());
    PCollection<DeadLetter> refused =
        all.apply("WriteDeadLetterTable", DeadLetterJdbcSink.to(database)).failures();
    if (!topic.isEmpty()) {
      PCollectionList.of(all)
          .and(refused)
          .apply("ToTopic", Flatten.pCollections())
          .apply(
              "WriteDeadLetterTopic",
              DeadLetterKafkaSink.to(bootstrapServers, topic).withClientProperties(kafkaClient));
    }
    return PDone.in(input.getPipeline());
  }
}
