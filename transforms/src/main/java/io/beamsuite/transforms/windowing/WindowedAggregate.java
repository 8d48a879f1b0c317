package io.beamsuite.transforms.windowing;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Aggregates records per key and event-time window with a {@link CombineFn}, and routes records
 * that arrive after their window closed to a late output instead of dropping them.
 *
 * <p>Each result is a {@link WindowResult}: key, window bounds, pane timing ({@code EARLY}, {@code
 * ON_TIME}, {@code LATE}), pane index and value. A window fires {@code ON_TIME} when the watermark
 * passes its end, {@code EARLY} every {@link WindowSpec#withEarlyFirings early-firing interval} of
 * processing time while it is open, and {@code LATE} for every record accepted within the allowed
 * lateness after that. A record whose window's end plus the allowed lateness is already behind the
 * input watermark is a {@link LateRecord} on {@link Result#lateRecords()}, with its reason; the
 * criterion is exactly the one with which Beam's GroupByKey would have dropped it.
 *
 * <p>Every input record therefore ends in at least one result pane or in the late output (one
 * late record per closed window it missed). Counters: {@code records_in}, {@code late_records},
 * {@code panes_early}, {@code panes_on_time}, {@code panes_late}.
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
 * <p>The input may be in any windowing; it is re-windowed into the global window, where the
 * windows of the spec are maintained with per-key state and event-time timers. Session windows
 * merge per key as records arrive. Results and late records are in the global window, stamped with
 * the end of their window.
 */
public final class WindowedAggregate<InputT, K, AccumT, OutputT>
    extends PTransform<PCollection<InputT>, WindowedAggregate.Result<K, OutputT, InputT>> {

  private final SerializableFunction<InputT, K> keyFn;
  private final CombineFn<InputT, AccumT, OutputT> combineFn;
  private final @Nullable WindowSpec spec;
  private final @Nullable Coder<K> keyCoder;

  private WindowedAggregate(
      SerializableFunction<InputT, K> keyFn,
      CombineFn<InputT, AccumT, OutputT> combineFn,
      @Nullable WindowSpec spec,
      @Nullable Coder<K> keyCoder) {
    this.keyFn = keyFn;
    this.combineFn = combineFn;
    this.spec = spec;
    this.keyCoder = keyCoder;
  }

  /** Aggregates with {@code combineFn} per key given by {@code keyFn}; call {@link #over} next. */
  public static <InputT, K, AccumT, OutputT> WindowedAggregate<InputT, K, AccumT, OutputT> of(
      SerializableFunction<InputT, K> keyFn, CombineFn<InputT, AccumT, OutputT> combineFn) {
    checkArgumentNotNull(keyFn, "keyFn");
    checkArgumentNotNull(combineFn, "combineFn");
    return new WindowedAggregate<>(keyFn, combineFn, null, null);
  }

  /** The windows to aggregate over. Required. */
  public WindowedAggregate<InputT, K, AccumT, OutputT> over(WindowSpec spec) {
    checkArgumentNotNull(spec, "spec");
    return new WindowedAggregate<>(keyFn, combineFn, spec, keyCoder);
  }

  /** The coder of the keys; needed when it cannot be inferred (e.g. {@code keyFn} is a lambda). */
  public WindowedAggregate<InputT, K, AccumT, OutputT> withKeyCoder(Coder<K> keyCoder) {
    checkArgumentNotNull(keyCoder, "keyCoder");
    return new WindowedAggregate<>(keyFn, combineFn, spec, keyCoder);
  }

  @Override
  public Result<K, OutputT, InputT> expand(PCollection<InputT> input) {
    if (spec == null) {
      throw new IllegalStateException("WindowedAggregate needs a window spec: call over(WindowSpec)");
    }
    Coder<InputT> inputCoder = input.getCoder();
    CoderRegistry registry = input.getPipeline().getCoderRegistry();
    Coder<K> resolvedKeyCoder = resolveKeyCoder(registry);
    Coder<AccumT> accumulatorCoder;
    Coder<OutputT> outputCoder;
    try {
      accumulatorCoder = combineFn.getAccumulatorCoder(registry, inputCoder);
      outputCoder = combineFn.getDefaultOutputCoder(registry, inputCoder);
    } catch (CannotProvideCoderException e) {
      throw new IllegalStateException("No coder for the accumulator or output of " + combineFn, e);
    }

    TupleTag<WindowResult<K, OutputT>> resultsTag = new TupleTag<>();
    TupleTag<LateRecord<InputT>> lateTag = new TupleTag<>();
    PCollectionTuple outputs =
        input
            .apply("KeyRecords", WithKeys.of(keyFn))
            .setCoder(KvCoder.of(resolvedKeyCoder, inputCoder))
            .apply("IntoGlobalWindow", Window.<KV<K, InputT>>into(new GlobalWindows()))
            .apply(
                "AggregatePerWindow",
                ParDo.of(
                        new WindowedAggregateFn<>(
                            spec, combineFn, accumulatorCoder, resultsTag, lateTag))
                    .withOutputTags(resultsTag, TupleTagList.of(lateTag)));
    // The late output always gets a consumer: Beam's Spark runner (2.70) merges an unconsumed
    // additional output of a two-output ParDo into its main output.
    PCollection<LateRecord<InputT>> late =
        PCollectionList.of(outputs.get(lateTag).setCoder(LateRecord.coder(inputCoder)))
            .apply("LateRecords", Flatten.pCollections());
    return new Result<>(
        input.getPipeline(),
        resultsTag,
        outputs.get(resultsTag).setCoder(WindowResult.coder(resolvedKeyCoder, outputCoder)),
        lateTag,
        late);
  }

  private Coder<K> resolveKeyCoder(CoderRegistry registry) {
    if (keyCoder != null) {
      return keyCoder;
    }
    try {
      return registry.getCoder(TypeDescriptors.outputOf(keyFn));
    } catch (CannotProvideCoderException | IllegalArgumentException e) {
      throw new IllegalStateException(
          "Cannot infer the key coder of WindowedAggregate; call withKeyCoder(...)", e);
    }
  }

  /** The outputs of {@link WindowedAggregate}: results per key and window, and late records. */
  public static final class Result<K, OutputT, InputT> implements POutput {
    private final Pipeline pipeline;
    private final TupleTag<WindowResult<K, OutputT>> resultsTag;
    private final PCollection<WindowResult<K, OutputT>> results;
    private final TupleTag<LateRecord<InputT>> lateTag;
    private final PCollection<LateRecord<InputT>> lateRecords;

    Result(
        Pipeline pipeline,
        TupleTag<WindowResult<K, OutputT>> resultsTag,
        PCollection<WindowResult<K, OutputT>> results,
        TupleTag<LateRecord<InputT>> lateTag,
        PCollection<LateRecord<InputT>> lateRecords) {
      this.pipeline = pipeline;
      this.resultsTag = resultsTag;
      this.results = results;
      this.lateTag = lateTag;
      this.lateRecords = lateRecords;
    }

    /** One element per fired pane of each key and window. */
    public PCollection<WindowResult<K, OutputT>> results() {
      return results;
    }

    /** Records that arrived after their window closed, one per closed window missed. */
    public PCollection<LateRecord<InputT>> lateRecords() {
      return lateRecords;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      return Map.of(resultsTag, results, lateTag, lateRecords);
    }

    @Override
    public void finishSpecifyingOutput(
        String transformName, PInput input, PTransform<?, ?> transform) {}
  }
}
