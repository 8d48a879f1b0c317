package io.beamsuite.transforms.cdc;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import com.google.auto.value.AutoValue;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.errors.DeadLetters;
import io.beamsuite.transforms.portability.AdditionalOutputs;
import io.beamsuite.transforms.results.TaggedOutputs;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Turns a stream of {@link ChangeEvent}s, delivered at least once and in any order, into the {@link
 * Mutation}s that bring a sink's copy of each row up to date: per key, a change is applied only if
 * its {@link ChangePosition} is after the last applied one.
 *
 * <ul>
 *   <li>A change at or before the key's last applied position is <b>stale</b>: it is dropped
 *       (counted in {@code stale_changes}, and available on {@link Result#staleChanges()}) and
 *       never overwrites newer data. A second delivery of the same change has the same position, so
 *       duplicates are stale too ({@code duplicate_changes} counts those separately).
 *   <li>An applied insert, update or snapshot read becomes an {@link Mutation.Kind#UPSERT} of its
 *       {@code after} image. Snapshot rows ({@code op=r}) are ordinary changes at the snapshot's
 *       position, so a snapshot that overlaps the stream merges with it: a snapshot row older than
 *       an already applied stream change is stale, a newer one is applied.
 *   <li>An applied delete becomes a {@link Mutation.Kind#DELETE} and leaves a <b>tombstone</b>: the
 *       key's position is kept, so an older change arriving later cannot resurrect the row.
 * </ul>
 *
 * <p>Each mutation is a function of the one change it comes from, so the mutations do not depend on
 * arrival order beyond which changes are applied. State per key is therefore only the last applied
 * position and a deleted flag; a copy of the row image would double the state (it is the whole
 * table) without changing any output. Live rows keep their state for as long as they exist.
 * Tombstones are bounded: an event-time timer clears a tombstone once the watermark passes the
 * delete's timestamp plus {@link #withTombstoneRetention tombstone retention} (default {@link
 * #DEFAULT_TOMBSTONE_RETENTION}). <b>A change older than the delete that arrives after that is
 * treated as new</b> (the key is unknown again), so choose the retention above the longest
 * redelivery or reordering delay of the source, e.g. the time a replay of the topic can lag.
 *
 * <p>Processing happens in the global window; mutations are emitted in the global window with the
 * timestamps of the changes they come from. Counters reconcile: {@code changes_in = applied +
 * stale_changes + dead_letters}; {@code deletes} counts applied deletes and {@code
 * tombstones_expired} cleared tombstones. A non-delete change without an {@code after} image cannot
 * be applied and goes to {@link Result#deadLetters()} (DebeziumJson never produces one).
 *
 * <pre>{@code
 * DebeziumJson.Result<String, Customer> parsed =
 *     raw.apply(DebeziumJson.parse(Customer.class).withKeyField("customer_id"));
 * ApplyChanges.Result<String, Customer> applied =
 *     parsed.changes().apply("ApplyCustomerChanges",
 *         ApplyChanges.<String, Customer>create()
 *             .withTombstoneRetention(Duration.standardDays(7)));
 * PCollection<Mutation<String, Customer>> mutations = applied.mutations();
 * }</pre>
 *
 * <p>Key and row coders are taken from the input's {@link ChangeEvent#coder} (as DebeziumJson sets
 * it); for an input with another coder give them with {@link #withCoders}. The key coder must be
 * deterministic.
 */
@AutoValue
public abstract class ApplyChanges<K, V>
    extends PTransform<PCollection<ChangeEvent<K, V>>, ApplyChanges.Result<K, V>> {
  /** Tombstone retention used unless {@link #withTombstoneRetention} says otherwise. */
  public static final Duration DEFAULT_TOMBSTONE_RETENTION = Duration.standardDays(1);

  /** Stage name in dead letters of changes that cannot be applied. */
  public static final String STAGE = "apply-changes";

  /** Reason of a non-delete change without an {@code after} image. */
  public static final String MISSING_ROW = DebeziumJson.Reasons.MISSING_ROW;

  abstract @Nullable Coder<K> keyCoder();

  abstract @Nullable Coder<V> rowCoder();

  abstract Duration tombstoneRetention();

  abstract Builder<K, V> toBuilder();

  @AutoValue.Builder
  abstract static class Builder<K, V> {
    abstract Builder<K, V> setKeyCoder(@Nullable Coder<K> keyCoder);

    abstract Builder<K, V> setRowCoder(@Nullable Coder<V> rowCoder);

    abstract Builder<K, V> setTombstoneRetention(Duration tombstoneRetention);

    abstract ApplyChanges<K, V> build();
  }

  /** Applies changes with {@link #DEFAULT_TOMBSTONE_RETENTION}. */
  public static <K, V> ApplyChanges<K, V> create() {
    return new AutoValue_ApplyChanges.Builder<K, V>()
        .setTombstoneRetention(DEFAULT_TOMBSTONE_RETENTION)
        .build();
  }

  /** The key and row coders, for an input whose coder is not {@link ChangeEvent#coder}. */
  public ApplyChanges<K, V> withCoders(Coder<K> keyCoder, Coder<V> rowCoder) {
    checkArgumentNotNull(keyCoder, "keyCoder");
    checkArgumentNotNull(rowCoder, "rowCoder");
    return toBuilder().setKeyCoder(keyCoder).setRowCoder(rowCoder).build();
  }

  /** How long, in event time after a delete, its tombstone keeps older changes out. */
  public ApplyChanges<K, V> withTombstoneRetention(Duration retention) {
    if (retention == null || !retention.isLongerThan(Duration.ZERO)) {
      throw new IllegalArgumentException("tombstone retention must be positive, got " + retention);
    }
    return toBuilder().setTombstoneRetention(retention).build();
  }

  @Override
  public Result<K, V> expand(PCollection<ChangeEvent<K, V>> input) {
    Coder<K> keys = keyCoder();
    Coder<V> rows = rowCoder();
    if (keys == null || rows == null) {
      Coder<ChangeEvent<K, V>> inputCoder = input.getCoder();
      if (!(inputCoder instanceof ChangeEvent.ChangeEventCoder)) {
        throw new IllegalStateException(
            "Cannot take key and row coders from the input coder "
                + inputCoder
                + "; call withCoders(keyCoder, rowCoder)");
      }
      @SuppressWarnings("unchecked")
      ChangeEvent.ChangeEventCoder<K, V> inputChangeCoder =
          (ChangeEvent.ChangeEventCoder<K, V>) inputCoder;
      keys = inputChangeCoder.keyCoder();
      rows = inputChangeCoder.valueCoder();
    }
    Coder<ChangeEvent<K, V>> changeCoder = ChangeEvent.coder(keys, rows);
    TupleTag<Mutation<K, V>> mutationsTag = new TupleTag<>();
    TupleTag<ChangeEvent<K, V>> staleTag = new TupleTag<>();
    TupleTag<DeadLetter> deadLetterTag = new TupleTag<>();

    PCollectionTuple applied =
        input
            .apply("KeyByRowKey", ParDo.of(new KeyByRowKeyFn<K, V>()))
            .setCoder(KvCoder.of(keys, changeCoder))
            .apply("IntoGlobalWindow", Window.<KV<K, ChangeEvent<K, V>>>into(new GlobalWindows()))
            .apply(
                "ApplyInPositionOrder",
                ParDo.of(
                        new ApplyFn<K, V>(
                            tombstoneRetention(), mutationsTag, staleTag, deadLetterTag))
                    .withOutputTags(mutationsTag, TupleTagList.of(staleTag).and(deadLetterTag)));
    return new Result<>(
        input.getPipeline(),
        mutationsTag,
        applied.get(mutationsTag).setCoder(Mutation.coder(keys, rows)),
        staleTag,
        AdditionalOutputs.consumed("StaleChanges", applied.get(staleTag).setCoder(changeCoder)),
        deadLetterTag,
        applied.get(deadLetterTag).setCoder(DeadLetter.coder()));
  }

  /** The outputs of {@link ApplyChanges}. */
  public static final class Result<K, V> extends TaggedOutputs {
    private final PCollection<Mutation<K, V>> mutations;
    private final PCollection<ChangeEvent<K, V>> staleChanges;
    private final PCollection<DeadLetter> deadLetters;

    Result(
        Pipeline pipeline,
        TupleTag<Mutation<K, V>> mutationsTag,
        PCollection<Mutation<K, V>> mutations,
        TupleTag<ChangeEvent<K, V>> staleTag,
        PCollection<ChangeEvent<K, V>> staleChanges,
        TupleTag<DeadLetter> deadLetterTag,
        PCollection<DeadLetter> deadLetters) {
      super(pipeline);
      this.mutations = output(mutationsTag, mutations);
      this.staleChanges = output(staleTag, staleChanges);
      this.deadLetters = output(deadLetterTag, deadLetters);
    }

    /**
     * One mutation per applied change, in increasing position order per key; the latest per key is
     * the row's current state (upserted image, or deleted).
     */
    public PCollection<Mutation<K, V>> mutations() {
      return mutations;
    }

    /** Changes dropped because a change at the same or a later position was already applied. */
    public PCollection<ChangeEvent<K, V>> staleChanges() {
      return staleChanges;
    }

    /** Changes that cannot be applied (a non-delete without an {@code after} image). */
    public PCollection<DeadLetter> deadLetters() {
      return deadLetters;
    }
  }

  private static final class KeyByRowKeyFn<K, V>
      extends DoFn<ChangeEvent<K, V>, KV<K, ChangeEvent<K, V>>> {
    @ProcessElement
    public void processElement(
        @Element ChangeEvent<K, V> change, OutputReceiver<KV<K, ChangeEvent<K, V>>> out) {
      out.output(KV.of(change.key(), change));
    }
  }

  /** Per key: the last applied position and whether it was a delete; a timer per tombstone. */
  static final class ApplyFn<K, V> extends DoFn<KV<K, ChangeEvent<K, V>>, Mutation<K, V>> {
    static final String LAST_POSITION_STATE = "lastAppliedPosition";
    static final String DELETED_STATE = "deleted";
    static final String TOMBSTONE_EXPIRY_TIMER = "tombstoneExpiry";

    private final Duration tombstoneRetention;
    private final TupleTag<Mutation<K, V>> mutationsTag;
    private final TupleTag<ChangeEvent<K, V>> staleTag;
    private final TupleTag<DeadLetter> deadLetterTag;

    private final Counter changesIn = Metrics.counter(ApplyChanges.class, "changes_in");
    private final Counter appliedCount = Metrics.counter(ApplyChanges.class, "applied");
    private final Counter staleCount = Metrics.counter(ApplyChanges.class, "stale_changes");
    private final Counter duplicateCount = Metrics.counter(ApplyChanges.class, "duplicate_changes");
    private final Counter deleteCount = Metrics.counter(ApplyChanges.class, "deletes");
    private final Counter expiredCount = Metrics.counter(ApplyChanges.class, "tombstones_expired");
    private final Counter deadLetterCount = Metrics.counter(ApplyChanges.class, "dead_letters");

    @StateId(LAST_POSITION_STATE)
    private final StateSpec<ValueState<ChangePosition>> lastPositionSpec =
        StateSpecs.value(ChangePosition.coder());

    @StateId(DELETED_STATE)
    private final StateSpec<ValueState<Boolean>> deletedSpec = StateSpecs.value(BooleanCoder.of());

    @TimerId(TOMBSTONE_EXPIRY_TIMER)
    private final TimerSpec tombstoneExpirySpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    ApplyFn(
        Duration tombstoneRetention,
        TupleTag<Mutation<K, V>> mutationsTag,
        TupleTag<ChangeEvent<K, V>> staleTag,
        TupleTag<DeadLetter> deadLetterTag) {
      this.tombstoneRetention = tombstoneRetention;
      this.mutationsTag = mutationsTag;
      this.staleTag = staleTag;
      this.deadLetterTag = deadLetterTag;
    }

    @ProcessElement
    public void processElement(
        @Element KV<K, ChangeEvent<K, V>> element,
        @Timestamp Instant timestamp,
        @StateId(LAST_POSITION_STATE) ValueState<ChangePosition> lastPosition,
        @StateId(DELETED_STATE) ValueState<Boolean> deleted,
        @TimerId(TOMBSTONE_EXPIRY_TIMER) Timer tombstoneExpiry,
        MultiOutputReceiver out) {
      changesIn.inc();
      ChangeEvent<K, V> change = element.getValue();
      ChangePosition last = lastPosition.read();
      if (!change.position().isAfter(last)) {
        staleCount.inc();
        if (change.position().equals(last)) {
          duplicateCount.inc();
        }
        out.get(staleTag).output(change);
        return;
      }
      if (!change.isDelete() && change.after() == null) {
        deadLetterCount.inc();
        out.get(deadLetterTag).output(DeadLetters.forRecord(STAGE, MISSING_ROW, change, null));
        return;
      }
      appliedCount.inc();
      lastPosition.write(change.position());
      if (change.isDelete()) {
        deleteCount.inc();
        deleted.write(true);
        // The tombstone only has to outlive late, older changes; nothing is output when it expires.
        tombstoneExpiry.withNoOutputTimestamp().set(expiry(timestamp));
        out.get(mutationsTag)
            .output(
                Mutation.delete(
                    change.key(), change.before(), change.position(), change.commitTime()));
      } else {
        if (Boolean.TRUE.equals(deleted.read())) {
          // Re-inserted: a live row keeps its position for good.
          deleted.clear();
          tombstoneExpiry.clear();
        }
        out.get(mutationsTag)
            .output(
                Mutation.upsert(
                    change.key(), change.after(), change.position(), change.commitTime()));
      }
    }

    @OnTimer(TOMBSTONE_EXPIRY_TIMER)
    public void onTombstoneExpiry(
        @StateId(LAST_POSITION_STATE) ValueState<ChangePosition> lastPosition,
        @StateId(DELETED_STATE) ValueState<Boolean> deleted) {
      if (Boolean.TRUE.equals(deleted.read())) {
        expiredCount.inc();
        lastPosition.clear();
        deleted.clear();
      }
    }

    private Instant expiry(Instant deleteTimestamp) {
      Instant last = GlobalWindow.INSTANCE.maxTimestamp();
      return deleteTimestamp.isAfter(last.minus(tombstoneRetention))
          ? last
          : deleteTimestamp.plus(tombstoneRetention);
    }
  }
}
