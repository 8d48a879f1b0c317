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
 * What a sink does to make its copy of one row current: {@link Kind#UPSERT} the row image, or
 * {@link Kind#DELETE} the key. Produced by {@link ApplyChanges}.
 *
 * <p>Every mutation carries the {@link #position()} of the source change it comes from. A sink that
 * stores the position with the row and applies a mutation only when its position is newer than the
 * stored one (for example {@code INSERT ... ON CONFLICT (id) DO UPDATE ... WHERE replica.position <
 * excluded.position}) is idempotent and insensitive to order, also when writes are retried or a
 * topic is replayed. A plain upsert/delete by key is enough when the sink writes a key's mutations
 * in the order {@link ApplyChanges} emits them, which is increasing position.
 *
 * <p>{@link #row()} is the row's new image for an upsert (the change's {@code after}). For a delete
 * it is the deleted row as the source logged it (the change's {@code before}): the whole row under
 * PostgreSQL's {@code REPLICA IDENTITY FULL}, only the key columns under the default identity, or
 * {@code null}. A sink deletes by {@link #key()}.
 *
 * <pre>{@code
 * Mutation<String, Customer> m = ...;
 * if (m.isDelete()) {
 *   statement = "DELETE FROM customers_replica WHERE customer_id = ?";   // bind m.key()
 * } else {
 *   statement = "INSERT ... ON CONFLICT (customer_id) DO UPDATE ...";    // bind m.row()
 * }
 * Coder<Mutation<String, Customer>> coder = Mutation.coder(StringUtf8Coder.of(), customerCoder);
 * }</pre>
 */
@AutoValue
public abstract class Mutation<K, V> {
  /** What the sink does with the key. */
  public enum Kind {
    /** Insert the row, or replace the existing row with the same key. */
    UPSERT,
    /** Remove the row with the key, if there is one. */
    DELETE
  }

  public abstract Kind kind();

  public abstract K key();

  /** The new image for {@link Kind#UPSERT}; for DELETE the logged old image, or null. */
  public abstract @Nullable V row();

  /** Position of the source change this mutation comes from. */
  public abstract ChangePosition position();

  /** Commit time of the source change this mutation comes from. */
  public abstract Instant commitTime();

  /** Whether the row is to be removed. */
  public boolean isDelete() {
    return kind() == Kind.DELETE;
  }

  /** Makes {@code row} the current image of {@code key}. */
  public static <K, V> Mutation<K, V> upsert(
      K key, V row, ChangePosition position, Instant commitTime) {
    if (row == null) {
      throw new IllegalArgumentException("an upsert needs a row image");
    }
    return new AutoValue_Mutation<>(Kind.UPSERT, key, row, position, commitTime);
  }

  /** Removes {@code key}; {@code oldRow} is the deleted row as the source logged it, if it did. */
  public static <K, V> Mutation<K, V> delete(
      K key, @Nullable V oldRow, ChangePosition position, Instant commitTime) {
    return new AutoValue_Mutation<>(Kind.DELETE, key, oldRow, position, commitTime);
  }

  /** A deterministic coder, given deterministic coders for keys and rows. */
  public static <K, V> Coder<Mutation<K, V>> coder(Coder<K> keyCoder, Coder<V> rowCoder) {
    return new MutationCoder<>(keyCoder, rowCoder);
  }

  private static final class MutationCoder<K, V> extends StructuredCoder<Mutation<K, V>> {
    private static final long serialVersionUID = 1L;
    private final Coder<K> keyCoder;
    private final Coder<V> rowCoder;
    private final Coder<@Nullable V> nullableRowCoder;

    MutationCoder(Coder<K> keyCoder, Coder<V> rowCoder) {
      this.keyCoder = keyCoder;
      this.rowCoder = rowCoder;
      this.nullableRowCoder = NullableCoder.of(rowCoder);
    }

    @Override
    public void encode(Mutation<K, V> mutation, OutputStream out) throws IOException {
      ByteCoder.of().encode((byte) mutation.kind().ordinal(), out);
      keyCoder.encode(mutation.key(), out);
      nullableRowCoder.encode(mutation.row(), out);
      ChangePosition.coder().encode(mutation.position(), out);
      InstantCoder.of().encode(mutation.commitTime(), out);
    }

    @Override
    public Mutation<K, V> decode(InputStream in) throws IOException {
      Kind kind = Kind.values()[ByteCoder.of().decode(in)];
      K key = keyCoder.decode(in);
      V row = nullableRowCoder.decode(in);
      ChangePosition position = ChangePosition.coder().decode(in);
      Instant commitTime = InstantCoder.of().decode(in);
      return new AutoValue_Mutation<>(kind, key, row, position, commitTime);
    }

    @Override
    public List<? extends Coder<?>> getCoderArguments() {
      return List.of(keyCoder, rowCoder);
    }

    @Override
    public void verifyDeterministic() throws NonDeterministicException {
      verifyDeterministic(this, "key coder must be deterministic", keyCoder);
      verifyDeterministic(this, "row coder must be deterministic", rowCoder);
    }
  }
}
