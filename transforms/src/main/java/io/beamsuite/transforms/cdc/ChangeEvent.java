package io.beamsuite.transforms.cdc;

import com.google.auto.value.AutoValue;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.apache.beam.sdk.coders.ByteCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StructuredCoder;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * One row change captured from a database log: the operation, the row key, the row image before and
 * after the change, the change's position in the source log, and its commit time.
 *
 * <p>Positions order the changes of one key: a change with a greater {@link #position()} is newer.
 * {@code before} is {@code null} for inserts and snapshot reads (and for updates when the table's
 * replica identity does not log old rows); {@code after} is {@code null} for deletes.
 *
 * <pre>{@code
 * ChangeEvent<String, Customer> update =
 *     ChangeEvent.of(ChangeEvent.Op.UPDATE, "c-17", oldRow, newRow,
 *         ChangePosition.of(0x16B3748L, 0), Instant.parse("2026-01-01T10:00:00Z"));
 * Coder<ChangeEvent<String, Customer>> coder =
 *     ChangeEvent.coder(StringUtf8Coder.of(), customerCoder);
 * }</pre>
 */
@AutoValue
public abstract class ChangeEvent<K, V> {
  /** The operation, with Debezium's one-letter codes. */
  public enum Op {
    /** A row read by the initial snapshot ({@code r}). */
    READ("r"),
    /** An insert ({@code c}). */
    CREATE("c"),
    /** An update ({@code u}). */
    UPDATE("u"),
    /** A delete ({@code d}). */
    DELETE("d");

    private final String code;

    Op(String code) {
      this.code = code;
    }

    /** Debezium's code for the operation. */
    public String code() {
      return code;
    }

    /** The operation for a Debezium code, or {@code null} if the code is unknown. */
    public static @Nullable Op fromCode(@Nullable String code) {
      for (Op op : values()) {
        if (op.code.equals(code)) {
          return op;
        }
      }
      return null;
    }
  }

  public abstract Op op();

  public abstract K key();

  /** The row before the change, when the source logged it. */
  public abstract @Nullable V before();

  /** The row after the change; {@code null} for deletes. */
  public abstract @Nullable V after();

  /** Where the change sits in the source log; orders the changes of one key. */
  public abstract ChangePosition position();

  /** When the change was committed in the source database. */
  public abstract Instant commitTime();

  /** Whether the change removes the row. */
  public boolean isDelete() {
    return op() == Op.DELETE;
  }

  public static <K, V> ChangeEvent<K, V> of(
      Op op,
      K key,
      @Nullable V before,
      @Nullable V after,
      ChangePosition position,
      Instant commitTime) {
    return new AutoValue_ChangeEvent<>(op, key, before, after, position, commitTime);
  }

  /** A deterministic coder, given deterministic coders for keys and rows. */
  public static <K, V> Coder<ChangeEvent<K, V>> coder(Coder<K> keyCoder, Coder<V> valueCoder) {
    return new ChangeEventCoder<>(keyCoder, valueCoder);
  }

  /** Package-private so {@link ApplyChanges} can take the key and row coders from its input. */
  static final class ChangeEventCoder<K, V> extends StructuredCoder<ChangeEvent<K, V>> {
    private static final long serialVersionUID = 1L;
    private final Coder<K> keyCoder;
    private final Coder<V> valueCoder;
    private final Coder<@Nullable V> nullableValueCoder;

    ChangeEventCoder(Coder<K> keyCoder, Coder<V> valueCoder) {
      this.keyCoder = keyCoder;
      this.valueCoder = valueCoder;
      this.nullableValueCoder = NullableCoder.of(valueCoder);
    }

    Coder<K> keyCoder() {
      return keyCoder;
    }

    Coder<V> valueCoder() {
      return valueCoder;
    }

    @Override
    public void encode(ChangeEvent<K, V> change, OutputStream out) throws IOException {
      ByteCoder.of().encode((byte) change.op().ordinal(), out);
      keyCoder.encode(change.key(), out);
      nullableValueCoder.encode(change.before(), out);
      nullableValueCoder.encode(change.after(), out);
      ChangePosition.coder().encode(change.position(), out);
      InstantCoder.of().encode(change.commitTime(), out);
    }

    @Override
    public ChangeEvent<K, V> decode(InputStream in) throws IOException {
      Op op = Op.values()[ByteCoder.of().decode(in)];
      K key = keyCoder.decode(in);
      V before = nullableValueCoder.decode(in);
      V after = nullableValueCoder.decode(in);
      ChangePosition position = ChangePosition.coder().decode(in);
      Instant commitTime = InstantCoder.of().decode(in);
      return ChangeEvent.of(op, key, before, after, position, commitTime);
    }

    @Override
    public List<? extends Coder<?>> getCoderArguments() {
      return List.of(keyCoder, valueCoder);
    }

    @Override
    public void verifyDeterministic() throws NonDeterministicException {
      verifyDeterministic(this, "key coder must be deterministic", keyCoder);
      verifyDeterministic(this, "row coder must be deterministic", valueCoder);
    }
  }
}
