package io.beamsuite.pipelines.options;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.List;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.DefaultValueFactory;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Options every beamsuite pipeline shares: where events come from, where results and dead letters
 * go, and the event-time policy. Each pipeline extends it with its own options; {@link
 * OptionsValidation#validate} rejects bad values with a message naming the option.
 *
 * <pre>{@code
 * ClickstreamOptions options =
 *     PipelineOptionsFactory.fromArgs("--source=file:/data/clicks/**.jsonl")
 *         .withValidation()
 *         .as(ClickstreamOptions.class);
 * }</pre>
 */
public interface BeamsuiteOptions extends PipelineOptions {
  @Description(
      "Where the input comes from: 'kafka' (the pipeline's topic; unbounded unless --maxRecords"
          + " or --maxReadSeconds) or 'file:<glob>' (JSON-lines files, bounded)")
  @Default.String("kafka")
  String getSource();

  void setSource(String source);

  @Description("Kafka bootstrap servers (host:port[,host:port])")
  @Default.String("127.0.0.1:9092")
  String getBootstrapServers();

  void setBootstrapServers(String bootstrapServers);

  @Description(
      "Extra Kafka client properties for every consumer and producer, key=value[,key=value], e.g."
          + " security.protocol=SASL_SSL,sasl.mechanism=PLAIN. They are printed and travel with the"
          + " job, so secret keys (sasl.jaas.config, *.password) are refused: use --kafkaSecretsFile")
  @Nullable List<String> getKafkaProperties();

  void setKafkaProperties(@Nullable List<String> properties);

  @Description(
      "Java properties file with secret Kafka client settings (e.g. sasl.jaas.config), read where"
          + " each Kafka client is created (the workers; the launcher too on Dataflow Runner v1);"
          + " only the path travels with the job")
  @Nullable String getKafkaSecretsFile();

  void setKafkaSecretsFile(@Nullable String path);

  @Description("Kafka consumer group; when set, offsets are committed as bundles finalize")
  @Nullable String getGroupId();

  void setGroupId(@Nullable String groupId);

  @Description("Stop after reading this many Kafka records (a bounded run); 0 = no limit")
  @Default.Long(0)
  long getMaxRecords();

  void setMaxRecords(long maxRecords);

  @Description("Stop reading Kafka after this many seconds (a bounded run); 0 = no limit")
  @Default.Long(0)
  long getMaxReadSeconds();

  void setMaxReadSeconds(long maxReadSeconds);

  @Description(
      "Event-time disorder the Kafka watermark allows: it trails the largest event time seen by"
          + " this many seconds. Default 60; 3 for the low-latency pipelines (fraud)")
  @Default.InstanceFactory(MaxOutOfOrdernessDefault.class)
  long getMaxOutOfOrdernessSeconds();

  void setMaxOutOfOrdernessSeconds(long seconds);

  @Description(
      "Warn when the event-time watermark of a Kafka input has not moved for this many seconds"
          + " (plus --maxOutOfOrdernessSeconds) while records arrive: the usual symptom of a reader"
          + " without records, e.g. fewer partitions than the parallelism with an event-time-only"
          + " watermark; 0 = no check")
  @Default.Long(120)
  long getWatermarkStallWarningSeconds();

  void setWatermarkStallWarningSeconds(long seconds);

  @Description("How long after a window's end records are still accepted (then routed late)")
  @Default.Long(600)
  long getAllowedLatenessSeconds();

  void setAllowedLatenessSeconds(long seconds);

  @Description("Event-time span within which a repeated event_id counts as a duplicate")
  @Default.Long(60)
  long getDedupRetentionMinutes();

  void setDedupRetentionMinutes(long minutes);

  @Description(
      "Dedup state keys: event ids are hashed into this many keys; 0 = one state key per id."
          + " Unset: 1 on the DirectRunner (which runs each state key as its own bundle), one key"
          + " per id elsewhere in streaming. Bounded runs off the DirectRunner group the copies of"
          + " each id and keep the one read first from its file or partition, and ignore this")
  @Nullable Integer getDedupKeyBuckets();

  void setDedupKeyBuckets(@Nullable Integer buckets);

  @Description("JDBC URL of the PostgreSQL database receiving results and dead letters")
  @Default.String("jdbc:postgresql://127.0.0.1:5432/postgres")
  String getJdbcUrl();

  void setJdbcUrl(String jdbcUrl);

  @Description("Database user")
  @Default.String("postgres")
  String getJdbcUser();

  void setJdbcUser(String jdbcUser);

  @Description(
      "Database password. Prefer --jdbcPasswordEnv: a password given here is kept out of printed"
          + " and serialized options, but it is on the command line and travels serialized with"
          + " the JDBC steps (a Flink job graph, a Dataflow job spec; run-dataflow.sh refuses it)")
  @JsonIgnore
  @Nullable String getJdbcPassword();

  void setJdbcPassword(@Nullable String jdbcPassword);

  @Description("Name of an environment variable holding the database password (read on workers)")
  @Nullable String getJdbcPasswordEnv();

  void setJdbcPasswordEnv(@Nullable String name);

  @Description(
      "Kafka topic that also receives dead letters (besides the dead_letters table); empty = none")
  @Default.String("")
  String getDeadLetterTopic();

  void setDeadLetterTopic(String topic);

  @Description("Delivery guarantee of Kafka outputs: at-least-once or exactly-once")
  @Default.String("at-least-once")
  String getGuarantee();

  void setGuarantee(String guarantee);

  /** 60 s, or {@link LowLatencyOptions#MAX_OUT_OF_ORDERNESS_SECONDS} for a low-latency pipeline. */
  final class MaxOutOfOrdernessDefault implements DefaultValueFactory<Long> {
    @Override
    public Long create(PipelineOptions options) {
      // `options` is the view the value is read through: a low-latency pipeline's own options.
      return options instanceof LowLatencyOptions
          ? LowLatencyOptions.MAX_OUT_OF_ORDERNESS_SECONDS
          : 60L;
    }
  }
}
