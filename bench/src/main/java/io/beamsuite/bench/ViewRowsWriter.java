package io.beamsuite.bench;

import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.pipelines.views.RevenueAndPageViews;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Writes window rows of a {@link View} into its {@link View#batchTable()} the way the pipelines'
 * {@code JdbcUpsertSink} does: batched {@code INSERT ... ON CONFLICT (key, window_start) DO UPDATE}
 * with bound parameters, 500 rows per transaction. The hand-written sides (native Flink, plain
 * Java) use it, so that they produce the same PostgreSQL rows as {@code lambda-batch}.
 */
final class ViewRowsWriter implements AutoCloseable {
  static final int BATCH_SIZE = 500;
  static final String USER = "postgres";

  private final View view;
  private final Connection connection;
  private final PreparedStatement upsert;
  private int pending;

  ViewRowsWriter(String jdbcUrl, View view) throws SQLException {
    this.view = view;
    this.connection = DriverManager.getConnection(jdbcUrl, USER, "");
    connection.setAutoCommit(false);
    String table = view.batchTable();
    this.upsert =
        connection.prepareStatement(
            "INSERT INTO "
                + table
                + " AS t ("
                + view.keyColumn
                + ", window_start, window_end, "
                + view.valueColumn
                + ") VALUES (?, ?, ?, ?) ON CONFLICT ("
                + view.keyColumn
                + ", window_start) DO UPDATE SET window_end = EXCLUDED.window_end, "
                + view.valueColumn
                + " = EXCLUDED."
                + view.valueColumn);
  }

  /**
   * Creates both views' batch tables with the pipelines' own DDL (as {@code lambda-batch} would).
   */
  static void createTables(String jdbcUrl) throws SQLException {
    RevenueAndPageViews.createTables(
        JdbcConnectionSpec.of(jdbcUrl, USER), name -> name + "_batch_v1");
  }

  void write(String key, long windowStartMillis, long value) throws SQLException {
    upsert.setString(1, key);
    upsert.setObject(
        2, OffsetDateTime.ofInstant(Instant.ofEpochMilli(windowStartMillis), ZoneOffset.UTC));
    upsert.setObject(
        3,
        OffsetDateTime.ofInstant(
            Instant.ofEpochMilli(windowStartMillis + view.window.toMillis()), ZoneOffset.UTC));
    upsert.setLong(4, value);
    upsert.addBatch();
    if (++pending == BATCH_SIZE) {
      flush();
    }
  }

  void flush() throws SQLException {
    if (pending > 0) {
      upsert.executeBatch();
      connection.commit();
      pending = 0;
    }
  }

  @Override
  public void close() throws SQLException {
    try {
      flush();
    } finally {
      connection.close();
    }
  }
}
