package io.beamsuite.transforms.dedup;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.state.MapState;
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
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Removes records whose id was already seen, remembering each id for a retention period in event
 * time. State is bounded by event-time timers: an id is forgotten once the watermark passes the
 * latest event time seen for it plus the retention.
 *
 * <p>The first record of an id to arrive is kept, whatever its event time; later arrivals are
 * duplicates, also when their event time is earlier than their twin's and when the copies fall in
 * different windows (deduplication happens in the global window, before any windowing of the
 * input is re-applied). Duplicates are counted ({@code duplicates_dropped}) and available on
 * {@link Result#duplicates()}; records for which {@code idFn} returns {@code null} cannot be
 * deduplicated and pass through as unique ({@code records_without_id}). Counters {@code
 * records_in = unique + duplicates_dropped} reconcile.
 *
 * <p>A copy that arrives after the watermark has passed its twin's event time plus the retention
 * is treated as new: retention bounds state, so choose it above the largest expected gap between
 * copies (as for Beam's {@code Deduplicate}).
 *
 * <p><b>State keys.</b> By default every id is its own state key with its own expiry timer, like
 * Beam's {@code Deduplicate}: the best layout for runners that spread keys cheaply (Dataflow,
 * Flink). {@link #withKeyBuckets withKeyBuckets(n)} hashes ids into {@code n} state keys holding a
 * map of ids each, with one expiry timer per bucket. That is much faster on the DirectRunner,
 * which processes every state key and every timer firing as a bundle of its own; the price is a
 * coarser expiry: an id is remembered at least {@code retention} and at most {@code retention +
 * retention/16} after its latest copy (timers are rounded up to slots of {@code retention/16}, so
 * a bucket's timer fires at most once per slot). Parallelism of the step is at most {@code n}.
 *
 * <pre>{@code
 * Dedup.Result<Click> deduped =
 *     clicks.apply("DropDuplicateClicks",
 *         Dedup.byId((Click c) -> c.eventId).withRetention(Duration.standardMinutes(30)));
 * PCollection<Click> unique = deduped.unique();
 * }</pre>
 */
public final class Dedup<T> extends PTransform<PCollection<T>, Dedup.Result<T>> {
  /** Retention used unless {@link #withRetention} says otherwise. */
  public static final Duration DEFAULT_RETENTION = Duration.standardHours(1);

  private final SerializableFunction<T, String> idFn;
  private final Duration retention;
  private final int keyBuckets;

  private Dedup(SerializableFunction<T, String> idFn, Duration retention, int keyBuckets) {
    this.idFn = idFn;
    this.retention = retention;
    this.keyBuckets = keyBuckets;
  }

  /** Deduplicates by the id {@code idFn} extracts, with {@link #DEFAULT_RETENTION}. */
  public static <T> Dedup<T> byId(SerializableFunction<T, String> idFn) {
    checkArgumentNotNull(idFn, "idFn");
    return new Dedup<>(idFn, DEFAULT_RETENTION, 0);
  }

  /** How long, in event time after the latest copy, an id is remembered. */
  public Dedup<T> withRetention(Duration retention) {
    if (retention == null || !retention.isLongerThan(Duration.ZERO)) {
      throw new IllegalArgumentException("retention must be positive, got " + retention);
    }
    return new Dedup<>(idFn, retention, keyBuckets);
  }

  /**
   * Spreads ids over {@code buckets} state keys instead of one key per id ({@code 0}, the default);
   * see the class documentation for when that pays off and what it costs.
   */
  public Dedup<T> withKeyBuckets(int buckets) {
    if (buckets < 0) {
      throw new IllegalArgumentException("buckets must be >= 0, got " + buckets);
    }
    return new Dedup<>(idFn, retention, buckets);
  }

  @Override
  public Result<T> expand(PCollection<T> input) {
    Coder<T> coder = input.getCoder();
    TupleTag<KV<String, T>> withIdTag = new TupleTag<>();
    TupleTag<T> withoutIdTag = new TupleTag<>();
    TupleTag<T> uniqueTag = new TupleTag<>();
    TupleTag<T> duplicatesTag = new TupleTag<>();

    PCollectionTuple keyed =
        input.apply(
            "KeyById",
            ParDo.of(new KeyByIdFn<>(idFn, withIdTag, withoutIdTag))
                .withOutputTags(withIdTag, TupleTagList.of(withoutIdTag)));
    PCollection<KV<String, T>> withIds =
        keyed
            .get(withIdTag)
            .setCoder(KvCoder.of(StringUtf8Coder.of(), coder))
            .apply("IntoGlobalWindow", Window.<KV<String, T>>into(new GlobalWindows()));
    PCollectionTuple deduplicated =
        keyBuckets == 0
            ? withIds.apply(
                "DropDuplicates",
                ParDo.of(new DedupFn<>(retention, uniqueTag, duplicatesTag))
                    .withOutputTags(uniqueTag, TupleTagList.of(duplicatesTag)))
            : withIds
                .apply("KeyByBucket", ParDo.of(new KeyByBucketFn<T>(keyBuckets)))
                .setCoder(
                    KvCoder.of(VarIntCoder.of(), KvCoder.of(StringUtf8Coder.of(), coder)))
                .apply(
                    "DropDuplicatesPerBucket",
                    ParDo.of(new BucketedDedupFn<>(retention, uniqueTag, duplicatesTag))
                        .withOutputTags(uniqueTag, TupleTagList.of(duplicatesTag)));

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
            PCollectionList.of(deduplicated.get(duplicatesTag).setCoder(coder))
                .apply("Duplicates", Flatten.pCollections()),
            original,
            "Duplicates");
    return new Result<>(input.getPipeline(), uniqueTag, unique, duplicatesTag, duplicates);
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
  public static final class Result<T> implements POutput {
    private final Pipeline pipeline;
    private final TupleTag<T> uniqueTag;
    private final PCollection<T> unique;
    private final TupleTag<T> duplicatesTag;
    private final PCollection<T> duplicates;

    Result(
        Pipeline pipeline,
        TupleTag<T> uniqueTag,
        PCollection<T> unique,
        TupleTag<T> duplicatesTag,
        PCollection<T> duplicates) {
      this.pipeline = pipeline;
      this.uniqueTag = uniqueTag;
      this.unique = unique;
      this.duplicatesTag = duplicatesTag;
      this.duplicates = duplicates;
    }

    /** The first arrival of every id, plus records without an id. */
    public PCollection<T> unique() {
      return unique;
    }

    /** Every record dropped as a duplicate of an earlier arrival. */
    public PCollection<T> duplicates() {
      return duplicates;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      return Map.of(uniqueTag, unique, duplicatesTag, duplicates);
    }

    @Override
    public void finishSpecifyingOutput(
        String transformName, PInput input, PTransform<?, ?> transform) {}
  }

  private static final class KeyByIdFn<T> extends DoFn<T, KV<String, T>> {
    private final SerializableFunction<T, String> idFn;
    private final TupleTag<KV<String, T>> withIdTag;
    private final TupleTag<T> withoutIdTag;
    private final Counter recordsIn = Metrics.counter(Dedup.class, "records_in");
    private final Counter withoutId = Metrics.counter(Dedup.class, "records_without_id");
    private final Counter unique = Metrics.counter(Dedup.class, "unique");

    KeyByIdFn(
        SerializableFunction<T, String> idFn,
        TupleTag<KV<String, T>> withIdTag,
        TupleTag<T> withoutIdTag) {
      this.idFn = idFn;
      this.withIdTag = withIdTag;
      this.withoutIdTag = withoutIdTag;
    }

    @ProcessElement
    public void processElement(@Element T element, MultiOutputReceiver out) {
      recordsIn.inc();
      String id = idFn.apply(element);
      if (id == null) {
        withoutId.inc();
        unique.inc();
        out.get(withoutIdTag).output(element);
      } else {
        out.get(withIdTag).output(KV.of(id, element));
      }
    }
  }

  private static final class DedupFn<T> extends DoFn<KV<String, T>, T> {
    private static final String LATEST_EVENT_TIME = "latestEventTime";
    private static final String EXPIRY = "expiry";

    private final Duration retention;
    private final TupleTag<T> uniqueTag;
    private final TupleTag<T> duplicatesTag;
    private final Counter unique = Metrics.counter(Dedup.class, "unique");
    private final Counter duplicates = Metrics.counter(Dedup.class, "duplicates_dropped");

    @StateId(LATEST_EVENT_TIME)
    private final StateSpec<ValueState<Instant>> latestEventTimeSpec = StateSpecs.value();

    @TimerId(EXPIRY)
    private final TimerSpec expirySpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    DedupFn(Duration retention, TupleTag<T> uniqueTag, TupleTag<T> duplicatesTag) {
      this.retention = retention;
      this.uniqueTag = uniqueTag;
      this.duplicatesTag = duplicatesTag;
    }

    @ProcessElement
    public void processElement(
        @Element KV<String, T> element,
        @Timestamp Instant timestamp,
        @StateId(LATEST_EVENT_TIME) ValueState<Instant> latestEventTime,
        @TimerId(EXPIRY) Timer expiry,
        MultiOutputReceiver out) {
      Instant latest = latestEventTime.read();
      if (latest == null) {
        unique.inc();
        out.get(uniqueTag).output(element.getValue());
      } else {
        duplicates.inc();
        out.get(duplicatesTag).output(element.getValue());
      }
      if (latest == null || timestamp.isAfter(latest)) {
        latestEventTime.write(timestamp);
        Instant forgetAt = timestamp.plus(retention);
        Instant last = GlobalWindow.INSTANCE.maxTimestamp();
        expiry.set(forgetAt.isAfter(last) ? last : forgetAt);
      }
    }

    @OnTimer(EXPIRY)
    public void onExpiry(@StateId(LATEST_EVENT_TIME) ValueState<Instant> latestEventTime) {
      latestEventTime.clear();
    }
  }

  private static final class KeyByBucketFn<T> extends DoFn<KV<String, T>, KV<Integer, KV<String, T>>> {
    private final int buckets;

    KeyByBucketFn(int buckets) {
      this.buckets = buckets;
    }

    @ProcessElement
    public void processElement(
        @Element KV<String, T> element, OutputReceiver<KV<Integer, KV<String, T>>> out) {
      out.output(KV.of(Math.floorMod(element.getKey().hashCode(), buckets), element));
    }
  }

  /** One state key per bucket of ids: a map id -> latest event time, one slotted expiry timer. */
  private static final class BucketedDedupFn<T> extends DoFn<KV<Integer, KV<String, T>>, T> {
    private static final String LATEST_BY_ID = "latestEventTimeById";
    private static final String NEXT_EXPIRY = "nextExpiry";
    private static final String EXPIRY = "expiry";

    private final Duration retention;
    private final long slotMillis;
    private final TupleTag<T> uniqueTag;
    private final TupleTag<T> duplicatesTag;
    private final Counter unique = Metrics.counter(Dedup.class, "unique");
    private final Counter duplicates = Metrics.counter(Dedup.class, "duplicates_dropped");

    @StateId(LATEST_BY_ID)
    private final StateSpec<MapState<String, Instant>> latestByIdSpec =
        StateSpecs.map(StringUtf8Coder.of(), InstantCoder.of());

    @StateId(NEXT_EXPIRY)
    private final StateSpec<ValueState<Instant>> nextExpirySpec = StateSpecs.value(InstantCoder.of());

    @TimerId(EXPIRY)
    private final TimerSpec expirySpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    BucketedDedupFn(Duration retention, TupleTag<T> uniqueTag, TupleTag<T> duplicatesTag) {
      this.retention = retention;
      this.slotMillis = Math.max(1L, retention.getMillis() / 16);
      this.uniqueTag = uniqueTag;
      this.duplicatesTag = duplicatesTag;
    }

    @ProcessElement
    public void processElement(
        @Element KV<Integer, KV<String, T>> element,
        @Timestamp Instant timestamp,
        @StateId(LATEST_BY_ID) MapState<String, Instant> latestById,
        @StateId(NEXT_EXPIRY) ValueState<Instant> nextExpiry,
        @TimerId(EXPIRY) Timer expiry,
        MultiOutputReceiver out) {
      String id = element.getValue().getKey();
      Instant latest = latestById.get(id).read();
      if (latest == null) {
        unique.inc();
        out.get(uniqueTag).output(element.getValue().getValue());
      } else {
        duplicates.inc();
        out.get(duplicatesTag).output(element.getValue().getValue());
      }
      if (latest == null || timestamp.isAfter(latest)) {
        latestById.put(id, timestamp);
        Instant slot = slotAfter(timestamp.plus(retention));
        Instant scheduled = nextExpiry.read();
        if (scheduled == null || slot.isBefore(scheduled)) {
          nextExpiry.write(slot);
          expiry.set(slot);
        }
      }
    }

    @OnTimer(EXPIRY)
    public void onExpiry(
        @Timestamp Instant firedAt,
        @StateId(LATEST_BY_ID) MapState<String, Instant> latestById,
        @StateId(NEXT_EXPIRY) ValueState<Instant> nextExpiry,
        @TimerId(EXPIRY) Timer expiry) {
      // The watermark is past firedAt: every id whose retention ends by then is forgotten.
      Instant next = null;
      List<String> forgotten = new ArrayList<>();
      for (Map.Entry<String, Instant> entry : latestById.entries().read()) {
        Instant forgetAt = entry.getValue().plus(retention);
        if (!forgetAt.isAfter(firedAt)) {
          forgotten.add(entry.getKey());
        } else {
          Instant slot = slotAfter(forgetAt);
          next = next == null || slot.isBefore(next) ? slot : next;
        }
      }
      forgotten.forEach(latestById::remove);
      if (next == null) {
        nextExpiry.clear();
      } else {
        nextExpiry.write(next);
        expiry.set(next);
      }
    }

    /** The end of the expiry slot holding {@code time}, capped at the end of the global window. */
    private Instant slotAfter(Instant time) {
      Instant last = GlobalWindow.INSTANCE.maxTimestamp();
      if (!time.isBefore(last.minus(Duration.millis(slotMillis)))) {
        return last;
      }
      long millis = time.getMillis();
      return new Instant(millis - Math.floorMod(millis, slotMillis) + slotMillis);
    }
  }
}
