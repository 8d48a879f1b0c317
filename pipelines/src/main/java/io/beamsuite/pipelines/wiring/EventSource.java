package io.beamsuite.pipelines.wiring;

import io.beamsuite.io.files.JsonLinesFiles;
import io.beamsuite.io.kafka.KafkaJsonSource;
import io.beamsuite.pipelines.options.BeamsuiteOptions;
import io.beamsuite.pipelines.options.EventTimeWatermarkOptions;
import io.beamsuite.pipelines.options.SourceSpec;
import io.beamsuite.transforms.errors.RawRecord;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * The raw records of one input of a pipeline, from Kafka or from JSON-lines files, timestamped with
 * their {@code event_time}. Whether the read is bounded follows from the options: files always,
 * Kafka with {@code --maxRecords} or {@code --maxReadSeconds}. The Kafka watermark follows event
 * time only when the options say so ({@link EventTimeWatermarkOptions}, the Kappa replay).
 *
 * <pre>{@code
 * PCollection<RawRecord> raw =
 *     p.apply("ReadClicks", EventSource.of(options.getSource(), options, options.getClicksTopic()));
 * }</pre>
 */
public final class EventSource extends PTransform<PBegin, PCollection<RawRecord>> {
  private final SourceSpec source;
  private final String topic;
  private final String bootstrapServers;
  private final @Nullable String groupId;
  private final long maxRecords;
  private final long maxReadSeconds;
  private final long maxOutOfOrdernessSeconds;
  private final @Nullable String eventTimeField;
  private final boolean eventTimeWatermark;

  private EventSource(SourceSpec source, String topic, BeamsuiteOptions options) {
    this(
        source,
        topic,
        options.getBootstrapServers(),
        options.getGroupId(),
        options.getMaxRecords(),
        options.getMaxReadSeconds(),
        options.getMaxOutOfOrdernessSeconds(),
        null,
        options.as(EventTimeWatermarkOptions.class).getEventTimeWatermark());
  }

  private EventSource(
      SourceSpec source,
      String topic,
      String bootstrapServers,
      @Nullable String groupId,
      long maxRecords,
      long maxReadSeconds,
      long maxOutOfOrdernessSeconds,
      @Nullable String eventTimeField,
      boolean eventTimeWatermark) {
    this.source = source;
    this.topic = topic;
    this.bootstrapServers = bootstrapServers;
    this.groupId = groupId;
    this.maxRecords = maxRecords;
    this.maxReadSeconds = maxReadSeconds;
    this.maxOutOfOrdernessSeconds = maxOutOfOrdernessSeconds;
    this.eventTimeField = eventTimeField;
    this.eventTimeWatermark = eventTimeWatermark;
  }

  /**
   * Reads {@code source} ({@code kafka} or {@code file:<glob>}); {@code topic} is the Kafka topic
   * used when the source is Kafka. Bounds and the watermark delay come from {@code options}.
   */
  public static EventSource of(String source, BeamsuiteOptions options, String topic) {
    return new EventSource(SourceSpec.parse(source), topic, options);
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
    return new EventSource(
        source,
        topic,
        bootstrapServers,
        groupId,
        maxRecords,
        maxReadSeconds,
        maxOutOfOrdernessSeconds,
        eventTimeField,
        eventTimeWatermark);
  }

  /**
   * The same source taking Kafka event time from {@code dottedPath} (e.g. {@code
   * "after.updated_at"} of Debezium envelopes) instead of {@code event_time}; see {@link
   * KafkaJsonSource#withEventTimeField}. Files are bounded, so their timestamps do not drive a
   * watermark that could run ahead; they keep {@code event_time}.
   */
  public EventSource withEventTimeField(String dottedPath) {
    return new EventSource(
        source,
        topic,
        bootstrapServers,
        groupId,
        maxRecords,
        maxReadSeconds,
        maxOutOfOrdernessSeconds,
        dottedPath,
        eventTimeWatermark);
  }

  @Override
  public PCollection<RawRecord> expand(PBegin input) {
    if (source.isFile()) {
      return input.apply("ReadJsonLines", JsonLinesFiles.read(source.fileGlob()).withTimestamps());
    }
    KafkaJsonSource read =
        KafkaJsonSource.of(bootstrapServers, topic)
            .withMaxDelay(Duration.standardSeconds(maxOutOfOrdernessSeconds));
    if (groupId != null) {
      read = read.withGroupId(groupId);
    }
    if (eventTimeField != null) {
      read = read.withEventTimeField(eventTimeField);
    }
    if (eventTimeWatermark) {
      read = read.withEventTimeWatermark();
    }
    if (maxRecords > 0) {
      read = read.withMaxNumRecords(maxRecords);
    }
    if (maxReadSeconds > 0) {
      read = read.withMaxReadTime(Duration.standardSeconds(maxReadSeconds));
    }
    return input.apply("ReadKafka", read);
  }
}
