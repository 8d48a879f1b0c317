package io.beamsuite.transforms.enrichment;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import com.google.auto.value.AutoValue;
import io.beamsuite.transforms.cdc.ChangeEvent;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.errors.DeadLetters;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Event-time (as-of) join: each record is joined with the version of its dimension row that was
 * valid at the record's event time, where the dimension arrives as a change stream (for example
 * {@code ChangeEvent}s parsed from Debezium). A version is valid from its commit time until the
 * next version's commit time; a delete ends the row's validity. Records are emitted with their own
 * timestamps; a record with no row valid at its time goes to {@code unmatched}.
 *
 * <p>A record is released as soon as every version valid at its event time is known to have
 * arrived:
 *
 * <ul>
 *   <li><b>Bounded dimension</b> (a snapshot, a file, a finished table read): all versions are
 *       known once the dimension is read, so they are grouped per key into a side input and every
 *       record is joined at once, without state or holding. Nothing is too late and no version
 *       expires.
 *   <li><b>Unbounded dimension</b>: records and changes meet in one keyed state. A record is joined
 *       once the watermark has passed its event time (no earlier version can still come); until
 *       then it is held, with an event-time timer at its time that also holds the output watermark,
 *       so the enriched record is not late downstream. The watermark is never read (not portable):
 *       a key knows it from its own event-time timers: its held records' timers, a probe at each
 *       point where one of its versions can expire, and probes that climb in doubling steps of
 *       event time (one minute, two, four, ...) from one version retention before its first
 *       element, restarting at one minute after each element, until three retentions pass without
 *       one. A record already behind what the key knows is joined at once; a key costs a few dozen
 *       timer firings, not one per minute of event time.
 * </ul>
 *
 * <p><b>Idle change streams.</b> A change stream that carries no change for hours may also stop
 * advancing its watermark, which would hold records back forever. Idleness is detected in
 * processing time, like a source's idleness timeout: a record still held after {@link
 * #withIdleTimeout the idle timeout} (between one and two timeouts after it was held) is released
 * with the versions known then and counted ({@code released_while_idle}); it carries at least the
 * timestamp of the idle timer's hold. If the stream was only slow, a version arriving later does
 * not re-emit the record.
 *
 * <p>State is bounded: versions that no record within {@link #withVersionRetention the version
 * retention} behind the watermark can need are dropped. A record that arrives more than the
 * retention behind the watermark as its key knows it cannot be joined reliably and becomes a
 * failure ({@code too_late_for_as_of_join}) instead of a guess. The key's knowledge is exact at
 * every point where one of its versions expires; between those points it may lag the watermark, and
 * a record the key cannot yet tell is too late is joined with the versions it still keeps, which
 * always include the one valid at the record's time. A dimension change that arrives behind the
 * watermark is applied from then on and counted ({@code late_dimension_changes}); records already
 * emitted are not re-emitted. Held records live in a bag that a release only reads: released
 * entries are skipped by their event time or hold sequence, and the bag is rewritten only once at
 * least half of it is released (amortised constant work per record).
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
 *             .withVersionRetention(Duration.standardHours(2))
 *             .withIdleTimeout(Duration.standardMinutes(5)));
 * }</pre>
 */
@AutoValue
public abstract class AsOfEnrichment<InputT, K, V, OutputT>
    extends PTransform<PCollection<InputT>, EnrichmentResult<InputT, OutputT>> {
  /** Version retention used unless {@link #withVersionRetention} says otherwise. */
  public static final Duration DEFAULT_VERSION_RETENTION = Duration.standardHours(1);

  /** Idle timeout used unless {@link #withIdleTimeout} says otherwise. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.standardMinutes(10);

  abstract SerializableFunction<InputT, K> keyFn();

  abstract PCollection<ChangeEvent<K, V>> dimension();

  abstract JoinFn<InputT, V, OutputT> joinFn();

  abstract Duration versionRetention();

  abstract Duration idleTimeout();

  abstract @Nullable Coder<OutputT> outputCoder();

  abstract String stage();

  abstract Builder<InputT, K, V, OutputT> toBuilder();

  @AutoValue.Builder
  abstract static class Builder<InputT, K, V, OutputT> {
    abstract Builder<InputT, K, V, OutputT> setKeyFn(SerializableFunction<InputT, K> keyFn);

    abstract Builder<InputT, K, V, OutputT> setDimension(PCollection<ChangeEvent<K, V>> dimension);

    abstract Builder<InputT, K, V, OutputT> setJoinFn(JoinFn<InputT, V, OutputT> joinFn);

    abstract Builder<InputT, K, V, OutputT> setVersionRetention(Duration versionRetention);

    abstract Builder<InputT, K, V, OutputT> setIdleTimeout(Duration idleTimeout);

    abstract Builder<InputT, K, V, OutputT> setOutputCoder(@Nullable Coder<OutputT> outputCoder);

    abstract Builder<InputT, K, V, OutputT> setStage(String stage);

    abstract AsOfEnrichment<InputT, K, V, OutputT> build();
  }

  /**
   * Joins each record with the {@code dimension} row for {@code keyFn(record)} valid at its time.
   */
  public static <InputT, K, V, OutputT> AsOfEnrichment<InputT, K, V, OutputT> of(
      SerializableFunction<InputT, K> keyFn,
      PCollection<ChangeEvent<K, V>> dimension,
      JoinFn<InputT, V, OutputT> joinFn) {
    checkArgumentNotNull(keyFn, "keyFn");
    checkArgumentNotNull(dimension, "dimension");
    checkArgumentNotNull(joinFn, "joinFn");
    return new AutoValue_AsOfEnrichment.Builder<InputT, K, V, OutputT>()
        .setKeyFn(keyFn)
        .setDimension(dimension)
        .setJoinFn(joinFn)
        .setVersionRetention(DEFAULT_VERSION_RETENTION)
        .setIdleTimeout(DEFAULT_IDLE_TIMEOUT)
        .setStage("enrich-as-of")
        .build();
  }

  /** How far behind the watermark a record may be and still be joined exactly. */
  public AsOfEnrichment<InputT, K, V, OutputT> withVersionRetention(Duration retention) {
    if (retention == null || retention.isShorterThan(Duration.ZERO)) {
      throw new IllegalArgumentException("version retention must be >= 0, got " + retention);
    }
    return toBuilder().setVersionRetention(retention).build();
  }

  /**
   * How long (processing time) a record may wait for the watermark of an unbounded dimension before
   * it is released with the versions known; see the class documentation.
   */
  public AsOfEnrichment<InputT, K, V, OutputT> withIdleTimeout(Duration timeout) {
    if (timeout == null || !timeout.isLongerThan(Duration.ZERO)) {
      throw new IllegalArgumentException("idle timeout must be positive, got " + timeout);
    }
    return toBuilder().setIdleTimeout(timeout).build();
  }

  /** Coder of the enriched records (needed when it cannot be inferred). */
  public AsOfEnrichment<InputT, K, V, OutputT> withOutputCoder(Coder<OutputT> outputCoder) {
    return toBuilder().setOutputCoder(checkArgumentNotNull(outputCoder, "outputCoder")).build();
  }

  /** Stage name written into failures' dead letters. */
  public AsOfEnrichment<InputT, K, V, OutputT> withStage(String stage) {
    if (stage == null || stage.isBlank()) {
      throw new IllegalArgumentException("stage must be a non-blank name");
    }
    return toBuilder().setStage(stage).build();
  }

  @Override
  @SuppressWarnings("unchecked")
  public EnrichmentResult<InputT, OutputT> expand(PCollection<InputT> input) {
    Coder<OutputT> resolvedOutputCoder =
        EnrichmentCoders.outputCoder(outputCoder(), input.getPipeline(), joinFn());
    Coder<ChangeEvent<K, V>> changeCoder = dimension().getCoder();
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
            ParDo.of(
                    new KeyRecordsFn<K, V, InputT>(
                        keyFn(), stage(), keyedTag, unmatchedTag, failuresTag))
                .withOutputTags(keyedTag, TupleTagList.of(unmatchedTag).and(failuresTag)));
    PCollection<KV<K, RecordOrChange<InputT, K, V>>> records =
        keyedRecords.get(keyedTag).setCoder(keyedCoder);
    TupleTagList additional = TupleTagList.of(unmatchedTag).and(failuresTag);
    PCollectionTuple joined;
    if (dimension().isBounded() == PCollection.IsBounded.BOUNDED) {
      // Every version is known once the dimension is read: join at once against a side input.
      PCollectionView<Map<K, DimensionVersions<V>>> versions =
          dimension()
              .apply("ChangesGlobal", Window.into(new GlobalWindows()))
              .apply("KeyChanges", WithKeys.of((ChangeEvent<K, V> c) -> c.key()))
              .setCoder(KvCoder.of(keyCoder, changeCoder))
              .apply("ChangesPerKey", GroupByKey.create())
              .apply("VersionsPerKey", ParDo.of(new BuildVersionsFn<K, V>()))
              .setCoder(KvCoder.of(keyCoder, new DimensionVersions.VersionsCoder<>(rowCoder)))
              .apply("VersionsView", View.asMap());
      joined =
          records.apply(
              "JoinAsOfEventTime",
              ParDo.of(
                      new SideInputJoinFn<InputT, K, V, OutputT>(
                          joinFn(), versions, stage(), enrichedTag, unmatchedTag, failuresTag))
                  .withSideInputs(versions)
                  .withOutputTags(enrichedTag, additional));
    } else {
      PCollection<KV<K, RecordOrChange<InputT, K, V>>> keyedChanges =
          dimension().apply("KeyChanges", ParDo.of(new KeyChangesFn<InputT, K, V>()));
      joined =
          PCollectionList.of(records.apply("RecordsGlobal", Window.into(new GlobalWindows())))
              .and(
                  keyedChanges
                      .setCoder(keyedCoder)
                      .apply("ChangesGlobal", Window.into(new GlobalWindows())))
              .apply("RecordsAndChanges", Flatten.pCollections())
              .apply(
                  "JoinAsOfEventTime",
                  ParDo.of(
                          new AsOfJoinFn<InputT, K, V, OutputT>(
                              joinFn(),
                              rowCoder,
                              input.getCoder(),
                              versionRetention(),
                              idleTimeout(),
                              stage(),
                              enrichedTag,
                              unmatchedTag,
                              failuresTag))
                      .withOutputTags(enrichedTag, additional));
    }

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

  /** Builds the versions of each key of a bounded dimension, for the side input. */
  private static final class BuildVersionsFn<K, V>
      extends DoFn<KV<K, Iterable<ChangeEvent<K, V>>>, KV<K, DimensionVersions<V>>> {
    @ProcessElement
    public void process(
        @Element KV<K, Iterable<ChangeEvent<K, V>>> changes,
        OutputReceiver<KV<K, DimensionVersions<V>>> out) {
      DimensionVersions<V> versions = new DimensionVersions<>();
      for (ChangeEvent<K, V> change : changes.getValue()) {
        versions.add(change);
      }
      out.output(KV.of(changes.getKey(), versions));
    }
  }
}
