package io.beamsuite.transforms.enrichment;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import io.beamsuite.transforms.cdc.ChangeEvent;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.errors.DeadLetters;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Event-time (as-of) join: each record is joined with the version of its dimension row that was
 * valid at the record's event time, where the dimension arrives as a change stream (for example
 * {@code ChangeEvent}s parsed from Debezium). A version is valid from its commit time until the
 * next version's commit time; a delete ends the row's validity.
 *
 * <p>A record is joined once the input watermark has passed its event time, because only then can
 * no earlier dimension version still arrive; until then it is held in state with an event-time
 * timer that also holds the output watermark back. Records are emitted with their own timestamps.
 * A record with no row valid at its time goes to {@code unmatched}.
 *
 * <p>State is bounded: versions that no record within {@link #withVersionRetention the version
 * retention} behind the watermark can need are dropped. A record that arrives more than the
 * retention behind the watermark cannot be joined reliably and becomes a failure ({@code
 * too_late_for_as_of_join}) instead of a guess. A dimension change that arrives behind the
 * watermark is applied from then on and counted ({@code late_dimension_changes}); records already
 * emitted are not re-emitted.
 *
 * <pre>{@code
 * PCollection<ChangeEvent<String, Customer>> customers = ...; // from DebeziumJson.parse(...)
 * EnrichmentResult<Transaction, ScoredTransaction> result =
 *     transactions.apply(
 *         Enrichment.asOf(
 *                 (Transaction t) -> t.customerId,
 *                 customers,
 *                 (Transaction t, Customer c) -> new ScoredTransaction(t, c.creditLimitCents))
 *             .withOutputCoder(scoredCoder)
 *             .withVersionRetention(Duration.standardHours(2)));
 * }</pre>
 *
 * <p>Watermark reading follows {@code WindowedAggregate}: on the classic runners a record that is
 * already behind the watermark is joined at once; elsewhere it waits for its timer.
 */
public final class AsOfEnrichment<InputT, K, V, OutputT>
    extends PTransform<PCollection<InputT>, EnrichmentResult<InputT, OutputT>> {
  /** Version retention used unless {@link #withVersionRetention} says otherwise. */
  public static final Duration DEFAULT_VERSION_RETENTION = Duration.standardHours(1);

  private final SerializableFunction<InputT, K> keyFn;
  private final PCollection<ChangeEvent<K, V>> dimension;
  private final JoinFn<InputT, V, OutputT> joinFn;
  private final Duration versionRetention;
  private final @Nullable Coder<OutputT> outputCoder;
  private final String stage;

  private AsOfEnrichment(
      SerializableFunction<InputT, K> keyFn,
      PCollection<ChangeEvent<K, V>> dimension,
      JoinFn<InputT, V, OutputT> joinFn,
      Duration versionRetention,
      @Nullable Coder<OutputT> outputCoder,
      String stage) {
    this.keyFn = keyFn;
    this.dimension = dimension;
    this.joinFn = joinFn;
    this.versionRetention = versionRetention;
    this.outputCoder = outputCoder;
    this.stage = stage;
  }

  /** Joins each record with the {@code dimension} row for {@code keyFn(record)} valid at its time. */
  public static <InputT, K, V, OutputT> AsOfEnrichment<InputT, K, V, OutputT> of(
      SerializableFunction<InputT, K> keyFn,
      PCollection<ChangeEvent<K, V>> dimension,
      JoinFn<InputT, V, OutputT> joinFn) {
    checkArgumentNotNull(keyFn, "keyFn");
    checkArgumentNotNull(dimension, "dimension");
    checkArgumentNotNull(joinFn, "joinFn");
    return new AsOfEnrichment<>(
        keyFn, dimension, joinFn, DEFAULT_VERSION_RETENTION, null, "enrich-as-of");
  }

  /** How far behind the watermark a record may be and still be joined exactly. */
  public AsOfEnrichment<InputT, K, V, OutputT> withVersionRetention(Duration retention) {
    if (retention == null || retention.isShorterThan(Duration.ZERO)) {
      throw new IllegalArgumentException("version retention must be >= 0, got " + retention);
    }
    return new AsOfEnrichment<>(keyFn, dimension, joinFn, retention, outputCoder, stage);
  }

  /** Coder of the enriched records (needed when it cannot be inferred). */
  public AsOfEnrichment<InputT, K, V, OutputT> withOutputCoder(Coder<OutputT> outputCoder) {
    return new AsOfEnrichment<>(
        keyFn, dimension, joinFn, versionRetention, checkArgumentNotNull(outputCoder, "outputCoder"), stage);
  }

  /** Stage name written into failures' dead letters. */
  public AsOfEnrichment<InputT, K, V, OutputT> withStage(String stage) {
    if (stage == null || stage.isBlank()) {
      throw new IllegalArgumentException("stage must be a non-blank name");
    }
    return new AsOfEnrichment<>(keyFn, dimension, joinFn, versionRetention, outputCoder, stage);
  }

  @Override
  @SuppressWarnings("unchecked")
  public EnrichmentResult<InputT, OutputT> expand(PCollection<InputT> input) {
    Coder<OutputT> resolvedOutputCoder = EnrichmentCoders.outputCoder(outputCoder, input.getPipeline(), joinFn);
    Coder<ChangeEvent<K, V>> changeCoder = dimension.getCoder();
    List<? extends Coder<?>> parts = changeCoder.getCoderArguments();
    if (parts.size() != 2) {
      throw new IllegalStateException(
          "The dimension must use ChangeEvent.coder(keyCoder, rowCoder), found " + changeCoder);
    }
    Coder<K> keyCoder = (Coder<K>) parts.get(0);
    Coder<V> rowCoder = (Coder<V>) parts.get(1);
    KvCoder<K, RecordOrChange<InputT, K, V>> keyedCoder =
        KvCoder.of(keyCoder, RecordOrChange.coder(input.getCoder(), changeCoder));

    TupleTag<KV<K, RecordOrChange<InputT, K, V>>> keyedTag = new TupleTag<>();
    TupleTag<OutputT> enrichedTag = new TupleTag<>();
    TupleTag<InputT> unmatchedTag = new TupleTag<>();
    TupleTag<DeadLetter> failuresTag = new TupleTag<>();

    PCollectionTuple keyedRecords =
        input.apply(
            "KeyRecords",
            ParDo.of(new KeyRecordsFn<K, V, InputT>(keyFn, stage, keyedTag, unmatchedTag, failuresTag))
                .withOutputTags(keyedTag, TupleTagList.of(unmatchedTag).and(failuresTag)));
    PCollection<KV<K, RecordOrChange<InputT, K, V>>> keyedChanges =
        dimension.apply(
            "KeyChanges",
            ParDo.of(new KeyChangesFn<InputT, K, V>()));

    PCollectionTuple joined =
        PCollectionList.of(
                keyedRecords
                    .get(keyedTag)
                    .setCoder(keyedCoder)
                    .apply("RecordsGlobal", Window.into(new GlobalWindows())))
            .and(keyedChanges.setCoder(keyedCoder).apply("ChangesGlobal", Window.into(new GlobalWindows())))
            .apply("RecordsAndChanges", Flatten.pCollections())
            .apply(
                "JoinAsOfEventTime",
                ParDo.of(
                        new AsOfJoinFn<InputT, K, V, OutputT>(
                            joinFn,
                            rowCoder,
                            input.getCoder(),
                            versionRetention,
                            stage,
                            enrichedTag,
                            unmatchedTag,
                            failuresTag))
                    .withOutputTags(enrichedTag, TupleTagList.of(unmatchedTag).and(failuresTag)));

    PCollection<InputT> unmatched =
        PCollectionList.of(keyedRecords.get(unmatchedTag).setCoder(input.getCoder()))
            .and(joined.get(unmatchedTag).setCoder(input.getCoder()))
            .apply("AllUnmatched", Flatten.pCollections());
    PCollection<DeadLetter> failures =
        PCollectionList.of(keyedRecords.get(failuresTag).setCoder(DeadLetter.coder()))
            .and(joined.get(failuresTag).setCoder(DeadLetter.coder()))
            .apply("AllFailures", Flatten.pCollections());
    return new EnrichmentResult<>(
        input.getPipeline(),
        enrichedTag,
        joined.get(enrichedTag).setCoder(resolvedOutputCoder),
        unmatchedTag,
        unmatched,
        failuresTag,
        failures);
  }

  private static final class KeyChangesFn<InputT, K, V>
      extends DoFn<ChangeEvent<K, V>, KV<K, RecordOrChange<InputT, K, V>>> {
    @ProcessElement
    public void process(
        @Element ChangeEvent<K, V> change,
        OutputReceiver<KV<K, RecordOrChange<InputT, K, V>>> out) {
      out.output(KV.of(change.key(), RecordOrChange.change(change)));
    }
  }

  private static final class KeyRecordsFn<K, V, InputT>
      extends DoFn<InputT, KV<K, RecordOrChange<InputT, K, V>>> {
    private final SerializableFunction<InputT, K> keyFn;
    private final String stage;
    private final TupleTag<KV<K, RecordOrChange<InputT, K, V>>> keyedTag;
    private final TupleTag<InputT> unmatchedTag;
    private final TupleTag<DeadLetter> failuresTag;
    private final Counter recordsIn = Metrics.counter(AsOfEnrichment.class, "records_in");
    private final Counter unmatched = Metrics.counter(AsOfEnrichment.class, "unmatched");
    private final Counter failures = Metrics.counter(AsOfEnrichment.class, "failures");

    KeyRecordsFn(
        SerializableFunction<InputT, K> keyFn,
        String stage,
        TupleTag<KV<K, RecordOrChange<InputT, K, V>>> keyedTag,
        TupleTag<InputT> unmatchedTag,
        TupleTag<DeadLetter> failuresTag) {
      this.keyFn = keyFn;
      this.stage = stage;
      this.keyedTag = keyedTag;
      this.unmatchedTag = unmatchedTag;
      this.failuresTag = failuresTag;
    }

    @ProcessElement
    public void process(@Element InputT record, MultiOutputReceiver out) {
      recordsIn.inc();
      K key;
      try {
        key = keyFn.apply(record);
      } catch (RuntimeException e) {
        failures.inc();
        out.get(failuresTag).output(DeadLetters.forRecord(stage, "key_failed", record, e));
        return;
      }
      if (key == null) {
        unmatched.inc();
        out.get(unmatchedTag).output(record);
      } else {
        out.get(keyedTag).output(KV.of(key, RecordOrChange.record(record)));
      }
    }
  }

  private static final class AsOfJoinFn<InputT, K, V, OutputT>
      extends DoFn<KV<K, RecordOrChange<InputT, K, V>>, OutputT> {
    private static final String VERSIONS = "versions";
    private static final String HELD_RECORDS = "heldRecords";
    private static final String EARLIEST_HELD = "earliestHeld";
    private static final String RELEASE = "release";

    private final JoinFn<InputT, V, OutputT> joinFn;
    private final long retentionMillis;
    private final String stage;
    private final TupleTag<OutputT> enrichedTag;
    private final TupleTag<InputT> unmatchedTag;
    private final TupleTag<DeadLetter> failuresTag;

    @StateId(VERSIONS)
    private final StateSpec<ValueState<DimensionVersions<V>>> versionsSpec;

    @StateId(HELD_RECORDS)
    private final StateSpec<BagState<TimestampedValue<InputT>>> heldSpec;

    @StateId(EARLIEST_HELD)
    private final StateSpec<ValueState<Long>> earliestHeldSpec = StateSpecs.value(VarLongCoder.of());

    @TimerId(RELEASE)
    private final TimerSpec releaseSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    private final Counter changesIn = Metrics.counter(AsOfEnrichment.class, "changes_in");
    private final Counter enriched = Metrics.counter(AsOfEnrichment.class, "enriched");
    private final Counter unmatched = Metrics.counter(AsOfEnrichment.class, "unmatched");
    private final Counter failures = Metrics.counter(AsOfEnrichment.class, "failures");
    private final Counter held = Metrics.counter(AsOfEnrichment.class, "records_held");
    private final Counter lateChanges =
        Metrics.counter(AsOfEnrichment.class, "late_dimension_changes");
    private final Counter expired = Metrics.counter(AsOfEnrichment.class, "versions_expired");

    AsOfJoinFn(
        JoinFn<InputT, V, OutputT> joinFn,
        Coder<V> rowCoder,
        Coder<InputT> recordCoder,
        Duration retention,
        String stage,
        TupleTag<OutputT> enrichedTag,
        TupleTag<InputT> unmatchedTag,
        TupleTag<DeadLetter> failuresTag) {
      this.joinFn = joinFn;
      this.retentionMillis = retention.getMillis();
      this.stage = stage;
      this.enrichedTag = enrichedTag;
      this.unmatchedTag = unmatchedTag;
      this.failuresTag = failuresTag;
      this.versionsSpec = StateSpecs.value(new DimensionVersions.VersionsCoder<>(rowCoder));
      this.heldSpec = StateSpecs.bag(TimestampedValue.TimestampedValueCoder.of(recordCoder));
    }

    @ProcessElement
    public void process(
        @Element KV<K, RecordOrChange<InputT, K, V>> element,
        @Timestamp Instant timestamp,
        @StateId(VERSIONS) ValueState<DimensionVersions<V>> versionsState,
        @StateId(HELD_RECORDS) BagState<TimestampedValue<InputT>> heldRecords,
        @StateId(EARLIEST_HELD) ValueState<Long> earliestHeld,
        @TimerId(RELEASE) Timer release,
        MultiOutputReceiver out) {
      // The input watermark (classic runners); never ahead of the real one elsewhere.
      long watermark = release.getCurrentRelativeTime().getMillis();
      RecordOrChange<InputT, K, V> value = element.getValue();
      if (value.change != null) {
        changesIn.inc();
        DimensionVersions<V> versions = read(versionsState);
        versions.add(value.change);
        if (value.change.commitTime().getMillis() < watermark) {
          lateChanges.inc();
        }
        expired.inc(versions.expireBefore(saturatedMinus(watermark, retentionMillis)));
        versionsState.write(versions);
        return;
      }
      InputT record = value.record;
      long time = timestamp.getMillis();
      if (time < saturatedMinus(watermark, retentionMillis)) {
        failures.inc();
        out.get(failuresTag)
            .output(
                DeadLetters.forRecord(
                    stage,
                    "too_late_for_as_of_join",
                    record,
                    new IllegalStateException(
                        "record at "
                            + timestamp
                            + " is more than the version retention behind the watermark "
                            + new Instant(watermark))));
      } else if (time < watermark) {
        // Every change committed at or before the record's time has arrived already.
        join(record, time, read(versionsState), out);
      } else {
        held.inc();
        heldRecords.add(TimestampedValue.of(record, timestamp));
        Long earliest = earliestHeld.read();
        if (earliest == null || time < earliest) {
          release.withOutputTimestamp(timestamp).set(timestamp);
          earliestHeld.write(time);
        }
      }
    }

    @OnTimer(RELEASE)
    public void onRelease(
        OnTimerContext context,
        @StateId(VERSIONS) ValueState<DimensionVersions<V>> versionsState,
        @StateId(HELD_RECORDS) BagState<TimestampedValue<InputT>> heldRecords,
        @StateId(EARLIEST_HELD) ValueState<Long> earliestHeld,
        @TimerId(RELEASE) Timer release,
        MultiOutputReceiver out) {
      long firedAt = context.fireTimestamp().getMillis();
      DimensionVersions<V> versions = read(versionsState);
      List<TimestampedValue<InputT>> stillHeld = new ArrayList<>();
      Long nextRelease = null;
      for (TimestampedValue<InputT> heldRecord : heldRecords.read()) {
        long time = heldRecord.getTimestamp().getMillis();
        if (time <= firedAt) {
          join(heldRecord.getValue(), time, versions, out);
        } else {
          stillHeld.add(heldRecord);
          nextRelease = nextRelease == null ? time : Math.min(nextRelease, time);
        }
      }
      heldRecords.clear();
      stillHeld.forEach(heldRecords::add);
      if (nextRelease == null) {
        earliestHeld.clear();
      } else {
        Instant next = new Instant(nextRelease);
        release.withOutputTimestamp(next).set(next);
        earliestHeld.write(nextRelease);
      }
      expired.inc(versions.expireBefore(saturatedMinus(firedAt, retentionMillis)));
      if (versions.versions.isEmpty()) {
        versionsState.clear();
      } else {
        versionsState.write(versions);
      }
    }

    private void join(
        InputT record, long time, DimensionVersions<V> versions, MultiOutputReceiver out) {
      DimensionVersions.Version<V> version = versions.validAt(time);
      V row = version == null ? null : version.value;
      if (row == null) {
        unmatched.inc();
        out.get(unmatchedTag).outputWithTimestamp(record, new Instant(time));
        return;
      }
      try {
        out.get(enrichedTag).outputWithTimestamp(joinFn.join(record, row), new Instant(time));
        enriched.inc();
      } catch (Exception e) {
        failures.inc();
        out.get(failuresTag)
            .outputWithTimestamp(DeadLetters.forRecord(stage, "join_failed", record, e), new Instant(time));
      }
    }

    private static <V> DimensionVersions<V> read(ValueState<DimensionVersions<V>> state) {
      DimensionVersions<V> versions = state.read();
      return versions == null ? new DimensionVersions<>() : versions;
    }

    private static long saturatedMinus(long a, long b) {
      long diff = a - b;
      return ((a ^ b) & (a ^ diff)) < 0 ? Long.MIN_VALUE : diff;
    }
  }
}
