package io.beamsuite.transforms.enrichment;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import com.google.auto.value.AutoValue;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.errors.DeadLetters;
import io.beamsuite.transforms.portability.AdditionalOutputs;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Gauge;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Impulse;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.PeriodicImpulse;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Enriches records from a small reference table that every worker holds in memory as a side input,
 * reloaded every refresh interval (or whenever a signal arrives).
 *
 * <p>Each load becomes a {@link TableSnapshot} with a version that grows by one per load; the
 * newest snapshot replaces the previous one atomically, so a record is joined against exactly one
 * version and is emitted exactly once — a reload neither stalls processing (after the first load)
 * nor duplicates output. The version in use is the gauge {@code table_version}. A failed load is
 * counted ({@code table_load_failures}) and the previous snapshot stays in use. Records wait for
 * the first successful load.
 *
 * <p>On a bounded input the table is loaded once; on an unbounded input it is reloaded every {@link
 * #withRefreshInterval refresh interval} with {@link PeriodicImpulse}, or on every element of
 * {@link #reloadOn a signal collection} (e.g. a "table changed" topic).
 *
 * <pre>{@code
 * EnrichmentResult<Transaction, Transaction> result =
 *     transactions.apply(
 *         Enrichment.sideInput(
 *                 (Transaction t) -> t.country,
 *                 () -> loadCountryRiskScores(),                    // ReferenceTable<String, Integer>
 *                 (Transaction t, Integer risk) -> t.withRisk(risk))
 *             .withTableCoders(StringUtf8Coder.of(), VarIntCoder.of())
 *             .withOutputCoder(transactionCoder)
 *             .withRefreshInterval(Duration.standardMinutes(10)));
 * }</pre>
 */
@AutoValue
public abstract class SideInputEnrichment<InputT, K, V, OutputT>
    extends PTransform<PCollection<InputT>, EnrichmentResult<InputT, OutputT>> {
  /** Refresh interval used unless {@link #withRefreshInterval} says otherwise. */
  public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.standardMinutes(5);

  abstract SerializableFunction<InputT, K> keyFn();

  abstract ReferenceTable<K, V> table();

  abstract JoinFn<InputT, V, OutputT> joinFn();

  abstract Duration refreshInterval();

  abstract @Nullable PCollection<?> reloadSignal();

  abstract @Nullable Coder<K> keyCoder();

  abstract @Nullable Coder<V> valueCoder();

  abstract @Nullable Coder<OutputT> outputCoder();

  abstract String stage();

  abstract Builder<InputT, K, V, OutputT> toBuilder();

  @AutoValue.Builder
  abstract static class Builder<InputT, K, V, OutputT> {
    abstract Builder<InputT, K, V, OutputT> setKeyFn(SerializableFunction<InputT, K> keyFn);

    abstract Builder<InputT, K, V, OutputT> setTable(ReferenceTable<K, V> table);

    abstract Builder<InputT, K, V, OutputT> setJoinFn(JoinFn<InputT, V, OutputT> joinFn);

    abstract Builder<InputT, K, V, OutputT> setRefreshInterval(Duration refreshInterval);

    abstract Builder<InputT, K, V, OutputT> setReloadSignal(@Nullable PCollection<?> signal);

    abstract Builder<InputT, K, V, OutputT> setKeyCoder(@Nullable Coder<K> keyCoder);

    abstract Builder<InputT, K, V, OutputT> setValueCoder(@Nullable Coder<V> valueCoder);

    abstract Builder<InputT, K, V, OutputT> setOutputCoder(@Nullable Coder<OutputT> outputCoder);

    abstract Builder<InputT, K, V, OutputT> setStage(String stage);

    abstract SideInputEnrichment<InputT, K, V, OutputT> build();
  }

  /** Joins each record with {@code table}'s row for {@code keyFn(record)}. */
  public static <InputT, K, V, OutputT> SideInputEnrichment<InputT, K, V, OutputT> of(
      SerializableFunction<InputT, K> keyFn,
      ReferenceTable<K, V> table,
      JoinFn<InputT, V, OutputT> joinFn) {
    checkArgumentNotNull(keyFn, "keyFn");
    checkArgumentNotNull(table, "table");
    checkArgumentNotNull(joinFn, "joinFn");
    return new AutoValue_SideInputEnrichment.Builder<InputT, K, V, OutputT>()
        .setKeyFn(keyFn)
        .setTable(table)
        .setJoinFn(joinFn)
        .setRefreshInterval(DEFAULT_REFRESH_INTERVAL)
        .setStage("enrich-side-input")
        .build();
  }

  /** How often an unbounded pipeline reloads the table. */
  public SideInputEnrichment<InputT, K, V, OutputT> withRefreshInterval(Duration interval) {
    if (interval == null || !interval.isLongerThan(Duration.ZERO)) {
      throw new IllegalArgumentException("refresh interval must be positive, got " + interval);
    }
    return toBuilder().setRefreshInterval(interval).build();
  }

  /** Reloads the table once per element of {@code signal} instead of on a timer. */
  public SideInputEnrichment<InputT, K, V, OutputT> reloadOn(PCollection<?> signal) {
    checkArgumentNotNull(signal, "signal");
    return toBuilder().setReloadSignal(signal).build();
  }

  /** Coders of the table's keys and rows (needed when they cannot be inferred). */
  public SideInputEnrichment<InputT, K, V, OutputT> withTableCoders(
      Coder<K> keyCoder, Coder<V> valueCoder) {
    return toBuilder()
        .setKeyCoder(checkArgumentNotNull(keyCoder, "keyCoder"))
        .setValueCoder(checkArgumentNotNull(valueCoder, "valueCoder"))
        .build();
  }

  /** Coder of the enriched records (needed when it cannot be inferred). */
  public SideInputEnrichment<InputT, K, V, OutputT> withOutputCoder(Coder<OutputT> outputCoder) {
    return toBuilder().setOutputCoder(checkArgumentNotNull(outputCoder, "outputCoder")).build();
  }

  /** Stage name written into failures' dead letters. */
  public SideInputEnrichment<InputT, K, V, OutputT> withStage(String stage) {
    if (stage == null || stage.isBlank()) {
      throw new IllegalArgumentException("stage must be a non-blank name");
    }
    return toBuilder().setStage(stage).build();
  }

  @Override
  public EnrichmentResult<InputT, OutputT> expand(PCollection<InputT> input) {
    Coder<K> keyCoder = keyCoder();
    Coder<V> valueCoder = valueCoder();
    if (keyCoder == null || valueCoder == null) {
      throw new IllegalStateException(
          "SideInputEnrichment needs the table's coders: call withTableCoders(keyCoder, valueCoder)");
    }
    Coder<OutputT> resolvedOutputCoder =
        EnrichmentCoders.outputCoder(outputCoder(), input.getPipeline(), joinFn());
    PCollectionView<Iterable<TableSnapshot<K, V>>> snapshot =
        reloadTicks(input)
            .apply(
                "OneTableVersionPerTick",
                Window.<KV<String, Long>>into(new GlobalWindows())
                    .triggering(Repeatedly.forever(AfterPane.elementCountAtLeast(1)))
                    .discardingFiredPanes())
            .apply("LoadTable", ParDo.of(new LoadTableFn<>(table())))
            .setCoder(TableSnapshot.coder(keyCoder, valueCoder))
            // The view holds the latest pane; if two loads share a pane, the reader takes the
            // newest.
            .apply("AsSideInput", View.asIterable());

    TupleTag<OutputT> enrichedTag = new TupleTag<>();
    TupleTag<InputT> unmatchedTag = new TupleTag<>();
    TupleTag<DeadLetter> failuresTag = new TupleTag<>();
    PCollectionTuple outputs =
        input.apply(
            "JoinWithTable",
            ParDo.of(
                    new JoinWithSnapshotFn<>(
                        keyFn(),
                        joinFn(),
                        snapshot,
                        stage(),
                        enrichedTag,
                        unmatchedTag,
                        failuresTag))
                .withSideInputs(snapshot)
                .withOutputTags(enrichedTag, TupleTagList.of(unmatchedTag).and(failuresTag)));
    return new EnrichmentResult<>(
        input.getPipeline(),
        enrichedTag,
        outputs.get(enrichedTag).setCoder(resolvedOutputCoder),
        unmatchedTag,
        outputs.get(unmatchedTag).setCoder(input.getCoder()),
        failuresTag,
        AdditionalOutputs.consumed(
            "Failures", outputs.get(failuresTag).setCoder(DeadLetter.coder())));
  }

  /** One element per reload, all under one key so versions can be numbered in state. */
  private PCollection<KV<String, Long>> reloadTicks(PCollection<InputT> input) {
    PCollection<Long> ticks;
    PCollection<?> reloadSignal = reloadSignal();
    if (reloadSignal != null) {
      ticks =
          reloadSignal.apply(
              "SignalToTick", MapElements.into(TypeDescriptors.longs()).via(signal -> 0L));
    } else if (input.isBounded() == PCollection.IsBounded.BOUNDED) {
      ticks =
          input
              .getPipeline()
              .apply("LoadOnce", Impulse.create())
              .apply("ImpulseToTick", MapElements.into(TypeDescriptors.longs()).via(bytes -> 0L));
    } else {
      ticks =
          input
              .getPipeline()
              .apply("RefreshEvery", PeriodicImpulse.create().withInterval(refreshInterval()))
              .apply(
                  "ImpulseToTick",
                  MapElements.into(TypeDescriptors.longs()).via((Instant at) -> 0L));
    }
    return ticks
        .apply(
            "SingleKey",
            MapElements.into(
                    TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
                .via(tick -> KV.of("table", tick)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));
  }

  /** Loads the table and numbers the load; a failed load emits nothing (old version stays). */
  private static final class LoadTableFn<K, V> extends DoFn<KV<String, Long>, TableSnapshot<K, V>> {
    private static final String VERSION = "version";
    private final ReferenceTable<K, V> table;
    private final Counter loads = Metrics.counter(SideInputEnrichment.class, "table_loads");
    private final Counter loadFailures =
        Metrics.counter(SideInputEnrichment.class, "table_load_failures");

    @StateId(VERSION)
    private final StateSpec<ValueState<Long>> versionSpec = StateSpecs.value(VarLongCoder.of());

    LoadTableFn(ReferenceTable<K, V> table) {
      this.table = table;
    }

    @ProcessElement
    public void process(
        @StateId(VERSION) ValueState<Long> version, OutputReceiver<TableSnapshot<K, V>> out) {
      Map<K, V> rows;
      try {
        rows = new HashMap<>(table.load());
      } catch (Exception e) {
        loadFailures.inc();
        return;
      }
      Long previous = version.read();
      long next = previous == null ? 1 : previous + 1;
      version.write(next);
      loads.inc();
      out.output(TableSnapshot.of(next, Instant.now(), rows));
    }
  }

  private static final class JoinWithSnapshotFn<InputT, K, V, OutputT>
      extends DoFn<InputT, OutputT> {
    private final SerializableFunction<InputT, K> keyFn;
    private final JoinFn<InputT, V, OutputT> joinFn;
    private final PCollectionView<Iterable<TableSnapshot<K, V>>> snapshotView;
    private final String stage;
    private final TupleTag<OutputT> enrichedTag;
    private final TupleTag<InputT> unmatchedTag;
    private final TupleTag<DeadLetter> failuresTag;
    private final Counter recordsIn = Metrics.counter(SideInputEnrichment.class, "records_in");
    private final Counter enriched = Metrics.counter(SideInputEnrichment.class, "enriched");
    private final Counter unmatched = Metrics.counter(SideInputEnrichment.class, "unmatched");
    private final Counter failures = Metrics.counter(SideInputEnrichment.class, "failures");
    private final Gauge tableVersion = Metrics.gauge(SideInputEnrichment.class, "table_version");
    private final Gauge tableRows = Metrics.gauge(SideInputEnrichment.class, "table_rows");

    JoinWithSnapshotFn(
        SerializableFunction<InputT, K> keyFn,
        JoinFn<InputT, V, OutputT> joinFn,
        PCollectionView<Iterable<TableSnapshot<K, V>>> snapshotView,
        String stage,
        TupleTag<OutputT> enrichedTag,
        TupleTag<InputT> unmatchedTag,
        TupleTag<DeadLetter> failuresTag) {
      this.keyFn = keyFn;
      this.joinFn = joinFn;
      this.snapshotView = snapshotView;
      this.stage = stage;
      this.enrichedTag = enrichedTag;
      this.unmatchedTag = unmatchedTag;
      this.failuresTag = failuresTag;
    }

    private static <K, V> @Nullable TableSnapshot<K, V> newest(
        Iterable<TableSnapshot<K, V>> loads) {
      TableSnapshot<K, V> newest = null;
      for (TableSnapshot<K, V> load : loads) {
        if (newest == null || load.version() > newest.version()) {
          newest = load;
        }
      }
      return newest;
    }

    @ProcessElement
    public void process(ProcessContext context, MultiOutputReceiver out) {
      recordsIn.inc();
      InputT record = context.element();
      TableSnapshot<K, V> snapshot = newest(context.sideInput(snapshotView));
      if (snapshot != null) {
        tableVersion.set(snapshot.version());
        tableRows.set(snapshot.rows().size());
      }
      K key;
      try {
        key = keyFn.apply(record);
      } catch (RuntimeException e) {
        failures.inc();
        out.get(failuresTag).output(DeadLetters.forRecord(stage, "key_failed", record, e));
        return;
      }
      V row = key == null || snapshot == null ? null : snapshot.rows().get(key);
      if (row == null) {
        unmatched.inc();
        out.get(unmatchedTag).output(record);
        return;
      }
      try {
        out.get(enrichedTag).output(joinFn.join(record, row));
        enriched.inc();
      } catch (Exception e) {
        failures.inc();
        out.get(failuresTag).output(DeadLetters.forRecord(stage, "join_failed", record, e));
      }
    }
  }
}
