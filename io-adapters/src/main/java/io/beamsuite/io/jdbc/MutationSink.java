package io.beamsuite.io.jdbc;

import com.google.auto.value.AutoValue;
import io.beamsuite.transforms.cdc.Mutation;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Applies CDC {@link Mutation}s to a PostgreSQL replica table so that the result does not depend on
 * delivery order or repetition: replays, retried bundles and out-of-order mutations never move a
 * row back to an older state.
 *
 * <p><b>Design: position guard plus tombstones.</b> Every row stores the source position of the
 * change that produced it in two columns {@code _position_log, _position_seq} (a {@link
 * io.beamsuite.transforms.cdc.ChangePosition}) and a {@code _deleted} flag. Both kinds of mutation
 * are one statement:
 *
 * <pre>
 * INSERT INTO t AS t (keys..., values..., _deleted, _position_log, _position_seq) VALUES (...)
 * ON CONFLICT (keys) DO UPDATE SET values... = EXCLUDED..., _deleted = EXCLUDED._deleted, ...
 *   WHERE (t._position_log, t._position_seq) &lt; (EXCLUDED._position_log, EXCLUDED._position_seq)
 * </pre>
 *
 * An UPSERT writes the row image with {@code _deleted = false}; a DELETE writes a
 * <em>tombstone</em>: the key, {@code NULL} in every value column and {@code _deleted = true}. A
 * physical {@code DELETE WHERE key = ?} would forget the delete's position, so a stale upsert
 * delivered later (an out-of-order retry, a replay from an older offset) would re-insert the row;
 * {@link io.beamsuite.transforms.cdc.ApplyChanges} orders changes per key only within one run and
 * cannot prevent that across restarts. The tombstone keeps the position, and the guard refuses
 * anything older. A mutation with the same position as the stored row (a replay) changes nothing.
 *
 * <p>Readers select live rows with {@code WHERE NOT _deleted} (or a view doing so). Value columns
 * must be nullable, since tombstones carry no values; a table created by this sink is. Tombstones
 * can be purged by a maintenance job once no replay can reach back past their position.
 *
 * <p>Failures and metrics are those of {@link JdbcUpsertSink} (same namespace).
 *
 * <pre>{@code
 * JdbcUpsertSink.Result result =
 *     mutations.apply("ApplyToReplica",
 *         MutationSink.<String, Customer>to(db, "customers_replica")
 *             .withKeyColumn("customer_id", "text", id -> id)
 *             .withValueColumn("name", "text", c -> c.name)
 *             .withValueColumn("credit_limit_cents", "bigint", c -> c.creditLimitCents));
 * // SELECT * FROM customers_replica WHERE NOT _deleted
 * }</pre>
 */
@AutoValue
public abstract class MutationSink<K, V>
    extends PTransform<PCollection<Mutation<K, V>>, JdbcUpsertSink.Result> {
  /** The tombstone flag column. */
  public static final String DELETED_COLUMN = "_deleted";

  /** Log position of the change that wrote the row. */
  public static final String POSITION_LOG_COLUMN = "_position_log";

  /** Sequence within the log position of the change that wrote the row. */
  public static final String POSITION_SEQUENCE_COLUMN = "_position_seq";

  static final class Col<X> implements Serializable {
    private static final long serialVersionUID = 1L;
    final String name;
    final String sqlType;
    final SerializableFunction<X, @Nullable Object> extractor;

    Col(String name, String sqlType, SerializableFunction<X, @Nullable Object> extractor) {
      this.name = SqlIdentifiers.name(name);
      this.sqlType = SqlIdentifiers.sqlType(sqlType);
      if (name.startsWith("_")) {
        // Reserved for the sink's own bookkeeping columns.
        throw new IllegalArgumentException("column names starting with _ are reserved: " + name);
      }
      this.extractor = extractor;
    }
  }

  abstract JdbcConnectionSpec connection();

  abstract String table();

  abstract List<Col<K>> keyColumns();

  abstract List<Col<V>> valueColumns();

  abstract int batchSize();

  abstract Builder<K, V> toBuilder();

  @AutoValue.Builder
  abstract static class Builder<K, V> {
    abstract Builder<K, V> setConnection(JdbcConnectionSpec connection);

    abstract Builder<K, V> setTable(String table);

    abstract Builder<K, V> setKeyColumns(List<Col<K>> keyColumns);

    abstract Builder<K, V> setValueColumns(List<Col<V>> valueColumns);

    abstract Builder<K, V> setBatchSize(int batchSize);

    abstract MutationSink<K, V> build();
  }

  /** Applies mutations to {@code table} (validated now). */
  public static <K, V> MutationSink<K, V> to(JdbcConnectionSpec connection, String table) {
    SqlIdentifiers.qualifiedName(table);
    return new AutoValue_MutationSink.Builder<K, V>()
        .setConnection(connection)
        .setTable(table)
        .setKeyColumns(List.of())
        .setValueColumns(List.of())
        .setBatchSize(JdbcUpsertSink.DEFAULT_BATCH_SIZE)
        .build();
  }

  /** A primary-key column, read from the mutation's key. */
  public MutationSink<K, V> withKeyColumn(
      String name, String sqlType, SerializableFunction<K, @Nullable Object> extractor) {
    List<Col<K>> more = new ArrayList<>(keyColumns());
    more.add(new Col<>(name, sqlType, extractor));
    return toBuilder().setKeyColumns(List.copyOf(more)).build();
  }

  /** A value column, read from an upsert's row image; {@code NULL} in tombstones. */
  public MutationSink<K, V> withValueColumn(
      String name, String sqlType, SerializableFunction<V, @Nullable Object> extractor) {
    List<Col<V>> more = new ArrayList<>(valueColumns());
    more.add(new Col<>(name, sqlType, extractor));
    return toBuilder().setValueColumns(List.copyOf(more)).build();
  }

  /** Mutations per batch; default {@value JdbcUpsertSink#DEFAULT_BATCH_SIZE}. */
  public MutationSink<K, V> withBatchSize(int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
    }
    return toBuilder().setBatchSize(batchSize).build();
  }

  JdbcUpsertSink<Mutation<K, V>> upsertSink() {
    if (keyColumns().isEmpty()) {
      throw new IllegalStateException("declare the key with withKeyColumn(...)");
    }
    JdbcUpsertSink<Mutation<K, V>> sink =
        JdbcUpsertSink.<Mutation<K, V>>to(connection(), table())
            .withBatchSize(batchSize())
            .withStage("jdbc-mutations-" + table());
    List<String> keys = new ArrayList<>();
    for (Col<K> key : keyColumns()) {
      SerializableFunction<K, @Nullable Object> fn = key.extractor;
      sink = sink.withColumn(key.name, key.sqlType, m -> fn.apply(m.key()));
      keys.add(key.name);
    }
    for (Col<V> value : valueColumns()) {
      SerializableFunction<V, @Nullable Object> fn = value.extractor;
      sink =
          sink.withColumn(value.name, value.sqlType, m -> m.isDelete() ? null : fn.apply(m.row()));
    }
    return sink.withColumn(DELETED_COLUMN, "boolean", Mutation::isDelete)
        .withColumn(POSITION_LOG_COLUMN, "bigint", m -> m.position().logPosition())
        .withColumn(POSITION_SEQUENCE_COLUMN, "bigint", m -> m.position().sequence())
        .withKey(keys.toArray(new String[0]))
        .withConflictGuard(
            "(t._position_log, t._position_seq) < (EXCLUDED._position_log,"
                + " EXCLUDED._position_seq)");
  }

  @Override
  public JdbcUpsertSink.Result expand(PCollection<Mutation<K, V>> input) {
    return input.apply("ApplyMutations", upsertSink());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    connection().populateDisplayData(builder);
    builder.add(DisplayData.item("table", table()));
  }
}
