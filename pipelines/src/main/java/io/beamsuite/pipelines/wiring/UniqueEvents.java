package io.beamsuite.pipelines.wiring;

import io.beamsuite.pipelines.model.Event;
import io.beamsuite.pipelines.options.BeamsuiteOptions;
import io.beamsuite.transforms.dedup.Dedup;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.json.ParseJson;
import io.beamsuite.transforms.records.RawRecord;
import io.beamsuite.transforms.records.SourceCoordinates;
import io.beamsuite.transforms.results.TaggedOutputs;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * The first two steps of every event pipeline: parse raw records with the tolerant reader
 * (malformed ones become dead letters) and drop duplicates by {@code event_id}.
 *
 * <pre>{@code
 * UniqueEvents.Result<Click> clicks =
 *     raw.apply("UniqueClicks", UniqueEvents.of(Click.class, "parse-clicks", options));
 * PCollection<Click> unique = clicks.unique();
 * PCollection<DeadLetter> malformed = clicks.deadLetters();
 * }</pre>
 */
public final class UniqueEvents<T extends Event>
    extends PTransform<PCollection<RawRecord>, UniqueEvents.Result<T>> {
  private final Class<T> type;
  private final String stage;
  private final Duration retention;
  // Null: Dedup chooses by input and runner.
  private final @Nullable Integer keyBuckets;

  private UniqueEvents(
      Class<T> type, String stage, Duration retention, @Nullable Integer keyBuckets) {
    this.type = type;
    this.stage = stage;
    this.retention = retention;
    this.keyBuckets = keyBuckets;
  }

  /**
   * Parses into {@code type} (dead letters name {@code stage}); dedup retention and state keys come
   * from {@code --dedupRetentionMinutes} and {@code --dedupKeyBuckets}.
   */
  public static <T extends Event> UniqueEvents<T> of(
      Class<T> type, String stage, BeamsuiteOptions options) {
    return new UniqueEvents<>(
        type,
        stage,
        Duration.standardMinutes(options.getDedupRetentionMinutes()),
        options.getDedupKeyBuckets());
  }

  @Override
  public Result<T> expand(PCollection<RawRecord> input) {
    ParseJson<T> parse = ParseJson.of(type).withStage(stage);
    if (input.isBounded() == PCollection.IsBounded.UNBOUNDED) {
      ParseJson.Result<T> parsed = input.apply("Parse", parse);
      PCollection<T> unique =
          parsed.parsed().apply("Dedup", dedup(Dedup.<T>byId(T::eventId))).unique();
      return new Result<>(unique, parsed.deadLetters());
    }
    // Bounded: the first copy is the one read first from its file or topic partition, whatever
    // order the runner regroups the copies in.
    ParseJson.Result<KV<@Nullable SourceCoordinates, T>> parsed =
        input.apply("Parse", parse.keyedBySource());
    Coder<T> eventCoder = ((KvCoder<?, T>) parsed.parsed().getCoder()).getValueCoder();
    PCollection<T> unique =
        parsed
            .parsed()
            .apply(
                "Dedup",
                dedup(Dedup.<KV<@Nullable SourceCoordinates, T>>byId(e -> e.getValue().eventId()))
                    .withSourceOrder(KV::getKey))
            .unique()
            .apply("WithoutSource", Values.create())
            .setCoder(eventCoder);
    return new Result<>(unique, parsed.deadLetters());
  }

  private <E> Dedup<E> dedup(Dedup<E> byId) {
    Dedup<E> dedup = byId.withRetention(retention);
    return keyBuckets == null ? dedup : dedup.withKeyBuckets(keyBuckets);
  }

  /** Unique events and the dead letters of the parse. */
  public static final class Result<T> extends TaggedOutputs {
    private static final TupleTag<Object> UNIQUE = new TupleTag<>("unique");
    private static final TupleTag<Object> DEAD_LETTERS = new TupleTag<>("deadLetters");
    private final PCollection<T> unique;
    private final PCollection<DeadLetter> deadLetters;

    Result(PCollection<T> unique, PCollection<DeadLetter> deadLetters) {
      super(unique.getPipeline());
      this.unique = output(UNIQUE, unique);
      this.deadLetters = output(DEAD_LETTERS, deadLetters);
    }

    /** Valid events, first copy of each {@code event_id} only. */
    public PCollection<T> unique() {
      return unique;
    }

    /** Records that did not parse into a valid event. */
    public PCollection<DeadLetter> deadLetters() {
      return deadLetters;
    }
  }
}
