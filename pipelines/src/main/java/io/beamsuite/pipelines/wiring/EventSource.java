package io.beamsuite.pipelines.wiring;

import com.google.auto.value.AutoValue;
import io.beamsuite.io.files.JsonLinesFiles;
import io.beamsuite.io.kafka.KafkaClientProperties;
import io.beamsuite.io.kafka.KafkaJsonSource;
import io.beamsuite.pipelines.options.BeamsuiteOptions;
import io.beamsuite.pipelines.options.EventTimeWatermarkOptions;
import io.beamsuite.pipelines.options.OptionsValidation;
import io.beamsuite.pipelines.options.PipelineSettings;
import io.beamsuite.pipelines.options.SourceSpec;
import io.beamsuite.transforms.records.RawRecord;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * The raw records of one input of a pipeline, from Kafka or from JSON-lines files, timestamped with
 * their {@code event_time}. Whether the read is bounded follows from the options: files always,
 * Kafka with {@code --maxRecords} or {@code --maxReadSeconds}. The Kafka watermark follows event
 * time only when the settings say so ({@link EventTimeWatermarkOptions}, the Kappa replay).
 *
 * <pre>{@code
 * PipelineSettings settings = OptionsValidation.validate(options);
 * PCollection<RawRecord> raw =
 *     p.apply("ReadClicks", EventSource.of(settings, options, options.getClicksTopic()));
 * }</pre>
 */
@AutoValue
public abstract class EventSource extends PTransform<PBegin, PCollection<RawRecord>> {
  abstract SourceSpec source();

  abstract String topic();

  // Null only if set so programmatically; needed (and checked) only for a Kafka source.
  abstract @Nullable String bootstrapServers();

  abstract @Nullable String groupId();

  abstract long maxRecords();

  abstract long maxReadSeconds();

  abstract long maxOutOfOrdernessSeconds();

  abstract @Nullable String eventTimeField();

  abstract long watermarkStallWarningSeconds();

  abstract boolean eventTimeWatermark();

  abstract KafkaClientProperties kafkaClient();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setSource(SourceSpec source);

    abstract Builder setTopic(String topic);

    abstract Builder setBootstrapServers(@Nullable String bootstrapServers);

    abstract Builder setGroupId(@Nullable String groupId);

    abstract Builder setMaxRecords(long maxRecords);

    abstract Builder setMaxReadSeconds(long maxReadSeconds);

    abstract Builder setMaxOutOfOrdernessSeconds(long seconds);

    abstract Builder setEventTimeField(@Nullable String dottedPath);

    abstract Builder setWatermarkStallWarningSeconds(long seconds);

    abstract Builder setEventTimeWatermark(boolean eventTimeWatermark);

    abstract Builder setKafkaClient(KafkaClientProperties kafkaClient);

    abstract EventSource build();
  }

  /**
   * Reads the run's {@code --source} ({@code kafka} or {@code file:<glob>}) as parsed into {@code
   * settings}, with its consumer group and watermark policy; {@code topic} is the Kafka topic used
   * when the source is Kafka. Bounds and the watermark delay come from {@code options}.
   */
  public static EventSource of(PipelineSettings settings, BeamsuiteOptions options, String topic) {
    return fromOptions(settings.source(), options, topic)
        .setGroupId(settings.groupId())
        .setEventTimeWatermark(settings.eventTimeWatermark())
        .build();
  }

  /**
   * Reads {@code source} ({@code kafka} or {@code file:<glob>}); {@code topic} is the Kafka topic
   * used when the source is Kafka. Bounds, consumer group and the watermark come from {@code
   * options}. A pipeline builder uses {@link #of(PipelineSettings, BeamsuiteOptions, String)}.
   */
  public static EventSource of(String source, BeamsuiteOptions options, String topic) {
    return fromOptions(SourceSpec.parse(source), options, topic)
        .setGroupId(options.getGroupId())
        .setEventTimeWatermark(options.as(EventTimeWatermarkOptions.class).getEventTimeWatermark())
        .build();
  }

  private static Builder fromOptions(SourceSpec source, BeamsuiteOptions options, String topic) {
    return new AutoValue_EventSource.Builder()
        .setSource(source)
        .setTopic(topic)
        .setBootstrapServers(options.getBootstrapServers())
        .setMaxRecords(options.getMaxRecords())
        .setMaxReadSeconds(options.getMaxReadSeconds())
        .setMaxOutOfOrdernessSeconds(options.getMaxOutOfOrdernessSeconds())
        .setEventTimeField(null)
        .setWatermarkStallWarningSeconds(options.getWatermarkStallWarningSeconds())
        .setKafkaClient(OptionsValidation.kafkaClient(options));
  }

  /**
   * The same read from another source than the run's {@code --source}: another option's (e.g.
   * {@code --customersSource}) or a topic's part of a directory, already parsed.
   */
  public EventSource withSource(SourceSpec source) {
    if (source == null) {
      throw new IllegalArgumentException("source must not be null");
    }
    return toBuilder().setSource(source).build();
  }

  /**
   * The same source with its own Kafka record bound instead of {@code --maxRecords} (0 = no limit),
   * for a pipeline whose inputs hold different numbers of records (e.g. a change stream beside an
   * event topic).
   */
  public EventSource withMaxRecords(long maxRecords) {
    if (maxRecords < 0) {
      throw new IllegalArgumentException("maxRecords must be >= 0, got " + maxRecords);
    }
    return toBuilder().setMaxRecords(maxRecords).build();
  }

  /**
   * The same source with its own watermark bound instead of {@code --maxOutOfOrdernessSeconds}, for
   * an input whose disorder differs from the events' (e.g. a change stream, which arrives in commit
   * order).
   */
  public EventSource withMaxOutOfOrdernessSeconds(long seconds) {
    if (seconds < 0) {
      throw new IllegalArgumentException("maxOutOfOrdernessSeconds must be >= 0, got " + seconds);
    }
    return toBuilder().setMaxOutOfOrdernessSeconds(seconds).build();
  }

  /**
   * The same source taking Kafka event time from {@code dottedPath} (e.g. {@code
   * "after.updated_at"} of Debezium envelopes) instead of {@code event_time}; see {@link
   * KafkaJsonSource#withEventTimeField}. Files are bounded, so their timestamps do not drive a
   * watermark that could run ahead; they keep {@code event_time}.
   */
  public EventSource withEventTimeField(String dottedPath) {
    return toBuilder().setEventTimeField(dottedPath).build();
  }

  @Override
  public PCollection<RawRecord> expand(PBegin input) {
    if (source().isFile()) {
      return input.apply(
          "ReadJsonLines", JsonLinesFiles.read(source().fileGlob()).withTimestamps());
    }
    KafkaJsonSource read =
        KafkaJsonSource.of(bootstrapServers(), topic())
            .withMaxDelay(Duration.standardSeconds(maxOutOfOrdernessSeconds()))
            .withClientProperties(kafkaClient());
    if (groupId() != null) {
      read = read.withGroupId(groupId());
    }
    if (eventTimeField() != null) {
      read = read.withEventTimeField(eventTimeField());
    }
    if (eventTimeWatermark()) {
      read = read.withEventTimeWatermark();
    }
    if (watermarkStallWarningSeconds() > 0) {
      read =
          read.withWatermarkStallWarning(Duration.standardSeconds(watermarkStallWarningSeconds()));
    }
    if (maxRecords() > 0) {
      read = read.withMaxNumRecords(maxRecords());
    }
    if (maxReadSeconds() > 0) {
      read = read.withMaxReadTime(Duration.standardSeconds(maxReadSeconds()));
    }
    return input.apply("ReadKafka", read);
  }
}
