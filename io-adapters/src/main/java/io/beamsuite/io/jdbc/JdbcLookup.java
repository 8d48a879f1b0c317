package io.beamsuite.io.jdbc;

import io.beamsuite.transforms.enrichment.LookupFn;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A {@link LookupFn} over a PostgreSQL table: one query per batch of keys, {@code SELECT cols FROM
 * table WHERE key = ANY(?)} with the keys bound as one array parameter. Identifiers are validated
 * by {@link SqlIdentifiers} when the lookup is built; the pooled data source of {@link
 * JdbcConnectionSpec} is opened in {@link #setup()} and shared by all instances in the JVM.
 *
 * <p>Keys with no row are absent from the answer; if several rows share a key the last one read
 * wins, so the key column should be unique. Metric (namespace {@code JdbcLookup.class}): counter
 * {@code queries}.
 *
 * <pre>{@code
 * JdbcLookup<String, Customer> customers =
 *     JdbcLookup.of(db, "customers", "customer_id", rs -> rs.getString("customer_id"),
 *             rs -> new Customer(rs.getString("name"), rs.getString("tier")))
 *         .withColumns("customer_id", "name", "tier");
 * EnrichmentResult<Txn, ScoredTxn> r =
 *     txns.apply(Enrichment.lookup((Txn t) -> t.customerId, customers, Scoring::score));
 * }</pre>
 */
public final class JdbcLookup<K, V> implements LookupFn<K, V> {
  private static final long serialVersionUID = 1L;

  private final JdbcConnectionSpec connection;
  private final String table;
  private final String keyColumn;
  private final String keyType;
  private final List<String> columns;
  private final JdbcRowMapper<K> keyMapper;
  private final JdbcRowMapper<V> valueMapper;

  private transient @Nullable DataSource dataSource;
  private final AtomicLong queries = new AtomicLong();
  // Queries per table in this JVM, for tests that cannot reach the deserialized instances.
  private static final Map<String, AtomicLong> QUERIES_BY_TABLE = new ConcurrentHashMap<>();

  private JdbcLookup(
      JdbcConnectionSpec connection,
      String table,
      String keyColumn,
      String keyType,
      List<String> columns,
      JdbcRowMapper<K> keyMapper,
      JdbcRowMapper<V> valueMapper) {
    this.connection = connection;
    this.table = SqlIdentifiers.qualifiedName(table);
    this.keyColumn = SqlIdentifiers.name(keyColumn);
    this.keyType = SqlIdentifiers.sqlType(keyType);
    for (String column : columns) {
      SqlIdentifiers.name(column);
    }
    this.columns = List.copyOf(columns);
    this.keyMapper = keyMapper;
    this.valueMapper = valueMapper;
  }

  /** Looks up {@code table} by {@code keyColumn} (of SQL type {@code text}; see withKeyType). */
  public static <K, V> JdbcLookup<K, V> of(
      JdbcConnectionSpec connection,
      String table,
      String keyColumn,
      JdbcRowMapper<K> keyMapper,
      JdbcRowMapper<V> valueMapper) {
    return new JdbcLookup<>(
        connection, table, keyColumn, "text", List.of(), keyMapper, valueMapper);
  }

  /** The columns to select; default all ({@code *}). */
  public JdbcLookup<K, V> withColumns(String... names) {
    return new JdbcLookup<>(
        connection, table, keyColumn, keyType, List.of(names), keyMapper, valueMapper);
  }

  /** The SQL type of the key column, used for the bound array (e.g. {@code bigint}). */
  public JdbcLookup<K, V> withKeyType(String sqlType) {
    return new JdbcLookup<>(connection, table, keyColumn, sqlType, columns, keyMapper, valueMapper);
  }

  /** The query this lookup runs once per batch. */
  String sql() {
    String selected =
        columns.isEmpty()
            ? "*"
            : columns.stream().map(SqlIdentifiers::quote).collect(Collectors.joining(", "));
    return "SELECT "
        + selected
        + " FROM "
        + SqlIdentifiers.quoteQualified(table)
        + " WHERE "
        + SqlIdentifiers.quote(keyColumn)
        + " = ANY(?)";
  }

  /** Queries run by this instance. */
  long queriesRun() {
    return queries.get();
  }

  /** Queries run against {@code table} by all instances in this JVM. */
  static long queriesRun(String table) {
    AtomicLong count = QUERIES_BY_TABLE.get(table);
    return count == null ? 0 : count.get();
  }

  @Override
  public void setup() {
    dataSource = connection.dataSource();
  }

  @Override
  public Map<K, V> lookup(List<K> keys) throws Exception {
    Map<K, V> found = new HashMap<>();
    if (keys.isEmpty()) {
      return found;
    }
    if (dataSource == null) {
      setup();
    }
    List<K> distinct = new ArrayList<>(new LinkedHashSet<>(keys));
    try (Connection c = dataSource.getConnection();
        PreparedStatement statement = c.prepareStatement(sql())) {
      Array array = c.createArrayOf(keyType, distinct.toArray());
      statement.setArray(1, array);
      queries.incrementAndGet();
      QUERIES_BY_TABLE.computeIfAbsent(table, t -> new AtomicLong()).incrementAndGet();
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          found.put(keyMapper.map(rows), valueMapper.map(rows));
        }
      } finally {
        array.free();
      }
    }
    return found;
  }

  @Override
  public String toString() {
    return "JdbcLookup{" + connection + ", table=" + table + ", key=" + keyColumn + "}";
  }
}
