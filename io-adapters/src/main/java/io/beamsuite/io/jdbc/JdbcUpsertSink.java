package io.beamsuite.io.jdbc;

import com.google.auto.value.AutoValue;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.results.TaggedOutputs;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Writes records to a PostgreSQL table as idempotent upserts keyed by the natural key: batched
 * {@code INSERT ... ON CONFLICT (keys) DO UPDATE SET ...} with bound parameters, so writing the
 * same input twice (a retried bundle, a replayed topic) leaves the same table.
 *
 * <p><b>Schema.</b> Columns are declared with a name, an SQL type and a value extractor; names and
 * types are validated by {@link SqlIdentifiers} when the transform is built. The table is created
 * on demand ({@code CREATE TABLE IF NOT EXISTS}, primary key on the key columns); an existing table
 * is used as it is, constraints included. Without key columns the sink appends (plain {@code
 * INSERT}); with {@link #withUniqueKey} it appends each row once per unique key.
 *
 * <p><b>Errors.</b> A batch runs in one transaction. Transient errors (SQLSTATE {@code 40001}
 * serialization failure, {@code 40P01} deadlock, class {@code 08} connection errors, {@code
 * 57P01}–{@code 57P03} session ended by the server or server starting) are retried with exponential
 * backoff up to {@link #withRetries max attempts}; if they persist the bundle fails and the runner
 * retries it, which is safe because the writes are idempotent. A batch refused for a row's content
 * (class {@code 23} integrity constraint, class {@code 22} data exception) is retried row by row,
 * and each refused row goes to {@link Result#failures()} as a {@link DeadLetter} with reason {@code
 * constraint_violation} or {@code data_exception} and the record as payload; the other rows are
 * written. An extractor that throws gives reason {@code invalid_value}. Other errors (missing
 * privileges, wrong column types) are configuration errors and fail the bundle. No value is ever
 * logged or put into an exception message by this sink.
 *
 * <p><b>Ordering.</b> Records of one key are applied in the order the sink sees them; the sink does
 * not reorder. When a key can receive competing versions out of order, use {@link MutationSink},
 * which only applies newer source positions. Keep pgjdbc's {@code reWriteBatchedInserts} off: it
 * merges a batch into one multi-row statement, and PostgreSQL refuses an {@code ON CONFLICT DO
 * UPDATE} that touches the same key twice in one statement.
 *
 * <p><b>Metrics</b> (namespace {@code JdbcUpsertSink.class}): {@code rows_written}, {@code
 * batches}, {@code retries}, {@code failures}.
 *
 * <pre>{@code
 * JdbcUpsertSink.Result result =
 *     views.apply("WritePageViews",
 *         JdbcUpsertSink.<PageViews>to(db, "page_views_per_minute")
 *             .withColumn("page", "text", v -> v.page)
 *             .withColumn("window_start", "timestamptz", v -> v.windowStart)
 *             .withColumn("views", "bigint", v -> v.count)
 *             .withKey("page", "window_start")
 *             .withBatchSize(500));
 * result.failures().apply(DeadLetterJdbcSink.to(db));
 * }</pre>
 */
@AutoValue
public abstract class JdbcUpsertSink<T> extends PTransform<PCollection<T>, JdbcUpsertSink.Result> {
  /** Default number of rows per batch. */
  public static final int DEFAULT_BATCH_SIZE = 500;

  /** Default attempts per batch (or row) for transient errors. */
  public static final int DEFAULT_MAX_ATTEMPTS = 5;

  /** Reason codes of this sink's dead letters. */
  public static final class Reasons {
    public static final String CONSTRAINT_VIOLATION = "constraint_violation";
    public static final String DATA_EXCEPTION = "data_exception";
    public static final String INVALID_VALUE = "invalid_value";

    private Reasons() {}
  }

  /** One declared column: validated name and type and how to get its value from a record. */
  public static final class Column<T> implements Serializable {
    private static final long serialVersionUID = 1L;
    final String name;
    final String sqlType;
    final SerializableFunction<T, @Nullable Object> extractor;

    Column(String name, String sqlType, SerializableFunction<T, @Nullable Object> extractor) {
      this.name = SqlIdentifiers.name(name);
      this.sqlType = SqlIdentifiers.sqlType(sqlType);
      if (extractor == null) {
        throw new IllegalArgumentException("column " + name + " needs an extractor");
      }
      this.extractor = extractor;
    }
  }

  abstract JdbcConnectionSpec connection();

  abstract String table();

  abstract List<Column<T>> columns();

  abstract List<String> keys();

  abstract int batchSize();

  abstract int maxAttempts();

  abstract long initialBackoffMillis();

  abstract String stage();

  /** Extra condition of ON CONFLICT DO UPDATE (MutationSink's position guard); trusted. */
  abstract @Nullable String conflictGuard();

  /** withUniqueKey: a unique index (nullable columns) and ON CONFLICT DO NOTHING. */
  abstract boolean insertOnce();

  /** withMaxBufferTime: a buffered row is written at the latest this long after; 0 = off. */
  abstract long maxBufferMillis();

  /** withSupersededRanges: {start column, end column} of merging windows, or null. */
  abstract @Nullable List<String> supersededRange();

  /** withGrowingColumns: a conflicting row is replaced only if none of these is smaller. */
  abstract List<String> growingColumns();

  abstract Builder<T> toBuilder();

  @AutoValue.Builder
  abstract static class Builder<T> {
    abstract Builder<T> setConnection(JdbcConnectionSpec connection);

    abstract Builder<T> setTable(String table);

    abstract Builder<T> setColumns(List<Column<T>> columns);

    abstract Builder<T> setKeys(List<String> keys);

    abstract Builder<T> setBatchSize(int batchSize);

    abstract Builder<T> setMaxAttempts(int maxAttempts);

    abstract Builder<T> setInitialBackoffMillis(long initialBackoffMillis);

    abstract Builder<T> setStage(String stage);

    abstract Builder<T> setConflictGuard(@Nullable String conflictGuard);

    abstract Builder<T> setInsertOnce(boolean insertOnce);

    abstract Builder<T> setMaxBufferMillis(long maxBufferMillis);

    abstract Builder<T> setSupersededRange(@Nullable List<String> supersededRange);

    abstract Builder<T> setGrowingColumns(List<String> growingColumns);

    abstract JdbcUpsertSink<T> build();
  }

  /** Upserts into {@code table} (optionally {@code schema.table}; validated now). */
  public static <T> JdbcUpsertSink<T> to(JdbcConnectionSpec connection, String table) {
    if (connection == null) {
      throw new IllegalArgumentException("connection must not be null");
    }
    SqlIdentifiers.qualifiedName(table);
    return new AutoValue_JdbcUpsertSink.Builder<T>()
        .setConnection(connection)
        .setTable(table)
        .setColumns(List.of())
        .setKeys(List.of())
        .setBatchSize(DEFAULT_BATCH_SIZE)
        .setMaxAttempts(DEFAULT_MAX_ATTEMPTS)
        .setInitialBackoffMillis(100)
        .setStage("jdbc-upsert-" + table)
        .setInsertOnce(false)
        .setMaxBufferMillis(0L)
        .setGrowingColumns(List.of())
        .build();
  }

  /** Declares a column with its SQL type (e.g. {@code numeric(12,2)}) and value extractor. */
  public JdbcUpsertSink<T> withColumn(
      String name, String sqlType, SerializableFunction<T, @Nullable Object> extractor) {
    Column<T> column = new Column<>(name, sqlType, extractor);
    if (columns().stream().anyMatch(c -> c.name.equals(name))) {
      throw new IllegalArgumentException("column " + name + " declared twice");
    }
    List<Column<T>> more = new ArrayList<>(columns());
    more.add(column);
    return toBuilder().setColumns(List.copyOf(more)).build();
  }

  /** The natural key: the conflict target and the primary key of a created table. */
  public JdbcUpsertSink<T> withKey(String... keyColumns) {
    return withKeyColumns(keyColumns, false);
  }

  /**
   * Inserts each row once per {@code columns} instead of upserting: a created table gets a unique
   * index on them (not a primary key, so they may be null) and a row whose values are already
   * stored is skipped ({@code ON CONFLICT DO NOTHING}). A row with a null in them never conflicts
   * (PostgreSQL's unique indexes treat nulls as distinct), so it is always appended. For
   * append-only records that a replay may send again, such as dead letters identified by their
   * source position.
   */
  public JdbcUpsertSink<T> withUniqueKey(String... columns) {
    return withKeyColumns(columns, true);
  }

  private JdbcUpsertSink<T> withKeyColumns(String[] keyColumns, boolean once) {
    List<String> valid = new ArrayList<>();
    for (String key : keyColumns) {
      valid.add(SqlIdentifiers.name(key));
    }
    return toBuilder().setKeys(List.copyOf(valid)).setInsertOnce(once).build();
  }

  /** Rows per batch (one transaction); default {@value #DEFAULT_BATCH_SIZE}. */
  public JdbcUpsertSink<T> withBatchSize(int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
    }
    return toBuilder().setBatchSize(batchSize).build();
  }

  /**
   * For merging windows (sessions) stored one row per window: an upsert also deletes the rows of
   * the same key columns (all but {@code startColumn}) whose {@code [startColumn, endColumn)}
   * overlaps the written row's and whose start differs. Those rows are earlier panes of windows
   * that have since merged into the written one (a late record bridged them, moving the start); a
   * key's windows never overlap otherwise, so no other row is touched. A row whose range lies
   * inside a stored row of the same key columns under another start is not written: it is an
   * earlier pane of a window that has since merged into the stored one, reaching the table late
   * (Beam keeps no order between bundles). Each row's upsert and delete run in one statement.
   * {@code startColumn} must be a key column and {@code endColumn} a declared column.
   *
   * <pre>{@code
   * JdbcUpsertSink.<Session>to(db, "user_sessions")
   *     ... // columns user_id, session_start, session_end, clicks
   *     .withKey("user_id", "session_start")
   *     .withSupersededRanges("session_start", "session_end");
   * }</pre>
   */
  public JdbcUpsertSink<T> withSupersededRanges(String startColumn, String endColumn) {
    return toBuilder()
        .setSupersededRange(
            List.of(SqlIdentifiers.name(startColumn), SqlIdentifiers.name(endColumn)))
        .build();
  }

  /**
   * For rows whose versions only grow, such as the panes of an accumulating window (a count, a sum
   * of non-negative values): a row replaces the stored row of its key only if none of {@code
   * columns} is smaller than the stored value ({@code ON CONFLICT ... DO UPDATE ... WHERE}). Beam
   * does not keep the order of elements between bundles, and a runner may write two bundles of an
   * unkeyed step in either order (the Direct runner runs them on parallel threads), so without this
   * an earlier pane that reaches the table after a later one would overwrite it. Equal values are
   * replaced (a replay of the same pane), and so is a stored NULL (a column added to an existing
   * table). The columns must be declared, non-key columns.
   *
   * <pre>{@code
   * JdbcUpsertSink.<WindowResult<String, Long>>to(db, "page_views_per_minute")
   *     ... // columns page, window_start, window_end, views
   *     .withKey("page", "window_start")
   *     .withGrowingColumns("views");
   * }</pre>
   */
  public JdbcUpsertSink<T> withGrowingColumns(String... columns) {
    if (columns == null || columns.length == 0) {
      throw new IllegalArgumentException("name at least one growing column");
    }
    List<String> names = new ArrayList<>();
    for (String column : columns) {
      names.add(SqlIdentifiers.name(column));
    }
    return toBuilder().setGrowingColumns(List.copyOf(names)).build();
  }

  /**
   * Writes a buffered row at the latest {@code maxBufferTime} after it arrived, also in the middle
   * of a long bundle or while no further row comes (a streaming runner may keep a bundle open for a
   * second or more): a timer of the writer flushes the buffer, on top of the batch-full and
   * end-of-bundle flushes. For latency-sensitive rows such as alerts. The timed write belongs to
   * the current bundle: if it fails, the bundle fails and is retried (the writes are idempotent).
   */
  public JdbcUpsertSink<T> withMaxBufferTime(org.joda.time.Duration maxBufferTime) {
    if (maxBufferTime == null || maxBufferTime.getMillis() < 1) {
      throw new IllegalArgumentException("maxBufferTime must be positive, got " + maxBufferTime);
    }
    return toBuilder().setMaxBufferMillis(maxBufferTime.getMillis()).build();
  }

  /** Attempts for transient errors and the first backoff (doubling, capped at 5 s). */
  public JdbcUpsertSink<T> withRetries(int maxAttempts, org.joda.time.Duration initialBackoff) {
    if (maxAttempts < 1 || initialBackoff == null || initialBackoff.getMillis() < 1) {
      throw new IllegalArgumentException("maxAttempts >= 1 and a positive backoff are required");
    }
    return toBuilder()
        .setMaxAttempts(maxAttempts)
        .setInitialBackoffMillis(initialBackoff.getMillis())
        .build();
  }

  /** The stage name written into dead letters; default {@code jdbc-upsert-<table>}. */
  public JdbcUpsertSink<T> withStage(String stage) {
    if (stage == null || stage.isBlank()) {
      throw new IllegalArgumentException("stage must be a non-blank name");
    }
    return toBuilder().setStage(stage).build();
  }

  JdbcUpsertSink<T> withConflictGuard(String guard) {
    return toBuilder().setConflictGuard(guard).build();
  }

  /**
   * Creates the table now, from the client, if it does not exist (the sink would create it on its
   * workers' first write): for a view that must read it before any row arrives.
   */
  public void createTable() throws java.sql.SQLException {
    JdbcWrites.ensureCreated(
        connection().dataSource(), connection().jdbcUrl() + "|" + table(), createTableSql());
  }

  /** {@code CREATE TABLE IF NOT EXISTS} for the declared columns and key. */
  String createTableSql() {
    return UpsertStatements.createTable(table(), columns(), keys(), insertOnce());
  }

  /** The parameterized insert/upsert statement. */
  String upsertSql() {
    List<String> guards = new ArrayList<>();
    if (conflictGuard() != null) {
      guards.add(conflictGuard());
    }
    for (String column : growingColumns()) {
      String quoted = SqlIdentifiers.quote(column);
      // A stored NULL (a column added to an existing table) counts as smaller.
      guards.add("(t." + quoted + " IS NULL OR t." + quoted + " <= EXCLUDED." + quoted + ")");
    }
    List<String> range = supersededRange();
    String upsert =
        UpsertStatements.upsert(
            table(),
            columns(),
            keys(),
            insertOnce(),
            guards.isEmpty() ? null : String.join(" AND ", guards),
            range == null ? null : notCovered(range).sql());
    return range == null
        ? upsert
        : UpsertStatements.deletingSuperseded(upsert, table(), keys(), range.get(0), range.get(1));
  }

  /**
   * The statement's parameters after one per column, as indexes into {@link #columns()}: the values
   * they take.
   */
  int[] extraParameters() {
    List<String> range = supersededRange();
    if (range == null) {
      return new int[0];
    }
    List<String> names = notCovered(range).parameterColumns();
    List<String> declared = columns().stream().map(c -> c.name).collect(Collectors.toList());
    int[] indexes = new int[names.size()];
    for (int i = 0; i < indexes.length; i++) {
      indexes[i] = declared.indexOf(names.get(i));
      if (indexes[i] < 0) {
        throw new IllegalStateException(
            "superseded-range column " + names.get(i) + " is not a declared column");
      }
    }
    return indexes;
  }

  private UpsertStatements.RowCondition notCovered(List<String> range) {
    return UpsertStatements.notCovered(table(), keys(), range.get(0), range.get(1));
  }

  @Override
  public Result expand(PCollection<T> input) {
    if (columns().isEmpty()) {
      throw new IllegalStateException("declare at least one column with withColumn(...)");
    }
    for (String key : keys()) {
      if (columns().stream().noneMatch(c -> c.name.equals(key))) {
        throw new IllegalStateException("key column " + key + " is not a declared column");
      }
    }
    for (String growing : growingColumns()) {
      if (keys().contains(growing) || columns().stream().noneMatch(c -> c.name.equals(growing))) {
        throw new IllegalStateException(
            "growing column " + growing + " is not a declared non-key column");
      }
    }
    PCollection<DeadLetter> failures =
        input
            .apply(
                "Upsert",
                ParDo.of(
                    new UpsertWriteFn<>(
                        connection(),
                        table(),
                        columns(),
                        createTableSql(),
                        upsertSql(),
                        extraParameters(),
                        batchSize(),
                        maxAttempts(),
                        initialBackoffMillis(),
                        maxBufferMillis(),
                        stage())))
            .setCoder(DeadLetter.coder());
    return new Result(input.getPipeline(), failures);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    connection().populateDisplayData(builder);
    builder
        .add(DisplayData.item("table", table()))
        .add(DisplayData.item(insertOnce() ? "uniqueKey" : "key", String.join(",", keys())))
        .add(DisplayData.item("batchSize", batchSize()))
        .addIfNotDefault(DisplayData.item("maxBufferMillis", maxBufferMillis()), 0L)
        .addIfNotDefault(
            DisplayData.item("growingColumns", String.join(",", growingColumns())), "");
  }

  /** The rows the database refused, as dead letters. */
  public static final class Result extends TaggedOutputs {
    private static final TupleTag<DeadLetter> FAILURES = new TupleTag<>("failures");
    private final PCollection<DeadLetter> failures;

    Result(Pipeline pipeline, PCollection<DeadLetter> failures) {
      super(pipeline);
      this.failures = output(FAILURES, failures);
    }

    /** Rows refused by the database (or by an extractor), with reasons; schema-coded. */
    public PCollection<DeadLetter> failures() {
      return failures;
    }
  }
}
