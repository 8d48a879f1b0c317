package io.beamsuite.io.jdbc;

import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.checkerframework.checker.nullness.qual.Nullable;

/** Shared JDBC helpers: error classification, value binding, one-time DDL. */
final class JdbcWrites {
  private static final Set<String> CREATED = ConcurrentHashMap.newKeySet();

  private JdbcWrites() {}

  /** How a failed statement should be handled. */
  enum ErrorKind {
    /**
     * Retry the same work after a backoff: serialization failure, deadlock, connection loss
     * (including a session ended by the server).
     */
    TRANSIENT,
    /** Integrity constraint violation (SQLSTATE class 23): the row itself is refused. */
    CONSTRAINT,
    /** Data exception (SQLSTATE class 22): the row's values are refused. */
    DATA,
    /** Anything else (missing table, syntax, permissions): a configuration error. */
    FATAL
  }

  /** The SQLSTATE of the first exception in the chain that has one. */
  static @Nullable String sqlState(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof SQLException) {
        for (SQLException s = (SQLException) t; s != null; s = s.getNextException()) {
          String state = s.getSQLState();
          if (state != null && !state.isEmpty()) {
            return state;
          }
        }
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }

  static ErrorKind classify(SQLException error) {
    String state = sqlState(error);
    if (state == null) {
      // pgjdbc reports a broken connection without a state in some paths.
      return error instanceof BatchUpdateException ? ErrorKind.FATAL : ErrorKind.TRANSIENT;
    }
    if (state.equals("40001") || state.equals("40P01") || state.startsWith("08")) {
      return ErrorKind.TRANSIENT;
    }
    // Class 57P: the server ended the session (pg_terminate_backend: 57P01, a crash: 57P02) or is
    // still starting after a restart (57P03). The statement was not committed and a new pooled
    // connection can succeed, so these are connection losses too (found by the fault tests of
    // docs/reliability.md; as FATAL, a terminated backend failed the bundle instead of a retry).
    if (state.equals("57P01") || state.equals("57P02") || state.equals("57P03")) {
      return ErrorKind.TRANSIENT;
    }
    if (state.startsWith("23")) {
      return ErrorKind.CONSTRAINT;
    }
    if (state.startsWith("22")) {
      return ErrorKind.DATA;
    }
    return ErrorKind.FATAL;
  }

  /** Binds one value; java.time and Joda instants become {@code timestamptz} values. */
  static void bind(PreparedStatement statement, int index, @Nullable Object value)
      throws SQLException {
    if (value == null) {
      statement.setObject(index, null);
    } else if (value instanceof byte[]) {
      statement.setBytes(index, (byte[]) value);
    } else if (value instanceof java.time.Instant) {
      statement.setObject(
          index, OffsetDateTime.ofInstant((java.time.Instant) value, ZoneOffset.UTC));
    } else if (value instanceof org.joda.time.ReadableInstant) {
      statement.setObject(
          index,
          OffsetDateTime.ofInstant(
              java.time.Instant.ofEpochMilli(((org.joda.time.ReadableInstant) value).getMillis()),
              ZoneOffset.UTC));
    } else {
      statement.setObject(index, value);
    }
  }

  /**
   * Runs {@code ddl} once per JVM and target. Concurrent {@code CREATE TABLE IF NOT EXISTS} from
   * several workers collide in PostgreSQL's catalog (23505, 42P07, or 42710 for the row type), so
   * the DDL runs under a transaction-scoped advisory lock per target; a collision with a writer
   * that does not take the lock still means the table exists, which is all we need.
   */
  static void ensureCreated(DataSource dataSource, String target, String ddl) throws SQLException {
    if (CREATED.contains(target)) {
      return;
    }
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement()) {
      boolean autoCommit = connection.getAutoCommit();
      connection.setAutoCommit(false);
      try {
        statement.execute("SELECT pg_advisory_xact_lock(" + target.hashCode() + ")");
        statement.execute(ddl);
        connection.commit();
      } catch (SQLException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      String state = sqlState(e);
      if (!"23505".equals(state) && !"42P07".equals(state) && !"42710".equals(state)) {
        throw e;
      }
    }
    CREATED.add(target);
  }

  /** Bounded exponential backoff: initial * 2^(attempt-1), capped at 5 s. */
  static void backoff(long initialMillis, int attempt) {
    long delay = Math.min(5_000L, initialMillis << Math.min(attempt - 1, 20));
    try {
      Thread.sleep(delay);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while backing off", e);
    }
  }
}
