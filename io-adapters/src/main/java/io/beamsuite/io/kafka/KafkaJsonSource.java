package io.beamsuite.io.kafka;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import com.google.auto.value.AutoValue;
import io.beamsuite.io.watermark.PaddedUnboundedSource;
import io.beamsuite.io.watermark.WatermarkStallMonitor;
import io.beamsuite.transforms.records.RawRecord;
import io.beamsuite.transforms.records.SourceCoordinates;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.KafkaUnboundedSources;
import org.apache.beam.sdk.options.ExperimentalOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.errorhandling.BadRecord;
import org.apache.beam.sdk.transforms.errorhandling.ErrorHandler;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Reads JSON topics with {@code KafkaIO} as {@link RawRecord}s: the value bytes verbatim plus
 * {@link SourceCoordinates}(topic, partition, offset), timestamped with the payload's {@code
 * event_time}.
 *
 * <p>Event time uses a bounded-out-of-orderness policy ({@link EventTimeWatermarkPolicy}): the
 * watermark trails the largest event time seen by {@link #withMaxDelay max delay}, and a partition
 * without backlog moves to wall-clock time minus that delay, as with KafkaIO's {@code
 * CustomTimestampPolicyWithLimitedDelay}; {@link #withEventTimeWatermark} follows event time only
 * (for replays of history). A record whose {@code event_time} cannot be read keeps its Kafka record
 * timestamp but does not move the watermark (KafkaIO's policy would move it to that timestamp: in a
 * topic written after its events, to today); {@code ParseJson} dead-letters it downstream. A record
 * with a null value (a tombstone) becomes an empty payload, which the parser dead-letters as {@code
 * empty_payload}, so nothing vanishes and nothing crashes the read. Deserializer failures inside
 * KafkaIO go to the handler given with {@link #withBadRecordErrorHandler}.
 *
 * <p>An unbounded read gives every runner reader a split even when the topics have fewer partitions
 * than the parallelism ({@link PaddedUnboundedSource}), so that no reader without a partition holds
 * the watermark back; {@link #withWatermarkStallWarning} warns when the watermark stops moving
 * anyway.
 *
 * <p>Unbounded by default. {@link #withMaxNumRecords} or {@link #withMaxReadTime} make it bounded
 * (both use KafkaIO's legacy reader); {@link #withOffsetRange} replays explicit offsets of one
 * partition (KafkaIO's SDF reader). With a {@link #withGroupId group id}, offsets are committed
 * back to Kafka when the runner finalizes a checkpoint ({@code commitOffsetsInFinalize}), so a
 * restarted pipeline resumes there. Counter: {@code records_read}.
 *
 * <pre>{@code
 * PCollection<RawRecord> clicks =
 *     p.apply("ReadClicks",
 *         KafkaJsonSource.of("127.0.0.1:9092", "clicks")
 *             .withGroupId("clickstream")
 *             .withMaxDelay(Duration.standardMinutes(1)));
 * ParseJson.Result<Click> parsed = clicks.apply(ParseJson.of(Click.class));
 * }</pre>
 */
@AutoValue
public abstract class KafkaJsonSource extends PTransform<PBegin, PCollection<RawRecord>> {
  /** Default bound on out-of-orderness: the watermark trails the max event time by this much. */
  public static final Duration DEFAULT_MAX_DELAY = Duration.standardMinutes(1);

  abstract String bootstrapServers();

  abstract List<String> topics();

  abstract @Nullable String groupId();

  abstract Duration maxDelay();

  abstract boolean eventTimeWatermark();

  abstract List<String> eventTimePath();

  abstract @Nullable Long maxNumRecords();

  abstract @Nullable Duration maxReadTime();

  abstract boolean readCommitted();

  abstract String offsetReset();

  abstract Map<String, Object> consumerConfig();

  abstract KafkaClientProperties clientProperties();

  abstract @Nullable Duration watermarkStallThreshold();

  abstract @Nullable ErrorHandler<BadRecord, ?> badRecordHandler();

  /** Partition to {start, stop}; when non-empty the read is an explicit, bounded offset replay. */
  abstract Map<Integer, long[]> offsetRanges();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setBootstrapServers(String bootstrapServers);

    abstract Builder setTopics(List<String> topics);

    abstract Builder setGroupId(@Nullable String groupId);

    abstract Builder setMaxDelay(Duration maxDelay);

    abstract Builder setEventTimeWatermark(boolean eventTimeWatermark);

    abstract Builder setEventTimePath(List<String> eventTimePath);

    abstract Builder setMaxNumRecords(@Nullable Long maxNumRecords);

    abstract Builder setMaxReadTime(@Nullable Duration maxReadTime);

    abstract Builder setReadCommitted(boolean readCommitted);

    abstract Builder setOffsetReset(String offsetReset);

    abstract Builder setConsumerConfig(Map<String, Object> consumerConfig);

    abstract Builder setClientProperties(KafkaClientProperties clientProperties);

    abstract Builder setWatermarkStallThreshold(@Nullable Duration threshold);

    abstract Builder setBadRecordHandler(@Nullable ErrorHandler<BadRecord, ?> handler);

    abstract Builder setOffsetRanges(Map<Integer, long[]> offsetRanges);

    abstract KafkaJsonSource autoBuild();

    /** Offset ranges are a bounded replay of their own: no record or time limit on top. */
    KafkaJsonSource build() {
      KafkaJsonSource source = autoBuild();
      if (!source.offsetRanges().isEmpty()
          && (source.maxNumRecords() != null || source.maxReadTime() != null)) {
        throw new IllegalArgumentException(
            "offset ranges cannot be combined with max records/time");
      }
      return source;
    }
  }

  /** Reads {@code topics} (at least one) from the cluster at {@code bootstrapServers}. */
  public static KafkaJsonSource of(String bootstrapServers, String... topics) {
    checkArgumentNotNull(bootstrapServers, "bootstrapServers");
    if (bootstrapServers.isBlank() || topics.length == 0) {
      throw new IllegalArgumentException("bootstrapServers and at least one topic are required");
    }
    return new AutoValue_KafkaJsonSource.Builder()
        .setBootstrapServers(bootstrapServers)
        .setTopics(List.of(topics))
        .setMaxDelay(DEFAULT_MAX_DELAY)
        .setEventTimeWatermark(false)
        .setEventTimePath(List.of(EventTimes.FIELD))
        .setReadCommitted(false)
        .setOffsetReset("earliest")
        .setConsumerConfig(Map.of())
        .setClientProperties(KafkaClientProperties.none())
        .setOffsetRanges(Map.of())
        .build();
  }

  /**
   * Consumer group; enables committing offsets when checkpoints are finalized, so an unbounded read
   * resumes where it stopped. Do not rely on the committed offset after a bounded {@link
   * #withMaxNumRecords} read: KafkaIO can commit past the last record it emitted (seen on the
   * DirectRunner); replay exact ranges with {@link #withOffsetRange} instead.
   */
  public KafkaJsonSource withGroupId(String groupId) {
    if (groupId == null || groupId.isBlank()) {
      throw new IllegalArgumentException("groupId must be non-blank");
    }
    return toBuilder().setGroupId(groupId).build();
  }

  /** Bound on out-of-orderness of {@code event_time}; the watermark trails the max by this. */
  public KafkaJsonSource withMaxDelay(Duration maxDelay) {
    checkArgumentNotNull(maxDelay, "maxDelay");
    if (maxDelay.isShorterThan(Duration.ZERO)) {
      throw new IllegalArgumentException("maxDelay must not be negative");
    }
    return toBuilder().setMaxDelay(maxDelay).build();
  }

  /**
   * Watermark from event time only ({@link EventTimeWatermarkPolicy}): the largest event time read
   * per partition minus {@link #withMaxDelay max delay}, never the wall clock. For replays of
   * history (Kappa): the default policy advances a caught-up partition to {@code now - maxDelay},
   * which makes every window of old event times close at once. The trade-off: a partition that
   * receives nothing holds the watermark (see {@code docs/kappa.md}). Applies to the KafkaIO read
   * (unbounded or {@link #withMaxNumRecords}); {@link #withOffsetRange} replays keep the SDF
   * reader's own watermark estimator.
   */
  public KafkaJsonSource withEventTimeWatermark() {
    return toBuilder().setEventTimeWatermark(true).build();
  }

  /**
   * Takes event time from the ISO-8601 instant at {@code dottedPath} instead of the top-level
   * {@code event_time}, e.g. {@code "after.updated_at"} for Debezium envelopes, so the watermark of
   * a change stream follows the rows' own time. Records without it keep the Kafka record time.
   */
  public KafkaJsonSource withEventTimeField(String dottedPath) {
    checkArgumentNotNull(dottedPath, "dottedPath");
    if (dottedPath.isBlank() || dottedPath.startsWith(".") || dottedPath.endsWith(".")) {
      throw new IllegalArgumentException(
          "expected a field path like after.updated_at, got '" + dottedPath + "'");
    }
    return toBuilder().setEventTimePath(List.of(dottedPath.split("\\."))).build();
  }

  /** Bounded: stop after this many records (across all partitions). */
  public KafkaJsonSource withMaxNumRecords(long maxNumRecords) {
    if (maxNumRecords <= 0) {
      throw new IllegalArgumentException("maxNumRecords must be positive");
    }
    return toBuilder().setMaxNumRecords(maxNumRecords).build();
  }

  /** Bounded: stop reading after this much processing time. */
  public KafkaJsonSource withMaxReadTime(Duration maxReadTime) {
    checkArgumentNotNull(maxReadTime, "maxReadTime");
    return toBuilder().setMaxReadTime(maxReadTime).build();
  }

  /**
   * Only read committed transactional records (use after an exactly-once {@link KafkaJsonSink}).
   */
  public KafkaJsonSource withReadCommitted() {
    return toBuilder().setReadCommitted(true).build();
  }

  /**
   * Where to start when the group has no committed offset: {@code earliest} (default, a full
   * replay) or {@code latest}.
   */
  public KafkaJsonSource withOffsetReset(String offsetReset) {
    if (!"earliest".equals(offsetReset) && !"latest".equals(offsetReset)) {
      throw new IllegalArgumentException("offsetReset must be earliest or latest");
    }
    return toBuilder().setOffsetReset(offsetReset).build();
  }

  /**
   * Extra consumer properties (for example security settings). They are passed to the consumer only
   * and never logged or rendered by this transform.
   */
  public KafkaJsonSource withConsumerConfig(Map<String, Object> extra) {
    Map<String, Object> merged = new HashMap<>(consumerConfig());
    merged.putAll(extra);
    return toBuilder().setConsumerConfig(Map.copyOf(merged)).build();
  }

  /**
   * Client settings such as security ({@link KafkaClientProperties}): the plain properties join the
   * consumer config; a secrets file is read by the consumer factory where each consumer is created,
   * so its content never travels with the job.
   */
  public KafkaJsonSource withClientProperties(KafkaClientProperties properties) {
    checkArgumentNotNull(properties, "properties");
    return toBuilder().setClientProperties(properties).build();
  }

  /**
   * Logs a warning (and counts {@code watermark_stalls}) when the watermark of an unbounded read
   * has not passed a record's event time {@code threshold} plus {@link #withMaxDelay max delay}
   * after the record was read; see {@link WatermarkStallMonitor}. Off unless called; ignored for
   * bounded reads.
   */
  public KafkaJsonSource withWatermarkStallWarning(Duration threshold) {
    checkArgumentNotNull(threshold, "threshold");
    if (!threshold.isLongerThan(Duration.ZERO)) {
      throw new IllegalArgumentException("the stall threshold must be positive, got " + threshold);
    }
    return toBuilder().setWatermarkStallThreshold(threshold).build();
  }

  /** Where KafkaIO sends records it cannot deserialize, e.g. a handler of {@code DeadLetters}. */
  public KafkaJsonSource withBadRecordErrorHandler(ErrorHandler<BadRecord, ?> handler) {
    checkArgumentNotNull(handler, "handler");
    return toBuilder().setBadRecordHandler(handler).build();
  }

  /**
   * Bounded replay of offsets {@code [startOffset, stopOffset)} of one partition (call once per
   * partition; single-topic sources only). Uses KafkaIO's SDF reader ({@code
   * readSourceDescriptors}); record timestamps are still the {@code event_time}, but the watermark
   * follows the SDF's default estimator instead of {@link #withMaxDelay} — fine for a bounded
   * replay, where nothing is read after the watermark reaches the end.
   */
  public KafkaJsonSource withOffsetRange(int partition, long startOffset, long stopOffset) {
    if (topics().size() != 1) {
      throw new IllegalArgumentException("offset ranges need a single-topic source");
    }
    if (partition < 0 || startOffset < 0 || stopOffset <= startOffset) {
      throw new IllegalArgumentException(
          "need partition >= 0 and 0 <= startOffset < stopOffset, got "
              + partition
              + ", "
              + startOffset
              + ", "
              + stopOffset);
    }
    if (maxNumRecords() != null || maxReadTime() != null) {
      throw new IllegalArgumentException("offset ranges cannot be combined with max records/time");
    }
    Map<Integer, long[]> ranges = new java.util.TreeMap<>(offsetRanges());
    ranges.put(partition, new long[] {startOffset, stopOffset});
    return toBuilder().setOffsetRanges(java.util.Collections.unmodifiableMap(ranges)).build();
  }

  @Override
  public PCollection<RawRecord> expand(PBegin input) {
    PCollection<KafkaRecord<byte[], byte[]>> records;
    if (!offsetRanges().isEmpty()) {
      records =
          input
              .apply("OffsetRanges", Create.of(KafkaIoReads.sourceDescriptors(this)))
              .apply("ReadOffsetRanges", KafkaIoReads.offsetRangeRead(this));
    } else if (isUnbounded() && runsLegacyRead(input.getPipeline().getOptions())) {
      // Every source reader gets a split, so none holds the watermark back (PaddedUnboundedSource).
      records =
          input.apply(
              "ReadKafka",
              Read.from(PaddedUnboundedSource.of(KafkaUnboundedSources.of(kafkaRead()))));
    } else {
      records = input.apply("ReadKafka", kafkaRead());
    }
    PCollection<RawRecord> raw = records.apply("ToRawRecord", ParDo.of(new ToRawRecordFn()));
    if (watermarkStallThreshold() != null && isUnbounded()) {
      raw.apply(
          "WatchWatermark",
          WatermarkStallMonitor.<RawRecord>of("Kafka topic(s) " + String.join(",", topics()))
              .withThreshold(watermarkStallThreshold().plus(maxDelay())));
    }
    return raw;
  }

  private boolean isUnbounded() {
    return offsetRanges().isEmpty() && maxNumRecords() == null && maxReadTime() == null;
  }

  /**
   * Whether KafkaIO would read through its legacy {@code UnboundedSource} on this runner (its own
   * rule, {@code KafkaIO.Read#runnerPrefersLegacyRead}): everywhere but on Dataflow and with the
   * SDF experiments. Only there the splits are padded; the SDF read has no fixed splits.
   */
  static boolean runsLegacyRead(PipelineOptions options) {
    if (ExperimentalOptions.hasExperiment(options, "use_sdf_read")
        || ExperimentalOptions.hasExperiment(options, "beam_fn_api")) {
      return false;
    }
    return !options.getRunner().getName().startsWith("org.apache.beam.runners.dataflow.");
  }

  /** The configured {@code KafkaIO} read, for inspection and tests. */
  KafkaIO.Read<byte[], byte[]> kafkaRead() {
    return KafkaIoReads.topicRead(this);
  }
}
