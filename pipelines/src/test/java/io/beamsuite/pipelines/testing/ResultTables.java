package io.beamsuite.pipelines.testing;

import io.beamsuite.fixtures.CustomerRow;
import io.beamsuite.fixtures.oracle.ActiveUsersRow;
import io.beamsuite.fixtures.oracle.FraudAlertRow;
import io.beamsuite.fixtures.oracle.PageViewRow;
import io.beamsuite.fixtures.oracle.RevenueRow;
import io.beamsuite.fixtures.oracle.SensorAnomalyRow;
import io.beamsuite.fixtures.oracle.UserSessionRow;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.TreeMap;

/**
 * Reads the pipelines' result tables into the oracle's row types, in the oracle's order, so a test
 * compares them with {@code assertEquals}. A table that does not exist reads as empty (sinks create
 * tables when their first row arrives).
 */
public final class ResultTables {
  private final String jdbcUrl;
  private final String user;

  /** The JDBC URL of the database read. */
  public String jdbcUrl() {
    return jdbcUrl;
  }

  public ResultTables(String jdbcUrl, String user) {
    this.jdbcUrl = jdbcUrl;
    this.user = user;
  }

  public List<PageViewRow> pageViews() throws SQLException {
    return pageViews("page_views_per_minute");
  }

  /** Rows of a {@code page_views_per_minute} table (or a versioned copy or serving view). */
  public List<PageViewRow> pageViews(String table) throws SQLException {
    return query(
        plainName(table),
        "SELECT page, window_start, window_end, views FROM " + table + " ORDER BY page, window_start",
        rs -> new PageViewRow(rs.getString(1), instant(rs, 2), instant(rs, 3), rs.getLong(4)));
  }

  /** The event ids {@code late_records} holds for {@code view} (the table a pipeline wrote). */
  public Set<String> lateEventIds(String view) throws SQLException {
    return new TreeSet<>(
        query(
            "late_records",
            "SELECT event_id FROM late_records WHERE view = '" + plainName(view) + "'",
            rs -> rs.getString(1)));
  }

  private static String plainName(String table) {
    if (!table.matches("[a-z_][a-z0-9_]*")) {
      throw new IllegalArgumentException("not a plain table name: " + table);
    }
    return table;
  }

  /** Rows of a {@code revenue_per_merchant_hour} table (or a versioned copy, e.g. {@code ..._v2}). */
  public List<RevenueRow> revenuePerMerchantHour(String table) throws SQLException {
    return query(
        plainName(table),
        "SELECT merchant_id, window_start, window_end, revenue_cents FROM "
            + table
            + " ORDER BY merchant_id, window_start",
        rs -> new RevenueRow(rs.getString(1), instant(rs, 2), instant(rs, 3), rs.getLong(4)));
  }

  public List<UserSessionRow> userSessions() throws SQLException {
    return query(
        "user_sessions",
        "SELECT user_id, session_start, session_end, clicks FROM user_sessions"
            + " ORDER BY user_id, session_start",
        rs -> new UserSessionRow(rs.getString(1), instant(rs, 2), instant(rs, 3), rs.getLong(4)));
  }

  public List<ActiveUsersRow> activeUsers() throws SQLException {
    return query(
        "active_users",
        "SELECT window_start, window_end, active_users FROM active_users ORDER BY window_start",
        rs -> new ActiveUsersRow(instant(rs, 1), instant(rs, 2), rs.getLong(3)));
  }

  public List<FraudAlertRow> fraudAlerts() throws SQLException {
    return query(
        "fraud_alerts",
        "SELECT rule, alert_key, customer_id, event_time, observed, threshold FROM fraud_alerts"
            + " ORDER BY rule, alert_key",
        rs ->
            new FraudAlertRow(
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                instant(rs, 4),
                rs.getLong(5),
                rs.getLong(6)));
  }

  public List<SensorAnomalyRow> sensorAnomalies() throws SQLException {
    return query(
        "sensor_anomalies",
        "SELECT sensor_id, metric, window_start, window_end, readings, mean, prev_mean,"
            + " prev_stddev, z_score, anomaly FROM sensor_anomalies"
            + " ORDER BY sensor_id, metric, window_start",
        rs ->
            new SensorAnomalyRow(
                rs.getString(1),
                rs.getString(2),
                instant(rs, 3),
                instant(rs, 4),
                rs.getLong(5),
                rs.getDouble(6),
                rs.getDouble(7),
                rs.getDouble(8),
                rs.getDouble(9),
                rs.getBoolean(10)));
  }

  /** Live rows of a {@code MutationSink} replica, by customer id. */
  public Map<String, CustomerRow> customersReplica(String table) throws SQLException {
    Map<String, CustomerRow> rows = new TreeMap<>();
    for (CustomerRow row :
        query(
            table,
            "SELECT customer_id, name, tier, home_country, credit_limit_cents, updated_at FROM "
                + table
                + " WHERE NOT _deleted",
            rs ->
                new CustomerRow(
                    rs.getString(1),
                    rs.getString(2),
                    rs.getString(3),
                    rs.getString(4),
                    rs.getLong(5),
                    instant(rs, 6)))) {
      rows.put(row.customerId(), row);
    }
    return rows;
  }

  /** Dead letters of {@code stage}, counted by reason. */
  public Map<String, Long> deadLettersByReason(String stage) throws SQLException {
    Map<String, Long> counts = new TreeMap<>();
    for (String reason :
        query(
            "dead_letters",
            "SELECT reason FROM dead_letters WHERE stage = '" + stage.replace("'", "''") + "'",
            rs -> rs.getString(1))) {
      counts.merge(reason, 1L, Long::sum);
    }
    return counts;
  }

  /** Rows of {@code late_records}. */
  public long lateRecords() throws SQLException {
    return query("late_records", "SELECT count(*) FROM late_records", rs -> rs.getLong(1)).stream()
        .findFirst()
        .orElse(0L);
  }

  private interface RowReader<T> {
    T read(ResultSet rs) throws SQLException;
  }

  private <T> List<T> query(String table, String sql, RowReader<T> reader) throws SQLException {
    List<T> rows = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(jdbcUrl, user, "");
        Statement s = c.createStatement()) {
      try (ResultSet exists = s.executeQuery("SELECT to_regclass('public." + table + "')")) {
        exists.next();
        if (exists.getString(1) == null) {
          return rows;
        }
      }
      try (ResultSet rs = s.executeQuery(sql)) {
        while (rs.next()) {
          rows.add(reader.read(rs));
        }
      }
    }
    return rows;
  }

  private static Instant instant(ResultSet rs, int column) throws SQLException {
    return rs.getObject(column, OffsetDateTime.class).toInstant();
  }
}
