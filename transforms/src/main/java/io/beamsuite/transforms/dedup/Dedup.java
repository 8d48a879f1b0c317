package io.beamsuite.transforms.dedup;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import com.google.auto.value.AutoValue;
import io.beamsuite.transforms.portability.AdditionalOutputs;
import io.beamsuite.transforms.records.SourceCoordinates;
import io.beamsuite.transforms.results.TaggedOutputs;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reify;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Removes records whose id was already seen, remembering each id for a retention period in event
 * time. State is bounded by event-time timers: an id is forgotten once the watermark passes the
 * latest event time seen for it plus the retention.
 *
 * <p>The first record of an id to arrive is kept, whatever its event time; later arrivals are
 * duplicates, also when their event time is earlier than their twin's and when the copies fall in
 * different windows (deduplication happens in the global window, before any windowing of the input
 * is re-applied). Duplicates are counted ({@code duplicates_dropped}) and available on {@link
 * Result#duplicates()}; records for which {@code idFn} returns {@code null} cannot be deduplicated
 * and pass through as unique ({@code records_without_id}). Counters {@code records_in = unique +
 * duplicates_dropped} reconcile.
 *
 * <p>A copy that arrives after the watermark has passed its twin's event time plus the retention is
 * treated as new: retention bounds state, so choose it above the largest expected gap between
 * copies (as for Beam's {@code Deduplicate}). On bounded input the watermark only moves at the end,
 * so nothing expires during the run: every later copy is a duplicate, and no expiry timers are set
 * at all.
 *
 * <p>"First" means first to arrive at the keyed step, which is source order for an ordered source
 * (a partition, a file) on unbounded input. On bounded input arrival order is not kept by every
 * runner: the Flink runner's batch mode groups a keyed step's bounded input with a sort that
 * reorders the values of a key, so there a stateful dedup keeps some copy of an id, not necessarily
 * the first. {@link #withSourceOrder} fixes "first" on bounded input to the copy read first from
 * its source (the smallest {@link SourceCoordinates}) by comparing an id's copies off the
 * DirectRunner (held per id on Flink, grouped elsewhere; the DirectRunner keeps read order, see
 * there); the pipelines' {@code UniqueEvents} uses it. Without it, bounded input is deduplicated
 * with state in arrival order, as described next.
 *
 * <p><b>State keys.</b> By default every id is its own state key, like Beam's {@code Deduplicate}:
 * the best layout where state keys are cheap (Dataflow, Flink, Spark). On the Flink runner in batch
 * mode, which sets up a DoFn runner per key group (about a quarter of a 1M-record batch run's time
 * with one key per id), bounded input is instead hashed into {@value #FLINK_BATCH_KEY_BUCKETS}
 * state keys ("buckets"), each holding a {@code MapState} of the ids seen. The DirectRunner emits
 * one bundle per state key from a keyed step and scans every key's pending timers each round, and
 * every bundle costs each downstream step an evaluator set-up, so there input goes into {@value
 * #DIRECT_KEY_BUCKETS} state key, bounded or not: the fewest bundles and timers. The runner is
 * recognised by the class name of the pipeline's {@code --runner}, so the user need not know.
 * {@link #withKeyBuckets withKeyBuckets(n)} overrides the choice ({@code 0}: one key per id).
 *
 * <p>Unbounded input with one key per id (every runner but Direct, by default) keeps the id's
 * latest event time and one expiry timer: no {@code MapState} (which Dataflow Runner v2 streaming
 * does not have), and expiry forgets one id without looking at any other. Unbounded input in
 * buckets keeps a map of ids and an ordered expiry queue per bucket, with one timer per expiry slot
 * (a sixteenth of the retention): an id is forgotten within one slot after its retention ends, and
 * expiry reads only the entries due. Buckets on bounded input need no expiry (see above). No bucket
 * is ever scanned or copied. Parallelism of a bucketed step is at most the bucket count.
 *
 * <pre>{@code
 * Dedup.Result<Click> deduped =
 *     clicks.apply("DropDuplicateClicks",
 *         Dedup.byId((Click c) -> c.eventId).withRetention(Duration.standardMinutes(30)));
 * PCollection<Click> unique = deduped.unique();
 * }</pre>
 */
@AutoValue
public abstract class Dedup<T> extends PTransform<PCollection<T>, Dedup.Result<T>> {
  /** Retention used unless {@link #withRetention} says otherwise. */
  public static final Duration DEFAULT_RETENTION = Duration.standardHours(1);

  /**
   * Buckets used for bounded input on the Flink runner unless {@link #withKeyBuckets} is called.
   */
  public static final int FLINK_BATCH_KEY_BUCKETS = 64;

  /** Buckets used on the DirectRunner unless {@link #withKeyBuckets} is called. */
  public static final int DIRECT_KEY_BUCKETS = 1;

  /** {@link #keyBuckets} when {@link #withKeyBuckets} was not called: chosen by runner. */
  private static final int BY_RUNNER = -1;

  abstract SerializableFunction<T, String> idFn();

  abstract Duration retention();

  abstract int keyBuckets();

  abstract @Nullable SerializableFunction<T, @Nullable SourceCoordinates> sourcePosition();

  abstract Builder<T> toBuilder();

  @AutoValue.Builder
  abstract static class Builder<T> {
    abstract Builder<T> setIdFn(SerializableFunction<T, String> idFn);

    abstract Builder<T> setRetention(Duration retention);

    abstract Builder<T> setKeyBuckets(int keyBuckets);

    abstract Builder<T> setSourcePosition(
        @Nullable SerializableFunction<T, @Nullable SourceCoordinates> sourcePosition);

    abstract Dedup<T> build();
  }

  /** Deduplicates by the id {@code idFn} extracts, with {@link #DEFAULT_RETENTION}. */
  public static <T> Dedup<T> byId(SerializableFunction<T, String> idFn) {
    checkArgumentNotNull(idFn, "idFn");
    return new AutoValue_Dedup.Builder<T>()
        .setIdFn(idFn)
        .setRetention(DEFAULT_RETENTION)
        .setKeyBuckets(BY_RUNNER)
        .build();
  }

  /** How long, in event time after the latest copy, an id is remembered. */
  public Dedup<T> withRetention(Duration retention) {
    if (retention == null || !retention.isLongerThan(Duration.ZERO)) {
      throw new IllegalArgumentException("retention must be positive, got " + retention);
    }
    return toBuilder().setRetention(retention).build();
  }

  /**
   * On bounded input, "first" is the copy read first from its source: the smallest {@link
   * SourceCoordinates} (topic or file, partition, offset or line) {@code positionFn} returns for
   * the copies of an id (copies without a position come last). The copies of an id are grouped
   * ({@code GroupByKey}) and compared, so the result is the same on every runner, also where a
   * keyed step's bounded input is regrouped out of arrival order (the Flink runner's batch mode
   * sorts it). Unbounded input is unchanged: there the first to arrive at the keyed step wins,
   * which for copies in one partition (the same key) is their source order.
   *
   * <p>On the Flink runner the copies are not grouped but held: each id is a state key keeping the
   * copy with the smallest coordinates so far and the others, emitted by the id's timer at the end
   * of the input (Flink's batch mode processes a keyed step key by key and fires a key's timers as
   * it moves on, so one id is held at a time; the grouping set up Beam's windowing machinery per
   * id: {@code lambda-batch} on 1,060,000 records 73 instead of 82 JVM CPU-seconds per million).
   *
   * <p>The DirectRunner is the exception: it runs every key of a {@code GroupByKey}'s output as a
   * bundle of its own (106,000 records took 230 s instead of 18 s), and it hands a keyed step the
   * records of each split in read order, so there bounded input keeps the stateful dedup in arrival
   * order, which for copies read from one file or partition is their source order.
   */
  public Dedup<T> withSourceOrder(SerializableFunction<T, @Nullable SourceCoordinates> positionFn) {
    checkArgumentNotNull(positionFn, "positionFn");
    return toBuilder().setSourcePosition(positionFn).build();
  }

  /**
   * Spreads the ids over {@code buckets} state keys ({@code 0}: one key per id), instead of letting
   * the runner decide. See the class documentation for when buckets pay off; on unbounded input
   * they need {@code MapState} and {@code OrderedListState}, which Dataflow Runner v2 streaming
   * does not have.
   */
  public Dedup<T> withKeyBuckets(int buckets) {
    if (buckets < 0) {
      throw new IllegalArgumentException("buckets must be >= 0, got " + buckets);
    }
    return toBuilder().setKeyBuckets(buckets).build();
  }

  @Override
  public Result<T> expand(PCollection<T> input) {
    Coder<T> coder = input.getCoder();
    TupleTag<KV<String, T>> withIdTag = new TupleTag<>();
    TupleTag<T> withoutIdTag = new TupleTag<>();
    TupleTag<T> uniqueTag = new TupleTag<>();
    TupleTag<T> duplicatesTag = new TupleTag<>();
    FirstArrivalOutputs<T> outputs = new FirstArrivalOutputs<>(uniqueTag, duplicatesTag);

    PCollectionTuple keyed =
        input.apply(
            "KeyById",
            ParDo.of(new KeyByIdFn<>(idFn(), withIdTag, withoutIdTag))
                .withOutputTags(withIdTag, TupleTagList.of(withoutIdTag)));
    PCollection<KV<String, T>> withIds =
        keyed
            .get(withIdTag)
            .setCoder(KvCoder.of(StringUtf8Coder.of(), coder))
            .apply("IntoGlobalWindow", Window.<KV<String, T>>into(new GlobalWindows()));
    PCollectionTuple deduplicated;
    boolean unbounded = input.isBounded() == PCollection.IsBounded.UNBOUNDED;
    if (unbounded && bucketsFor(input) == 0) {
      deduplicated =
          withIds.apply(
              "DropDuplicates",
              ParDo.of(new ExpiringDedupFn<>(retention(), outputs))
                  .withOutputTags(uniqueTag, TupleTagList.of(duplicatesTag)));
    } else if (unbounded) {
      deduplicated =
          withIds
              .apply("KeyByBucket", ParDo.of(new KeyByBucketFn<T>(bucketsFor(input))))
              .setCoder(KvCoder.of(VarIntCoder.of(), KvCoder.of(StringUtf8Coder.of(), coder)))
              .apply(
                  "DropDuplicatesPerBucket",
                  ParDo.of(new BucketedExpiringDedupFn<>(retention(), outputs))
                      .withOutputTags(uniqueTag, TupleTagList.of(duplicatesTag)));
    } else if (sourcePosition() != null && onFlinkRunner(input)) {
      deduplicated =
          withIds.apply(
              "KeepFirstInSourceOrder",
              ParDo.of(new HeldFirstInSourceOrderFn<>(coder, sourcePosition(), outputs))
                  .withOutputTags(uniqueTag, TupleTagList.of(duplicatesTag)));
    } else if (sourcePosition() != null && !onDirectRunner(input)) {
      deduplicated =
          withIds
              .apply("WithTimestamps", Reify.timestampsInValue())
              // The group's timestamp is its earliest copy's, so each copy can be re-emitted at its
              // own (later or equal) timestamp.
              .apply(
                  "EarliestTimestamp",
                  Window.<KV<String, TimestampedValue<T>>>into(new GlobalWindows())
                      .withTimestampCombiner(TimestampCombiner.EARLIEST))
              .apply("CopiesById", GroupByKey.create())
              .apply(
                  "KeepFirstInSourceOrder",
                  ParDo.of(new FirstInSourceOrderFn<>(sourcePosition(), outputs))
                      .withOutputTags(uniqueTag, TupleTagList.of(duplicatesTag)));
    } else if (bucketsFor(input) == 0) {
      deduplicated =
          withIds.apply(
              "DropDuplicates",
              ParDo.of(new FirstArrivalFn<>(outputs))
                  .withOutputTags(uniqueTag, TupleTagList.of(duplicatesTag)));
    } else {
      deduplicated =
          withIds
              .apply("KeyByBucket", ParDo.of(new KeyByBucketFn<T>(bucketsFor(input))))
              .setCoder(KvCoder.of(VarIntCoder.of(), KvCoder.of(StringUtf8Coder.of(), coder)))
              .apply(
                  "DropDuplicatesPerBucket",
                  ParDo.of(new BucketedFirstArrivalFn<>(outputs))
                      .withOutputTags(uniqueTag, TupleTagList.of(duplicatesTag)));
    }

    WindowingStrategy<?, ?> original = input.getWindowingStrategy();
    PCollection<T> unique =
        PCollectionList.of(
                restoreWindowing(deduplicated.get(uniqueTag).setCoder(coder), original, "Unique"))
            .and(keyed.get(withoutIdTag).setCoder(coder))
            .apply("WithRecordsWithoutId", Flatten.pCollections());
    // The duplicates output always gets a consumer: Beam's Spark runner (2.70) merges an unconsumed
    // additional output of a two-output ParDo into its main output (duplicates became "unique").
    PCollection<T> duplicates =
        restoreWindowing(
            AdditionalOutputs.consumed(
                "Duplicates", deduplicated.get(duplicatesTag).setCoder(coder)),
            original,
            "Duplicates");
    return new Result<>(input.getPipeline(), uniqueTag, unique, duplicatesTag, duplicates);
  }

  /**
   * Buckets: as asked, else by runner: the DirectRunner always, the Flink runner for bounded input,
   * else none.
   */
  private int bucketsFor(PCollection<T> input) {
    if (keyBuckets() != BY_RUNNER) {
      return keyBuckets();
    }
    if (onDirectRunner(input)) {
      return DIRECT_KEY_BUCKETS;
    }
    boolean bounded = input.isBounded() == PCollection.IsBounded.BOUNDED;
    return bounded && onFlinkRunner(input) ? FLINK_BATCH_KEY_BUCKETS : 0;
  }

  /** By class name: the transforms depend on no runner. */
  private static boolean onFlinkRunner(PCollection<?> input) {
    return input.getPipeline().getOptions().getRunner().getSimpleName().endsWith("FlinkRunner");
  }

  /** By class name: the transforms depend on no runner. */
  private static boolean onDirectRunner(PCollection<?> input) {
    return input.getPipeline().getOptions().getRunner().getSimpleName().equals("DirectRunner");
  }

  /** Puts the output back into the input's windows, so Dedup is transparent to windowing. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static <T> PCollection<T> restoreWindowing(
      PCollection<T> output, WindowingStrategy<?, ?> original, String name) {
    if (original.getWindowFn() instanceof GlobalWindows) {
      return output;
    }
    Window<T> rewindow =
        Window.<T>into((WindowFn) original.getWindowFn())
            .triggering(original.getTrigger())
            .withAllowedLateness(original.getAllowedLateness(), original.getClosingBehavior())
            .withOnTimeBehavior(original.getOnTimeBehavior())
            .withTimestampCombiner(original.getTimestampCombiner());
    rewindow =
        original.getMode() == WindowingStrategy.AccumulationMode.ACCUMULATING_FIRED_PANES
            ? rewindow.accumulatingFiredPanes()
            : rewindow.discardingFiredPanes();
    return output.apply("Restore" + name + "Windowing", rewindow);
  }

  /** The outputs of {@link Dedup}. */
  public static final class Result<T> extends TaggedOutputs {
    private final PCollection<T> unique;
    private final PCollection<T> duplicates;

    Result(
        Pipeline pipeline,
        TupleTag<T> uniqueTag,
        PCollection<T> unique,
        TupleTag<T> duplicatesTag,
        PCollection<T> duplicates) {
      super(pipeline);
      this.unique = output(uniqueTag, unique);
      this.duplicates = output(duplicatesTag, duplicates);
    }

    /** The first arrival of every id, plus records without an id. */
    public PCollection<T> unique() {
      return unique;
    }

    /** Every record dropped as a duplicate of an earlier arrival. */
    public PCollection<T> duplicates() {
      return duplicates;
    }
  }

  /** Bounded input with a source order: of an id's copies, the one read first is unique. */
}
