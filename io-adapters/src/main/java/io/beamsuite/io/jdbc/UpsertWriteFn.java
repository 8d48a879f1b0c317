package io.beamsuite.io.jdbc;

import io.beamsuite.io.jdbc.JdbcUpsertSink.Column;
import io.beamsuite.io.jdbc.JdbcUpsertSink.Reasons;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.errors.DeadLetters;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

final class UpsertWriteFn<T> extends DoFn<T, DeadLetter> {
  private final JdbcConnectionSpec connection;
  private final String table;
  private final List<Column<T>> columns;
  private final String ddl;
  private final String sql;
  private final int[] extraParameters;
  private final int batchSize;
  private final int maxAttempts;
  private final long initialBackoffMillis;
  private final long maxBufferMillis;
  private final String stage;

  private final Counter rowsWritten = Metrics.counter(JdbcUpsertSink.class, "rows_written");
  private final Counter batches = Metrics.counter(JdbcUpsertSink.class, "batches");
  private final Counter retries = Metrics.counter(JdbcUpsertSink.class, "retries");
  private final Counter failureCount = Metrics.counter(JdbcUpsertSink.class, "failures");
  private final Counter timedFlushes = Metrics.counter(JdbcUpsertSink.class, "timed_flushes");

  private transient @Nullable DataSource dataSource;
  private transient List<Pending<T>> buffer;
  private transient List<Pending<DeadLetter>> failed;
  // withMaxBufferTime: the timer's task, when the first buffered row arrived, and a failure of a
  // timed flush, rethrown in the bundle. buffer/failed are guarded by `this` while it runs.
  private transient @Nullable ScheduledFuture<?> flushTimer;
  private transient long oldestBufferedNanos;
  private transient volatile @Nullable Exception timedFlushFailure;
  private transient boolean onTimer;
  private transient List<Map.Entry<Counter, Long>> deferredCounts;

  UpsertWriteFn(
      JdbcConnectionSpec connection,
      String table,
      List<Column<T>> columns,
      String ddl,
      String sql,
      int[] extraParameters,
      int batchSize,
      int maxAttempts,
      long initialBackoffMillis,
      long maxBufferMillis,
      String stage) {
    this.connection = connection;
    this.table = table;
    this.columns = columns;
    this.ddl = ddl;
    this.sql = sql;
    this.extraParameters = extraParameters.clone();
    this.batchSize = batchSize;
    this.maxAttempts = maxAttempts;
    this.initialBackoffMillis = initialBackoffMillis;
    this.maxBufferMillis = maxBufferMillis;
    this.stage = stage;
  }

  @Setup
  public void setup() throws SQLException {
    dataSource = connection.dataSource();
    JdbcWrites.ensureCreated(dataSource, connection.jdbcUrl() + "|" + table, ddl);
    buffer = new ArrayList<>();
    failed = new ArrayList<>();
    deferredCounts = new ArrayList<>();
    if (maxBufferMillis > 0) {
      // Checks twice per max buffer time, so no row waits much longer than that.
      long period = Math.max(1, maxBufferMillis / 2);
      flushTimer =
          FlushTimers.SCHEDULER.scheduleAtFixedRate(
              this::flushIfDue, period, period, TimeUnit.MILLISECONDS);
    }
  }

  @Teardown
  public void teardown() {
    if (flushTimer != null) {
      flushTimer.cancel(false);
      flushTimer = null;
    }
  }

  @StartBundle
  public synchronized void startBundle() {
    buffer = new ArrayList<>();
    failed = new ArrayList<>();
  }

  /** The timer's task: writes the buffer once its oldest row has waited the max buffer time. */
  private synchronized void flushIfDue() {
    if (buffer == null
        || buffer.isEmpty()
        || timedFlushFailure != null
        || System.nanoTime() - oldestBufferedNanos < maxBufferMillis * 1_000_000L) {
      return;
    }
    try {
      onTimer = true;
      flush();
      count(timedFlushes, 1);
    } catch (Exception e) {
      timedFlushFailure = e;
    } finally {
      onTimer = false;
    }
  }

  /**
   * Metrics can only be reported from the runner's thread: counts made by the timer are kept and
   * reported at the next element or bundle end.
   */
  private void count(Counter counter, long n) {
    if (onTimer) {
      deferredCounts.add(Map.entry(counter, n));
    } else {
      counter.inc(n);
    }
  }

  private void reportDeferredCounts() {
    for (Map.Entry<Counter, Long> c : deferredCounts) {
      c.getKey().inc(c.getValue());
    }
    deferredCounts.clear();
  }

  private void rethrowTimedFlushFailure() throws SQLException {
    reportDeferredCounts();
    Exception failure = timedFlushFailure;
    if (failure != null) {
      timedFlushFailure = null;
      throw new SQLException("a timed flush of " + table + " failed", failure);
    }
  }

  @ProcessElement
  public void processElement(@Element T record, @Timestamp Instant timestamp, BoundedWindow window)
      throws SQLException {
    // Values are extracted outside the lock: only the buffer is shared with the flush timer.
    @Nullable Object[] values = new Object[columns.size()];
    RuntimeException invalid = null;
    try {
      for (int i = 0; i < columns.size(); i++) {
        values[i] = columns.get(i).extractor.apply(record);
      }
    } catch (RuntimeException e) {
      invalid = e;
    }
    synchronized (this) {
      rethrowTimedFlushFailure();
      if (invalid != null) {
        fail(new Pending<>(record, values, timestamp, window), Reasons.INVALID_VALUE, invalid);
        return;
      }
      if (buffer.isEmpty()) {
        oldestBufferedNanos = System.nanoTime();
      }
      buffer.add(new Pending<>(record, values, timestamp, window));
      if (buffer.size() >= batchSize) {
        flush();
      }
    }
  }

  @FinishBundle
  public synchronized void finishBundle(FinishBundleContext context) throws SQLException {
    rethrowTimedFlushFailure();
    flush();
    // Dead letters are emitted here, with each record's own timestamp and window.
    for (Pending<DeadLetter> letter : failed) {
      context.output(letter.record, letter.timestamp, letter.window);
    }
    failed.clear();
  }

  private void flush() throws SQLException {
    if (buffer.isEmpty()) {
      return;
    }
    List<Pending<T>> batch = buffer;
    buffer = new ArrayList<>();
    for (int attempt = 1; ; attempt++) {
      try {
        writeBatch(batch);
        count(batches, 1);
        count(rowsWritten, batch.size());
        return;
      } catch (SQLException e) {
        JdbcWrites.ErrorKind kind = JdbcWrites.classify(e);
        if (kind == JdbcWrites.ErrorKind.TRANSIENT && attempt < maxAttempts) {
          count(retries, 1);
          JdbcWrites.backoff(initialBackoffMillis, attempt);
        } else if (kind == JdbcWrites.ErrorKind.CONSTRAINT || kind == JdbcWrites.ErrorKind.DATA) {
          writeRowByRow(batch);
          return;
        } else {
          throw new SQLException(
              "writing a batch of " + batch.size() + " rows to " + table + " failed", e);
        }
      }
    }
  }

  private void writeBatch(List<Pending<T>> batch) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement statement = c.prepareStatement(sql)) {
        for (Pending<T> row : batch) {
          bindRow(statement, row.values);
          statement.addBatch();
        }
        statement.executeBatch();
        c.commit();
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c);
        throw e;
      }
    }
  }

  private void writeRowByRow(List<Pending<T>> batch) throws SQLException {
    for (Pending<T> row : batch) {
      for (int attempt = 1; ; attempt++) {
        try (Connection c = dataSource.getConnection();
            PreparedStatement statement = c.prepareStatement(sql)) {
          c.setAutoCommit(true);
          bindRow(statement, row.values);
          statement.executeUpdate();
          count(rowsWritten, 1);
          break;
        } catch (SQLException e) {
          JdbcWrites.ErrorKind kind = JdbcWrites.classify(e);
          if (kind == JdbcWrites.ErrorKind.TRANSIENT && attempt < maxAttempts) {
            count(retries, 1);
            JdbcWrites.backoff(initialBackoffMillis, attempt);
          } else if (kind == JdbcWrites.ErrorKind.CONSTRAINT) {
            fail(row, Reasons.CONSTRAINT_VIOLATION, e);
            break;
          } else if (kind == JdbcWrites.ErrorKind.DATA) {
            fail(row, Reasons.DATA_EXCEPTION, e);
            break;
          } else {
            throw new SQLException("writing a row to " + table + " failed", e);
          }
        }
      }
    }
  }

  private void bindRow(PreparedStatement statement, @Nullable Object[] values) throws SQLException {
    for (int i = 0; i < values.length; i++) {
      JdbcWrites.bind(statement, i + 1, values[i]);
    }
    for (int i = 0; i < extraParameters.length; i++) {
      JdbcWrites.bind(statement, values.length + i + 1, values[extraParameters[i]]);
    }
  }

  private void fail(Pending<T> row, String reason, Exception cause) {
    count(failureCount, 1);
    count(Metrics.counter(JdbcUpsertSink.class, "failures_" + reason), 1);
    failed.add(
        new Pending<>(
            DeadLetters.forRecord(stage, reason, row.record, cause),
            null,
            row.timestamp,
            row.window));
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // The connection is broken; the pool discards it.
    }
  }

  /** A buffered record with its bound values and where its failure would be emitted. */
  private static final class Pending<T> {
    final T record;
    final @Nullable Object[] values;
    final Instant timestamp;
    final BoundedWindow window;

    Pending(T record, @Nullable Object[] values, Instant timestamp, BoundedWindow window) {
      this.record = record;
      this.values = values;
      this.timestamp = timestamp;
      this.window = window;
    }
  }

  /** One daemon thread for the flush timers of every writer in the JVM (the writes are short). */
  private static final class FlushTimers {
    static final ScheduledExecutorService SCHEDULER =
        Executors.newSingleThreadScheduledExecutor(
            task -> {
              Thread thread = new Thread(task, "jdbc-upsert-flush-timer");
              thread.setDaemon(true);
              return thread;
            });
  }
}
