package io.beamsuite.transforms.cdc;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import com.google.auto.value.AutoValue;
import io.beamsuite.transforms.coders.EfficientCoders;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.json.TolerantJson;
import io.beamsuite.transforms.portability.AdditionalOutputs;
import io.beamsuite.transforms.records.RawRecord;
import io.beamsuite.transforms.results.TaggedOutputs;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Parses Debezium change-event JSON (the value of a record on a topic such as {@code
 * cdc.public.customers}) into {@link ChangeEvent}s keyed by one column of the row, rendered as a
 * string.
 *
 * <p>Both forms of Debezium's {@code JsonConverter} are accepted: the bare envelope ({@code
 * converter.schemas.enable=false}: {@code {"before":..,"after":..,"source":..,"op":..}}) and the
 * envelope wrapped with its schema ({@code {"schema":..,"payload":{..envelope..}}}).
 *
 * <ul>
 *   <li>{@code op} {@code c}, {@code u}, {@code d}, {@code r} become {@link ChangeEvent.Op}s;
 *       snapshot reads ({@code r}) are ordinary changes at their snapshot's position.
 *   <li>{@code before} and {@code after} are read into the row class with the {@link TolerantJson}
 *       reader, so the row class decides how columns are mapped (Debezium's Postgres connector uses
 *       the column names, typically snake_case; {@code decimal.handling.mode=string} gives decimals
 *       as strings; {@code timestamp} columns arrive as epoch microseconds and {@code timestamptz}
 *       as ISO-8601 strings).
 *   <li>The position is {@code ChangePosition.of(source.lsn, n)} where {@code n} is the second
 *       element of {@code source.sequence} (a JSON array in a string, e.g. {@code
 *       "[\"24023120\",\"24023176\"]"}), or 0 when there is none.
 *   <li>The commit time is {@code source.ts_ms}, else the envelope's {@code ts_ms}.
 *   <li>The key is the {@link #withKeyField key field} of {@code after}, or of {@code before} for
 *       deletes.
 * </ul>
 *
 * <p><b>Tombstones are dropped.</b> After each delete Debezium emits a record with a {@code null}
 * value so that Kafka log compaction can forget the key. It carries no change (the delete before it
 * does), so an empty or blank payload, the JSON literal {@code null} and a wrapped envelope whose
 * {@code payload} is {@code null} are counted in {@code tombstones} and dropped, not dead-lettered.
 *
 * <p>Any other record that is not a well-formed change goes to the dead letters, verbatim with its
 * source coordinates, with one of the {@link Reasons} (or {@link DeadLetter.Reasons#INVALID_UTF8},
 * {@link DeadLetter.Reasons#MALFORMED_JSON}, {@link DeadLetter.Reasons#NOT_AN_OBJECT}, {@link
 * DeadLetter.Reasons#PAYLOAD_TOO_LARGE}). Nothing about a bad record fails the pipeline. Counters
 * reconcile: {@code records_in = changes + tombstones + dead_letters}, plus one {@code
 * dead_letters_<reason>} counter per reason.
 *
 * <p>With the Postgres connector's default replica identity, a delete's {@code before} holds the
 * key columns only (the others are {@code null}). A delete needs only its key, so when that old
 * image does not read as a whole row the change keeps {@code before = null} instead of being
 * dead-lettered; the old image of other operations must be a valid row ({@link Reasons#INVALID_ROW}
 * otherwise).
 *
 * <pre>{@code
 * DebeziumJson.Result<String, Customer> parsed =
 *     rawRecords.apply("ParseCustomerChanges",
 *         DebeziumJson.parse(Customer.class)
 *             .withKeyField("customer_id")
 *             .withStage("parse-customer-changes"));
 * PCollection<ChangeEvent<String, Customer>> changes = parsed.changes();
 * PCollection<DeadLetter> rejected = parsed.deadLetters();
 * }</pre>
 *
 * <p>The row coder is the Beam schema coder of the row class (or the coder registered for it)
 * unless {@link #withRowCoder(Coder)} gives one; Java serialization is refused.
 */
@AutoValue
public abstract class DebeziumJson<V>
    extends PTransform<PCollection<RawRecord>, DebeziumJson.Result<String, V>> {
  /** Default upper bound on payload size: 1 MiB. */
  public static final int DEFAULT_MAX_PAYLOAD_BYTES = 1 << 20;

  /** Dead-letter reasons specific to change envelopes. */
  public static final class Reasons {
    /** The envelope has no textual {@code op}. */
    public static final String MISSING_OP = "missing_op";

    /** {@code op} is not one of {@code c, u, d, r} (e.g. truncate {@code t}, message {@code m}). */
    public static final String UNKNOWN_OP = "unknown_op";

    /** {@code after} is missing for op c, u or r; or {@code before} for op d. */
    public static final String MISSING_ROW = "missing_row";

    /** The row has no key field, or it is {@code null}. */
    public static final String MISSING_KEY = "missing_key";

    /** The key field is an object or an array, not a scalar. */
    public static final String INVALID_KEY = "invalid_key";

    /** {@code source.lsn} is missing or not an integer. */
    public static final String MISSING_POSITION = "missing_source_position";

    /** {@code source.sequence} is present but not a JSON array of integers. */
    public static final String INVALID_POSITION = "invalid_source_position";

    /** Neither {@code source.ts_ms} nor {@code ts_ms} is an integer. */
    public static final String MISSING_COMMIT_TIME = "missing_commit_time";

    /** {@code before} or {@code after} cannot be read into the row class. */
    public static final String INVALID_ROW = "invalid_row";

    private Reasons() {}
  }

  abstract Class<V> rowClass();

  abstract @Nullable String keyField();

  abstract String stage();

  abstract int maxPayloadBytes();

  abstract @Nullable Coder<V> rowCoder();

  abstract Builder<V> toBuilder();

  @AutoValue.Builder
  abstract static class Builder<V> {
    abstract Builder<V> setRowClass(Class<V> rowClass);

    abstract Builder<V> setKeyField(@Nullable String keyField);

    abstract Builder<V> setStage(String stage);

    abstract Builder<V> setMaxPayloadBytes(int maxPayloadBytes);

    abstract Builder<V> setRowCoder(@Nullable Coder<V> rowCoder);

    abstract DebeziumJson<V> build();
  }

  /**
   * Parses change events whose rows are read into {@code rowClass}. {@link #withKeyField} is
   * required; dead letters name the stage {@code parse-changes-<SimpleName>} unless {@link
   * #withStage} says otherwise.
   */
  public static <V> DebeziumJson<V> parse(Class<V> rowClass) {
    checkArgumentNotNull(rowClass, "rowClass");
    return new AutoValue_DebeziumJson.Builder<V>()
        .setRowClass(rowClass)
        .setStage("parse-changes-" + rowClass.getSimpleName())
        .setMaxPayloadBytes(DEFAULT_MAX_PAYLOAD_BYTES)
        .build();
  }

  /** The row field (JSON name, e.g. {@code customer_id}) whose value is the change's key. */
  public DebeziumJson<V> withKeyField(String keyField) {
    if (keyField == null || keyField.isEmpty()) {
      throw new IllegalArgumentException("keyField must be a non-empty field name");
    }
    return toBuilder().setKeyField(keyField).build();
  }

  /** The stage name written into dead letters. */
  public DebeziumJson<V> withStage(String stage) {
    if (stage == null || stage.isBlank()) {
      throw new IllegalArgumentException("stage must be a non-blank name");
    }
    return toBuilder().setStage(stage).build();
  }

  /** Payloads longer than this many bytes are dead letters ({@code payload_too_large}). */
  public DebeziumJson<V> withMaxPayloadBytes(int maxPayloadBytes) {
    if (maxPayloadBytes <= 0) {
      throw new IllegalArgumentException(
          "maxPayloadBytes must be positive, got " + maxPayloadBytes);
    }
    return toBuilder().setMaxPayloadBytes(maxPayloadBytes).build();
  }

  /** The coder of the rows, when the row class has no Beam schema or registered coder. */
  public DebeziumJson<V> withRowCoder(Coder<V> rowCoder) {
    checkArgumentNotNull(rowCoder, "rowCoder");
    return toBuilder().setRowCoder(rowCoder).build();
  }

  @Override
  public Result<String, V> expand(PCollection<RawRecord> input) {
    if (keyField() == null) {
      throw new IllegalStateException(
          "DebeziumJson needs the key column: call withKeyField(\"<column>\")");
    }
    Coder<ChangeEvent<String, V>> changeCoder =
        ChangeEvent.coder(StringUtf8Coder.of(), rowCoder(input.getPipeline()));
    TupleTag<ChangeEvent<String, V>> changesTag = new TupleTag<>();
    TupleTag<DeadLetter> deadLetterTag = new TupleTag<>();
    PCollectionTuple outputs =
        input.apply(
            "ParseEnvelope",
            ParDo.of(
                    new ParseEnvelopeFn<>(
                        rowClass(),
                        keyField(),
                        stage(),
                        maxPayloadBytes(),
                        changesTag,
                        deadLetterTag))
                .withOutputTags(changesTag, TupleTagList.of(deadLetterTag)));
    return new Result<>(
        input.getPipeline(),
        changesTag,
        outputs.get(changesTag).setCoder(changeCoder),
        deadLetterTag,
        AdditionalOutputs.consumed(
            "DeadLetters", outputs.get(deadLetterTag).setCoder(DeadLetter.coder())));
  }

  private Coder<V> rowCoder(Pipeline pipeline) {
    return rowCoder() != null
        ? rowCoder()
        : EfficientCoders.infer(pipeline, TypeDescriptor.of(rowClass()), "withRowCoder(...)");
  }

  /** The changes and the dead letters of a {@link DebeziumJson} parse. */
  public static final class Result<K, V> extends TaggedOutputs {
    private final PCollection<ChangeEvent<K, V>> changes;
    private final PCollection<DeadLetter> deadLetters;

    Result(
        Pipeline pipeline,
        TupleTag<ChangeEvent<K, V>> changesTag,
        PCollection<ChangeEvent<K, V>> changes,
        TupleTag<DeadLetter> deadLetterTag,
        PCollection<DeadLetter> deadLetters) {
      super(pipeline);
      this.changes = output(changesTag, changes);
      this.deadLetters = output(deadLetterTag, deadLetters);
    }

    /**
     * One change per well-formed envelope, with {@code ChangeEvent.coder(StringUtf8Coder,
     * rowCoder)}.
     */
    public PCollection<ChangeEvent<K, V>> changes() {
      return changes;
    }

    /** Records that are neither a change nor a tombstone, verbatim, with reasons. */
    public PCollection<DeadLetter> deadLetters() {
      return deadLetters;
    }
  }
}
