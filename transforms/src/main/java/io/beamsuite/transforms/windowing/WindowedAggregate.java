package io.beamsuite.transforms.windowing;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;
import static org.apache.beam.sdk.util.Preconditions.checkStateNotNull;

import com.google.auto.value.AutoValue;
import io.beamsuite.transforms.portability.AdditionalOutputs;
import io.beamsuite.transforms.results.TaggedOutputs;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo.Timing;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Aggregates records per key and event-time window with a {@link CombineFn}, and routes records
 * that arrive after their window closed to a late output instead of dropping them.
 *
 * <p>Each result is a {@link WindowResult}: key, window bounds, pane timing ({@code EARLY}, {@code
 * ON_TIME}, {@code LATE}), pane index and value. Panes follow Beam's default trigger (with early
 * firings if asked for): a window fires {@code ON_TIME} when the watermark passes its end, {@code
 * EARLY} every {@link WindowSpec#withEarlyFirings early-firing interval} of processing time while
 * it is open, and {@code LATE} for every record accepted within the allowed lateness after that; a
 * window whose first record arrives after its end has a {@code LATE} first pane. A record whose
 * window's end plus the allowed lateness is behind the watermark is a {@link LateRecord} on {@link
 * Result#lateRecords()}, with its reason.
 *
 * <p><b>Bounded input</b> (a batch run): nothing can be late, since the watermark only moves at the
 * end. The records are keyed, windowed with Beam's own {@code WindowFn} of the spec and combined
 * with {@code Combine.perKey}, so the runner lifts the combiner and merges sessions natively; each
 * window gives one {@code ON_TIME} result with pane index 0, and {@link Result#lateRecords()} is
 * empty. Early firings and accumulation mode do not apply.
 *
 * <p><b>Unbounded input</b>: the windows are kept per key with state and timers in the global
 * window, so lateness is decided where the window's accumulator lives. The watermark is never read
 * (that is not portable: Dataflow Runner v2 does not report it to the SDK); a key knows the
 * watermark from its own event-time timers, which fire at every window end and expiry (end plus
 * allowed lateness): a new key starts one memory (window size plus allowed lateness, at least an
 * hour) before its first record, and a key stops after two memories' worth of probe points without
 * a record (the climb, then about one memory after its last record). Every record routed late is
 * one Beam's GroupByKey with the same windowing would drop too; the converse can differ by the
 * timer-firing delay: a record that arrives after the watermark passed its window's expiry, but
 * before the key's timer for that point has fired, is still aggregated (for sessions, whose ends
 * are not aligned, the key probes every gap, so this can be up to one gap). The per-record work is
 * the number of windows the record belongs to, not the number of open windows; see the
 * package-private {@code WindowedAggregateFn} for the state layout.
 *
 * <p>Every input record therefore ends in at least one result pane or in the late output (one late
 * record per closed window it missed). Counters: {@code records_in}, {@code late_records}, {@code
 * panes_early}, {@code panes_on_time}, {@code panes_late}.
 *
 * <pre>{@code
 * WindowedAggregate.Result<String, Long, Click> views =
 *     clicks.apply("PageViewsPerMinute",
 *         WindowedAggregate.of((Click c) -> c.page, Count.<Click>combineFn())
 *             .withKeyCoder(StringUtf8Coder.of())
 *             .over(WindowSpec.tumbling(Duration.standardMinutes(1))
 *                 .withAllowedLateness(Duration.standardMinutes(5))));
 * PCollection<WindowResult<String, Long>> counts = views.results();
 * PCollection<LateRecord<Click>> tooLate = views.lateRecords();
 * }</pre>
 *
 * <p>The input may be in any windowing; it is ignored. Results and late records are in the global
 * window, results stamped with the max timestamp of their window, late records with their own.
 */
@AutoValue
public abstract class WindowedAggregate<InputT, K, AccumT, OutputT>
    extends PTransform<PCollection<InputT>, WindowedAggregate.Result<K, OutputT, InputT>> {

  abstract SerializableFunction<InputT, K> keyFn();

  abstract CombineFn<InputT, AccumT, OutputT> combineFn();

  abstract @Nullable WindowSpec windowSpec();

  abstract @Nullable Coder<K> keyCoder();

  abstract Builder<InputT, K, AccumT, OutputT> toBuilder();

  @AutoValue.Builder
  abstract static class Builder<InputT, K, AccumT, OutputT> {
    abstract Builder<InputT, K, AccumT, OutputT> setKeyFn(SerializableFunction<InputT, K> keyFn);

    abstract Builder<InputT, K, AccumT, OutputT> setCombineFn(
        CombineFn<InputT, AccumT, OutputT> combineFn);

    abstract Builder<InputT, K, AccumT, OutputT> setWindowSpec(@Nullable WindowSpec windowSpec);

    abstract Builder<InputT, K, AccumT, OutputT> setKeyCoder(@Nullable Coder<K> keyCoder);

    abstract WindowedAggregate<InputT, K, AccumT, OutputT> build();
  }

  /** Aggregates with {@code combineFn} per key given by {@code keyFn}; call {@link #over} next. */
  public static <InputT, K, AccumT, OutputT> WindowedAggregate<InputT, K, AccumT, OutputT> of(
      SerializableFunction<InputT, K> keyFn, CombineFn<InputT, AccumT, OutputT> combineFn) {
    checkArgumentNotNull(keyFn, "keyFn");
    checkArgumentNotNull(combineFn, "combineFn");
    return new AutoValue_WindowedAggregate.Builder<InputT, K, AccumT, OutputT>()
        .setKeyFn(keyFn)
        .setCombineFn(combineFn)
        .build();
  }

  /** The windows to aggregate over. Required. */
  public WindowedAggregate<InputT, K, AccumT, OutputT> over(WindowSpec spec) {
    checkArgumentNotNull(spec, "spec");
    return toBuilder().setWindowSpec(spec).build();
  }

  /** The coder of the keys; needed when it cannot be inferred (e.g. {@code keyFn} is a lambda). */
  public WindowedAggregate<InputT, K, AccumT, OutputT> withKeyCoder(Coder<K> keyCoder) {
    checkArgumentNotNull(keyCoder, "keyCoder");
    return toBuilder().setKeyCoder(keyCoder).build();
  }

  @Override
  public Result<K, OutputT, InputT> expand(PCollection<InputT> input) {
    if (windowSpec() == null) {
      throw new IllegalStateException(
          "WindowedAggregate needs a window spec: call over(WindowSpec)");
    }
    Coder<InputT> inputCoder = input.getCoder();
    CoderRegistry registry = input.getPipeline().getCoderRegistry();
    Coder<K> resolvedKeyCoder = resolveKeyCoder(registry);
    Coder<AccumT> accumulatorCoder;
    Coder<OutputT> outputCoder;
    try {
      accumulatorCoder = combineFn().getAccumulatorCoder(registry, inputCoder);
      outputCoder = combineFn().getDefaultOutputCoder(registry, inputCoder);
    } catch (CannotProvideCoderException e) {
      throw new IllegalStateException(
          "No coder for the accumulator or output of " + combineFn(), e);
    }

    // Project to (key, record) before anything is shuffled.
    PCollection<KV<K, InputT>> keyed =
        input
            .apply("KeyRecords", ParDo.of(new KeyRecordsFn<>(keyFn())))
            .setCoder(KvCoder.of(resolvedKeyCoder, inputCoder));
    Coder<WindowResult<K, OutputT>> resultCoder = WindowResult.coder(resolvedKeyCoder, outputCoder);
    Coder<LateRecord<InputT>> lateCoder = LateRecord.coder(inputCoder);
    return input.isBounded() == PCollection.IsBounded.BOUNDED
        ? expandBounded(keyed, resultCoder, outputCoder, lateCoder)
        : expandUnbounded(keyed, accumulatorCoder, resultCoder, lateCoder);
  }

  /**
   * Bounded input: the watermark only moves at the end, so nothing can be late and every window
   * fires once, on time. Beam's own windowing and {@code Combine.perKey} do the work (combiner
   * lifting, runner-native session merging).
   */
  private Result<K, OutputT, InputT> expandBounded(
      PCollection<KV<K, InputT>> keyed,
      Coder<WindowResult<K, OutputT>> resultCoder,
      Coder<OutputT> outputCoder,
      Coder<LateRecord<InputT>> lateCoder) {
    Coder<K> keyCoder = ((KvCoder<K, InputT>) keyed.getCoder()).getKeyCoder();
    PCollection<WindowResult<K, OutputT>> results =
        keyed
            .apply(
                "IntoWindows",
                Window.<KV<K, InputT>>into(spec().windowFn())
                    .triggering(DefaultTrigger.of())
                    .withAllowedLateness(Duration.ZERO)
                    .discardingFiredPanes()
                    .withTimestampCombiner(TimestampCombiner.END_OF_WINDOW))
            .apply("CombinePerWindow", Combine.<K, InputT, OutputT>perKey(combineFn()))
            .setCoder(KvCoder.of(keyCoder, outputCoder))
            .apply("ToWindowResults", ParDo.of(new ToWindowResultFn<K, OutputT>()))
            .setCoder(resultCoder)
            .apply("IntoGlobalWindow", Window.<WindowResult<K, OutputT>>into(new GlobalWindows()));
    PCollection<LateRecord<InputT>> none =
        keyed.getPipeline().apply("NoLateRecords", Create.empty(lateCoder));
    PCollection<LateRecord<InputT>> late = AdditionalOutputs.consumed("LateRecords", none);
    return new Result<>(keyed.getPipeline(), new TupleTag<>(), results, new TupleTag<>(), late);
  }

  /** Unbounded input: state and timers per key decide lateness where the accumulator lives. */
  private Result<K, OutputT, InputT> expandUnbounded(
      PCollection<KV<K, InputT>> keyed,
      Coder<AccumT> accumulatorCoder,
      Coder<WindowResult<K, OutputT>> resultCoder,
      Coder<LateRecord<InputT>> lateCoder) {
    TupleTag<WindowResult<K, OutputT>> resultsTag = new TupleTag<>();
    TupleTag<LateRecord<InputT>> lateTag = new TupleTag<>();
    PCollectionTuple outputs =
        keyed
            .apply("IntoGlobalWindow", Window.<KV<K, InputT>>into(new GlobalWindows()))
            .apply(
                "AggregatePerWindow",
                ParDo.of(
                        new WindowedAggregateFn<>(
                            spec(), combineFn(), accumulatorCoder, resultsTag, lateTag))
                    .withOutputTags(resultsTag, TupleTagList.of(lateTag)));
    // The late output always gets a consumer: Beam's Spark runner (2.70) merges an unconsumed
    // additional output of a two-output ParDo into its main output.
    PCollection<LateRecord<InputT>> late =
        AdditionalOutputs.consumed("LateRecords", outputs.get(lateTag).setCoder(lateCoder));
    return new Result<>(
        keyed.getPipeline(),
        resultsTag,
        outputs.get(resultsTag).setCoder(resultCoder),
        lateTag,
        late);
  }

  private WindowSpec spec() {
    return checkStateNotNull(windowSpec(), "spec");
  }

  /** Keys each record and counts it ({@code records_in}), on both paths. */
  private static final class KeyRecordsFn<InputT, K> extends DoFn<InputT, KV<K, InputT>> {
    private final SerializableFunction<InputT, K> keyFn;
    private final Counter recordsIn = Metrics.counter(WindowedAggregate.class, "records_in");

    KeyRecordsFn(SerializableFunction<InputT, K> keyFn) {
      this.keyFn = keyFn;
    }

    @ProcessElement
    public void processElement(@Element InputT record, OutputReceiver<KV<K, InputT>> out) {
      recordsIn.inc();
      out.output(KV.of(keyFn.apply(record), record));
    }
  }

  /**
   * Turns Beam's (key, window, value) into the result the streaming path emits for an on-time pane.
   */
  private static final class ToWindowResultFn<K, V> extends DoFn<KV<K, V>, WindowResult<K, V>> {
    private final Counter onTimePanes = Metrics.counter(WindowedAggregate.class, "panes_on_time");

    @ProcessElement
    public void processElement(
        @Element KV<K, V> element, BoundedWindow window, OutputReceiver<WindowResult<K, V>> out) {
      IntervalWindow interval = (IntervalWindow) window;
      onTimePanes.inc();
      // Output timestamp stays the window's max timestamp (END_OF_WINDOW), as in the streaming
      // path.
      out.output(
          WindowResult.of(
              element.getKey(),
              interval.start(),
              interval.end(),
              Timing.ON_TIME,
              0L,
              element.getValue()));
    }
  }

  private Coder<K> resolveKeyCoder(CoderRegistry registry) {
    if (keyCoder() != null) {
      return keyCoder();
    }
    try {
      return registry.getCoder(TypeDescriptors.outputOf(keyFn()));
    } catch (CannotProvideCoderException | IllegalArgumentException e) {
      throw new IllegalStateException(
          "Cannot infer the key coder of WindowedAggregate; call withKeyCoder(...)", e);
    }
  }

  /** The outputs of {@link WindowedAggregate}: results per key and window, and late records. */
  public static final class Result<K, OutputT, InputT> extends TaggedOutputs {
    private final PCollection<WindowResult<K, OutputT>> results;
    private final PCollection<LateRecord<InputT>> lateRecords;

    Result(
        Pipeline pipeline,
        TupleTag<WindowResult<K, OutputT>> resultsTag,
        PCollection<WindowResult<K, OutputT>> results,
        TupleTag<LateRecord<InputT>> lateTag,
        PCollection<LateRecord<InputT>> lateRecords) {
      super(pipeline);
      this.results = output(resultsTag, results);
      this.lateRecords = output(lateTag, lateRecords);
    }

    /** One element per fired pane of each key and window. */
    public PCollection<WindowResult<K, OutputT>> results() {
      return results;
    }

    /** Records that arrived after their window closed, one per closed window missed. */
    public PCollection<LateRecord<InputT>> lateRecords() {
      return lateRecords;
    }
  }
}
