package io.beamsuite.pipelines.wiring;

import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.io.jdbc.JdbcUpsertSink;
import io.beamsuite.transforms.windowing.WindowResult;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The one way the pipelines store {@link WindowResult}s of a count or sum: an idempotent upsert
 * into {@code table (key text, start timestamptz, end timestamptz, value bigint)} keyed by the
 * result's key and the window start, so a later (accumulating) pane replaces the row and an earlier
 * one that arrives after it does not ({@link JdbcUpsertSink#withGrowingColumns}).
 *
 * <pre>{@code
 * views.results().apply("WritePageViews",
 *     WindowResultTable.to(db, "page_views_per_minute", "page", "window_start", "window_end", "views"));
 * }</pre>
 */
public final class WindowResultTable {
  private WindowResultTable() {}

  /**
   * An upsert into {@code table}; with {@code keyColumn} null the table has one row per window (the
   * result's key is not stored). Dead letters name the stage {@code write-<table>}.
   */
  public static JdbcUpsertSink<WindowResult<String, Long>> to(
      JdbcConnectionSpec db,
      String table,
      @Nullable String keyColumn,
      String startColumn,
      String endColumn,
      String valueColumn) {
    JdbcUpsertSink<WindowResult<String, Long>> sink = JdbcUpsertSink.to(db, table);
    if (keyColumn != null) {
      sink = sink.withColumn(keyColumn, "text", WindowResult::key);
    }
    return sink.withColumn(startColumn, "timestamptz", WindowResult::windowStart)
        .withColumn(endColumn, "timestamptz", WindowResult::windowEnd)
        .withColumn(valueColumn, "bigint", WindowResult::value)
        .withKey(
            keyColumn == null ? new String[] {startColumn} : new String[] {keyColumn, startColumn})
        // Accumulating panes of a count or sum only grow: an earlier pane written after a later
        // one (bundles of this step may be written in any order) must not replace it.
        .withGrowingColumns(valueColumn)
        .withStage("write-" + table);
  }
}
