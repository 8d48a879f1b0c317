package io.beamsuite.io.kafka;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import io.beamsuite.io.watermark.PaddedUnboundedSource;
import io.beamsuite.io.watermark.WatermarkStallMonitor;
import io.beamsuite.transforms.records.RawRecord;
import io.beamsuite.transforms.records.SourceCoordinates;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.KafkaSourceDescriptor;
import org.apache.beam.sdk.io.kafka.KafkaUnboundedSources;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.options.ExperimentalOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.errorhandling.BadRecord;
import org.apache.beam.sdk.transforms.errorhandling.ErrorHandler;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
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
public final class KafkaJsonSource extends PTransform<PBegin, PCollection<RawRecord>> {
  /** Default bound on out-of-orderness: the watermark trails the max event time by this much. */
  public static final Duration DEFAULT_MAX_DELAY = Duration.standardMinutes(1);

  // Set only by the factory, copy() and the with* method that owns them, before an instance is
  // published: every with* returns a fresh copy, so instances stay effectively immutable.
  private final String bootstrapServers;
  private final List<String> topics;
  private @Nullable String groupId;
  private Duration maxDelay = DEFAULT_MAX_DELAY;
  private boolean eventTimeWatermark;
  private List<String> eventTimePath = List.of(EventTimes.FIELD);
  private @Nullable Long maxNumRecords;
  private @Nullable Duration maxReadTime;
  private boolean readCommitted;
  private String offsetReset = "earliest";
  private Map<String, Object> consumerConfig = Map.of();
  private KafkaClientProperties clientProperties = KafkaClientProperties.none();
  private @Nullable Duration watermarkStallThreshold;
  private transient @Nullable ErrorHandler<BadRecord, ?> badRecordHandler;
  // partition -> {start, stop}; when non-empty the read is an explicit, bounded offset replay.
  private Map<Integer, long[]> offsetRanges = Map.of();

  private KafkaJsonSource(String bootstrapServers, List<String> topics) {
    this.bootstrapServers = bootstrapServers;
    this.topics = topics;
  }

  private KafkaJsonSource copy() {
    KafkaJsonSource copy = new KafkaJsonSource(bootstrapServers, topics);
    copy.groupId = groupId;
    copy.maxDelay = maxDelay;
    copy.eventTimeWatermark = eventTimeWatermark;
    copy.eventTimePath = eventTimePath;
    copy.maxNumRecords = maxNumRecords;
    copy.maxReadTime = maxReadTime;
    copy.readCommitted = readCommitted;
    copy.offsetReset = offsetReset;
    copy.consumerConfig = consumerConfig;
    copy.clientProperties = clientProperties;
    copy.watermarkStallThreshold = watermarkStallThreshold;
    copy.badRecordHandler = badRecordHandler;
    copy.offsetRanges = offsetRanges;
    return copy;
  }

  /** Reads {@code topics} (at least one) from the cluster at {@code bootstrapServers}. */
  public static KafkaJsonSource of(String bootstrapServers, String... topics) {
    checkArgumentNotNull(bootstrapServers, "bootstrapServers");
    if (bootstrapServers.isBlank() || topics.length == 0) {
      throw new IllegalArgumentException("bootstrapServers and at least one topic are required");
    }
    return new KafkaJsonSource(bootstrapServers, List.of(topics));
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
    KafkaJsonSource copy = copy();
    copy.groupId = groupId;
    return checked(copy);
  }

  /** Bound on out-of-orderness of {@code event_time}; the watermark trails the max by this. */
  public KafkaJsonSource withMaxDelay(Duration maxDelay) {
    checkArgumentNotNull(maxDelay, "maxDelay");
    if (maxDelay.isShorterThan(Duration.ZERO)) {
      throw new IllegalArgumentException("maxDelay must not be negative");
    }
    KafkaJsonSource copy = copy();
    copy.maxDelay = maxDelay;
    copy.eventTimePath = eventTimePath;
    return checked(copy);
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
    KafkaJsonSource copy = copy();
    copy.eventTimeWatermark = true;
    return checked(copy);
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
    KafkaJsonSource copy = copy();
    copy.eventTimePath = List.of(dottedPath.split("\\."));
    return copy;
  }

  /** Bounded: stop after this many records (across all partitions). */
  public KafkaJsonSource withMaxNumRecords(long maxNumRecords) {
    if (maxNumRecords <= 0) {
      throw new IllegalArgumentException("maxNumRecords must be positive");
    }
    KafkaJsonSource copy = copy();
    copy.maxNumRecords = maxNumRecords;
    return checked(copy);
  }

  /** Bounded: stop reading after this much processing time. */
  public KafkaJsonSource withMaxReadTime(Duration maxReadTime) {
    checkArgumentNotNull(maxReadTime, "maxReadTime");
    KafkaJsonSource copy = copy();
    copy.maxReadTime = maxReadTime;
    return checked(copy);
  }

  /**
   * Only read committed transactional records (use after an exactly-once {@link KafkaJsonSink}).
   */
  public KafkaJsonSource withReadCommitted() {
    KafkaJsonSource copy = copy();
    copy.readCommitted = true;
    return checked(copy);
  }

  /**
   * Where to start when the group has no committed offset: {@code earliest} (default, a full
   * replay) or {@code latest}.
   */
  public KafkaJsonSource withOffsetReset(String offsetReset) {
    if (!"earliest".equals(offsetReset) && !"latest".equals(offsetReset)) {
      throw new IllegalArgumentException("offsetReset must be earliest or latest");
    }
    KafkaJsonSource copy = copy();
    copy.offsetReset = offsetReset;
    return checked(copy);
  }

  /**
   * Extra consumer properties (for example security settings). They are passed to the consumer only
   * and never logged or rendered by this transform.
   */
  public KafkaJsonSource withConsumerConfig(Map<String, Object> extra) {
    Map<String, Object> merged = new HashMap<>(consumerConfig);
    merged.putAll(extra);
    KafkaJsonSource copy = copy();
    copy.consumerConfig = Map.copyOf(merged);
    return checked(copy);
  }

  /**
   * Client settings such as security ({@link KafkaClientProperties}): the plain properties join the
   * consumer config; a secrets file is read by the consumer factory where each consumer is created,
   * so its content never travels with the job.
   */
  public KafkaJsonSource withClientProperties(KafkaClientProperties properties) {
    checkArgumentNotNull(properties, "properties");
    KafkaJsonSource copy = copy();
    copy.clientProperties = properties;
    return checked(copy);
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
    KafkaJsonSource copy = copy();
    copy.watermarkStallThreshold = threshold;
    return checked(copy);
  }

  /** Where KafkaIO sends records it cannot deserialize, e.g. a handler of {@code DeadLetters}. */
  public KafkaJsonSource withBadRecordErrorHandler(ErrorHandler<BadRecord, ?> handler) {
    checkArgumentNotNull(handler, "handler");
    KafkaJsonSource copy = copy();
    copy.badRecordHandler = handler;
    return checked(copy);
  }

  /**
   * Bounded replay of offsets {@code [startOffset, stopOffset)} of one partition (call once per
   * partition; single-topic sources only). Uses KafkaIO's SDF reader ({@code
   * readSourceDescriptors}); record timestamps are still the {@code event_time}, but the watermark
   * follows the SDF's default estimator instead of {@link #withMaxDelay} — fine for a bounded
   * replay, where nothing is read after the watermark reaches the end.
   */
  public KafkaJsonSource withOffsetRange(int partition, long startOffset, long stopOffset) {
    if (topics.size() != 1) {
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
    if (maxNumRecords != null || maxReadTime != null) {
      throw new IllegalArgumentException("offset ranges cannot be combined with max records/time");
    }
    Map<Integer, long[]> ranges = new java.util.TreeMap<>(offsetRanges);
    ranges.put(partition, new long[] {startOffset, stopOffset});
    KafkaJsonSource copy = copy();
    copy.offsetRanges = java.util.Collections.unmodifiableMap(ranges);
    return copy;
  }

  private static KafkaJsonSource checked(KafkaJsonSource copy) {
    if (!copy.offsetRanges.isEmpty() && (copy.maxNumRecords != null || copy.maxReadTime != null)) {
      throw new IllegalArgumentException("offset ranges cannot be combined with max records/time");
    }
    return copy;
  }

  @Override
  public PCollection<RawRecord> expand(PBegin input) {
    PCollection<KafkaRecord<byte[], byte[]>> records;
    if (!offsetRanges.isEmpty()) {
      records =
          input
              .apply("OffsetRanges", Create.of(sourceDescriptors()))
              .apply("ReadOffsetRanges", offsetRangeRead());
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
    if (watermarkStallThreshold != null && isUnbounded()) {
      raw.apply(
          "WatchWatermark",
          WatermarkStallMonitor.<RawRecord>of("Kafka topic(s) " + String.join(",", topics))
              .withThreshold(watermarkStallThreshold.plus(maxDelay)));
    }
    return raw;
  }

  private boolean isUnbounded() {
    return offsetRanges.isEmpty() && maxNumRecords == null && maxReadTime == null;
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

  private List<KafkaSourceDescriptor> sourceDescriptors() {
    List<KafkaSourceDescriptor> descriptors = new java.util.ArrayList<>();
    for (Map.Entry<Integer, long[]> range : offsetRanges.entrySet()) {
      descriptors.add(
          KafkaSourceDescriptor.of(
              new TopicPartition(topics.get(0), range.getKey()),
              range.getValue()[0],
              null,
              range.getValue()[1],
              null,
              List.of(bootstrapServers)));
    }
    return descriptors;
  }

  /** Consumer config of both reads: the client properties, then the explicit config, the group. */
  private Map<String, Object> readConfig() {
    Map<String, Object> config = clientProperties.plainProperties();
    config.putAll(consumerConfig);
    if (groupId != null) {
      config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    }
    return config;
  }

  private KafkaIO.ReadSourceDescriptors<byte[], byte[]> offsetRangeRead() {
    Map<String, Object> config = readConfig();
    KafkaIO.ReadSourceDescriptors<byte[], byte[]> read =
        KafkaIO.<byte[], byte[]>readSourceDescriptors()
            .withBootstrapServers(bootstrapServers)
            .withKeyDeserializer(ByteArrayDeserializer.class)
            .withValueDeserializer(ByteArrayDeserializer.class)
            .withConsumerConfigUpdates(config)
            .withExtractOutputTimestampFn(
                new KafkaRecordEventTimeFn(eventTimePath).orRecordTimestamp());
    if (readCommitted) {
      read = read.withReadCommitted();
    }
    if (badRecordHandler != null) {
      read = read.withBadRecordErrorHandler(badRecordHandler);
    }
    if (clientProperties.consumerFactory() != null) {
      read = read.withConsumerFactoryFn(clientProperties.consumerFactory());
    }
    return read;
  }

  /** The configured {@code KafkaIO} read, for inspection and tests. */
  KafkaIO.Read<byte[], byte[]> kafkaRead() {
    Map<String, Object> config = readConfig();
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, offsetReset);
    Duration delay = maxDelay;
    List<String> timePath = eventTimePath;
    KafkaIO.Read<byte[], byte[]> read =
        KafkaIO.<byte[], byte[]>read()
            .withBootstrapServers(bootstrapServers)
            .withTopics(topics)
            .withKeyDeserializerAndCoder(
                ByteArrayDeserializer.class, NullableCoder.of(ByteArrayCoder.of()))
            .withValueDeserializerAndCoder(
                ByteArrayDeserializer.class, NullableCoder.of(ByteArrayCoder.of()))
            .withConsumerConfigUpdates(config)
            .withTimestampPolicyFactory(
                eventTimeWatermark
                    ? (tp, previousWatermark) ->
                        EventTimeWatermarkPolicy.eventTimeOnly(
                            new KafkaRecordEventTimeFn(timePath), delay, previousWatermark)
                    : (tp, previousWatermark) ->
                        EventTimeWatermarkPolicy.idlePartitionsAtWallClock(
                            new KafkaRecordEventTimeFn(timePath), delay, previousWatermark));
    if (groupId != null) {
      read = read.commitOffsetsInFinalize();
    }
    if (readCommitted) {
      read = read.withReadCommitted();
    }
    if (maxNumRecords != null) {
      read = read.withMaxNumRecords(maxNumRecords);
    }
    if (maxReadTime != null) {
      read = read.withMaxReadTime(maxReadTime);
    }
    if (badRecordHandler != null) {
      read = read.withBadRecordErrorHandler(badRecordHandler);
    }
    if (clientProperties.consumerFactory() != null) {
      read = read.withConsumerFactoryFn(clientProperties.consumerFactory());
    }
    return read;
  }

  static final class ToRawRecordFn extends DoFn<KafkaRecord<byte[], byte[]>, RawRecord> {
    private static final long serialVersionUID = 1L;
    private final Counter recordsRead = Metrics.counter(KafkaJsonSource.class, "records_read");

    @ProcessElement
    public void process(
        @Element KafkaRecord<byte[], byte[]> record, OutputReceiver<RawRecord> out) {
      recordsRead.inc();
      byte[] value = record.getKV().getValue();
      // Tombstones become empty payloads: the parser dead-letters them with their coordinates.
      out.output(
          RawRecord.of(
              value == null ? new byte[0] : value,
              SourceCoordinates.of(record.getTopic(), record.getPartition(), record.getOffset())));
    }
  }
}
