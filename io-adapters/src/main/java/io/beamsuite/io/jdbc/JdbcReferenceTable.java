package io.beamsuite.io.jdbc;

import io.beamsuite.transforms.enrichment.ReferenceTable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A {@link ReferenceTable} that loads a whole PostgreSQL table (or the selected columns) on every
 * {@link #load()}, for {@code Enrichment.sideInput}. Identifiers are validated when it is built;
 * the query runs on the pooled data source of {@link JdbcConnectionSpec}. If several rows share a
 * key the last one read wins.
 *
 * <pre>{@code
 * ReferenceTable<String, String> countries =
 *     JdbcReferenceTable.of(db, "countries", rs -> rs.getString("code"), rs -> rs.getString("name"))
 *         .withColumns("code", "name");
 * }</pre>
 */
public final class JdbcReferenceTable<K, V> implements ReferenceTable<K, V> {
  private static final long serialVersionUID = 1L;

  private final JdbcConnectionSpec connection;
  private final String table;
  private final List<String> columns;
  private final JdbcRowMapper<K> keyMapper;
  private final JdbcRowMapper<V> valueMapper;

  private JdbcReferenceTable(
      JdbcConnectionSpec connection,
      String table,
      List<String> columns,
      JdbcRowMapper<K> keyMapper,
      JdbcRowMapper<V> valueMapper) {
    this.connection = connection;
    this.table = SqlIdentifiers.qualifiedName(table);
    for (String column : columns) {
      SqlIdentifiers.name(column);
    }
    this.columns = List.copyOf(columns);
    this.keyMapper = keyMapper;
    this.valueMapper = valueMapper;
  }

  /** Loads {@code table}, keying each row with {@code keyMapper}. */
  public static <K, V> JdbcReferenceTable<K, V> of(
      JdbcConnectionSpec connection,
      String table,
      JdbcRowMapper<K> keyMapper,
      JdbcRowMapper<V> valueMapper) {
    return new JdbcReferenceTable<>(connection, table, List.of(), keyMapper, valueMapper);
  }

  /** The columns to select; default all ({@code *}). */
  public JdbcReferenceTable<K, V> withColumns(String... names) {
    return new JdbcReferenceTable<>(connection, table, List.of(names), keyMapper, valueMapper);
  }

  String sql() {
    String selected =
        columns.isEmpty()
            ? "*"
            : columns.stream().map(SqlIdentifiers::quote).collect(Collectors.joining(", "));
    return "SELECT " + selected + " FROM " + SqlIdentifiers.quoteQualified(table);
  }

  @Override
  public Map<K, V> load() throws Exception {
    Map<K, V> rows = new HashMap<>();
    try (Connection c = connection.dataSource().getConnection();
        PreparedStatement statement = c.prepareStatement(sql());
        ResultSet result = statement.executeQuery()) {
      while (result.next()) {
        rows.put(keyMapper.map(result), valueMapper.map(result));
      }
    }
    return rows;
  }

  @Override
  public String toString() {
    return "JdbcReferenceTable{" + connection + ", table=" + table + "}";
  }
}
