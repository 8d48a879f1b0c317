package io.beamsuite.io.jdbc;

import io.beamsuite.io.jdbc.JdbcUpsertSink.Column;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The SQL text of {@link JdbcUpsertSink}: the table's DDL (with a unique index, guarded by a
 * PL/pgSQL block, for insert-once tables) and the batched insert/upsert statement. Every identifier
 * is validated and quoted by {@link SqlIdentifiers}; values are always bound parameters.
 */
final class UpsertStatements {
  private UpsertStatements() {}

  /** {@code CREATE TABLE IF NOT EXISTS} for the declared columns and key. */
  static String createTable(
      String table, List<? extends Column<?>> columns, List<String> keys, boolean insertOnce) {
    String cols =
        columns.stream()
            .map(c -> SqlIdentifiers.quote(c.name) + " " + c.sqlType)
            .collect(Collectors.joining(", "));
    String keyList = keys.stream().map(SqlIdentifiers::quote).collect(Collectors.joining(", "));
    String pk = keys.isEmpty() || insertOnce ? "" : ", PRIMARY KEY (" + keyList + ")";
    String create =
        "CREATE TABLE IF NOT EXISTS "
            + SqlIdentifiers.quoteQualified(table)
            + " ("
            + cols
            + pk
            + ")";
    if (!insertOnce || keys.isEmpty()) {
      return create;
    }
    // The index lives in the table's schema; its name is the table's own (<= 63 bytes) + a suffix.
    String[] parts = table.split("\\.");
    String base = parts[parts.length - 1];
    String index = base.substring(0, Math.min(base.length(), 63 - "_once".length())) + "_once";
    // A table created by an older version may already hold repeats; say so instead of failing
    // later on ON CONFLICT with "no unique constraint matching". Identifiers are validated above.
    String message =
        ("cannot create unique index "
                + index
                + " on "
                + table
                + ": the table already holds rows"
                + " that repeat ("
                + String.join(", ", keys)
                + "); remove the repeats first")
            .replace("'", "''");
    return create
        + "; DO $beamsuite$ BEGIN CREATE UNIQUE INDEX IF NOT EXISTS "
        + SqlIdentifiers.quote(index)
        + " ON "
        + SqlIdentifiers.quoteQualified(table)
        + " ("
        + keyList
        + "); EXCEPTION WHEN unique_violation THEN RAISE EXCEPTION '%', '"
        + message
        + "' USING ERRCODE = '55000'; END $beamsuite$";
  }

  /**
   * The parameterized insert/upsert statement: one parameter per column, then (with a {@code
   * rowCondition}) that condition's own parameters. A row whose condition is false is not written.
   */
  static String upsert(
      String table,
      List<? extends Column<?>> columns,
      List<String> keys,
      boolean insertOnce,
      @Nullable String conflictGuard,
      @Nullable String rowCondition) {
    String quotedTable = SqlIdentifiers.quoteQualified(table);
    String names =
        columns.stream().map(c -> SqlIdentifiers.quote(c.name)).collect(Collectors.joining(", "));
    String marks = columns.stream().map(c -> "?").collect(Collectors.joining(", "));
    StringBuilder sql =
        new StringBuilder("INSERT INTO ").append(quotedTable).append(" AS t (").append(names);
    // INSERT ... SELECT resolves untyped parameters as the target columns' types, as VALUES does.
    if (rowCondition == null) {
      sql.append(") VALUES (").append(marks).append(")");
    } else {
      sql.append(") SELECT ").append(marks).append(" WHERE ").append(rowCondition);
    }
    if (keys.isEmpty()) {
      return sql.toString();
    }
    sql.append(" ON CONFLICT (")
        .append(keys.stream().map(SqlIdentifiers::quote).collect(Collectors.joining(", ")))
        .append(")");
    List<String> updates =
        columns.stream()
            .filter(c -> !keys.contains(c.name))
            .map(c -> SqlIdentifiers.quote(c.name) + " = EXCLUDED." + SqlIdentifiers.quote(c.name))
            .collect(Collectors.toList());
    if (updates.isEmpty() || insertOnce) {
      return sql.append(" DO NOTHING").toString();
    }
    sql.append(" DO UPDATE SET ").append(String.join(", ", updates));
    if (conflictGuard != null) {
      sql.append(" WHERE ").append(conflictGuard);
    }
    return sql.toString();
  }

  /** A row condition's SQL and the columns whose values its parameters take, in order. */
  record RowCondition(String sql, List<String> parameterColumns) {}

  /**
   * For merging windows: true unless a stored row of the same key columns but {@code start} has a
   * different start and a range that contains the written row's. Such a row is a later pane of the
   * merged window the written one has since become part of, so the written row is an earlier pane
   * that reached the table late and must not replace it.
   */
  static RowCondition notCovered(String table, List<String> keys, String start, String end) {
    StringBuilder sql =
        new StringBuilder("NOT EXISTS (SELECT 1 FROM ")
            .append(SqlIdentifiers.quoteQualified(table))
            .append(" AS cover WHERE ");
    List<String> parameterColumns = new ArrayList<>();
    List<String> tests = new ArrayList<>();
    for (String key : keys) {
      if (!key.equals(start)) {
        tests.add("cover." + SqlIdentifiers.quote(key) + " = ?");
        parameterColumns.add(key);
      }
    }
    tests.add("cover." + SqlIdentifiers.quote(start) + " <> ?");
    tests.add("cover." + SqlIdentifiers.quote(start) + " <= ?");
    tests.add("cover." + SqlIdentifiers.quote(end) + " >= ?");
    parameterColumns.addAll(List.of(start, start, end));
    sql.append(String.join(" AND ", tests)).append(")");
    return new RowCondition(sql.toString(), List.copyOf(parameterColumns));
  }

  /**
   * {@code upsert} (parameters unchanged) followed, in the same statement, by the delete of the
   * rows it supersedes: same key columns but {@code start}, a different {@code start}, and a range
   * {@code [start, end)} that overlaps the written row's (see {@link
   * JdbcUpsertSink#withSupersededRanges}).
   */
  static String deletingSuperseded(
      String upsert, String table, List<String> keys, String start, String end) {
    if (!keys.contains(start)) {
      throw new IllegalArgumentException(
          "superseded ranges need " + start + " among the key columns " + keys);
    }
    String quotedTable = SqlIdentifiers.quoteQualified(table);
    String qs = SqlIdentifiers.quote(start);
    String qe = SqlIdentifiers.quote(end);
    StringBuilder sql =
        new StringBuilder("WITH written AS (")
            .append(upsert)
            .append(" RETURNING ")
            .append(keys.stream().map(SqlIdentifiers::quote).collect(Collectors.joining(", ")))
            .append(keys.contains(end) ? "" : ", " + qe)
            .append(") DELETE FROM ")
            .append(quotedTable)
            .append(" AS old USING written WHERE old.")
            .append(qs)
            .append(" <> written.")
            .append(qs)
            .append(" AND old.")
            .append(qs)
            .append(" < written.")
            .append(qe)
            .append(" AND old.")
            .append(qe)
            .append(" > written.")
            .append(qs);
    for (String key : keys) {
      if (!key.equals(start)) {
        String q = SqlIdentifiers.quote(key);
        sql.append(" AND old.").append(q).append(" = written.").append(q);
      }
    }
    return sql.toString();
  }
}
