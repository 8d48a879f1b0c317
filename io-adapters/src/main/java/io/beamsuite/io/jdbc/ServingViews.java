package io.beamsuite.io.jdbc;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The serving side of the Lambda and Kappa architectures (docs/lambda.md, docs/kappa.md): a
 * PostgreSQL view that readers query, pointed at versioned result tables, plus a registry table
 * {@value #REGISTRY} recording which version (and, for Lambda, which cutoff) each view serves.
 *
 * <p>{@link #publish} redefines the view and updates the registry in <b>one transaction</b>, under
 * a transaction-scoped advisory lock per view: a reader sees the old definition or the new one,
 * never a mix and never an empty view ({@code CREATE OR REPLACE VIEW} takes an exclusive lock on
 * the view, so a query that started before the switch finishes on the old definition and the next
 * one runs on the new). A reader that reads several of the views in one transaction can meet a
 * switch in a deadlock; PostgreSQL then aborts one side, and if it is the switch, it is retried (3
 * attempts). The tables a view used stay until {@link #dropTable} is called on request.
 *
 * <pre>{@code
 * ServingViews serving = ServingViews.on(JdbcConnectionSpec.of(url, "postgres"));
 * serving.publish("revenue_per_merchant_hour_kappa", 3, null,
 *     "SELECT merchant_id, window_start, window_end, revenue_cents FROM revenue_per_merchant_hour_v3");
 * long served = serving.current("revenue_per_merchant_hour_kappa").orElseThrow().version();
 * }</pre>
 */
public final class ServingViews {
  /** The registry table: one row per serving view. */
  public static final String REGISTRY = "serving_views";

  private static final String CREATE_REGISTRY =
      "CREATE TABLE IF NOT EXISTS "
          + REGISTRY
          + " (view_name text PRIMARY KEY, version bigint NOT NULL, cutoff timestamptz,"
          + " definition text NOT NULL, published_at timestamptz NOT NULL)";

  /**
   * What a view serves.
   *
   * @param version the published version
   * @param cutoff the event-time cutoff (Lambda: batch covers before it, speed from it), or null
   * @param definition the view's {@code SELECT}
   * @param publishedAt when it was published
   */
  public record Published(
      String view,
      long version,
      @Nullable Instant cutoff,
      String definition,
      Instant publishedAt) {}

  private static final String DEADLOCK_DETECTED = "40P01";
  private static final int MAX_ATTEMPTS = 3;

  private final JdbcConnectionSpec db;

  private ServingViews(JdbcConnectionSpec db) {
    this.db = db;
  }

  public static ServingViews on(JdbcConnectionSpec db) {
    return new ServingViews(checkArgumentNotNull(db, "db"));
  }

  /**
   * In one transaction: {@code CREATE OR REPLACE VIEW view AS select} and record {@code version}
   * and {@code cutoff} for it. {@code select} is SQL text built by the caller from validated
   * identifiers ({@link SqlIdentifiers}) and literals it formatted itself, never from raw input.
   * Refuses to go back to a lower version than the one served.
   */
  public Published publish(String view, long version, @Nullable Instant cutoff, String select)
      throws SQLException {
    return publish(Map.of(view, select), version, cutoff).get(0);
  }

  /**
   * {@link #publish(String, long, Instant, String)} for several views (view name to its {@code
   * SELECT}) in one transaction: readers see all of them switched or none.
   */
  public List<Published> publish(
      Map<String, String> selects, long version, @Nullable Instant cutoff) throws SQLException {
    // Redefining the views takes an exclusive lock on each in turn; a reader holding one of them
    // (e.g. reading both in one transaction) while waiting for the other is a deadlock, and
    // PostgreSQL aborts one side. If that is this transaction, it rolled back whole: try again.
    for (int attempt = 1; ; attempt++) {
      try {
        return publishOnce(selects, version, cutoff);
      } catch (SQLException e) {
        if (!DEADLOCK_DETECTED.equals(e.getSQLState()) || attempt == MAX_ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  private List<Published> publishOnce(
      Map<String, String> selects, long version, @Nullable Instant cutoff) throws SQLException {
    if (selects.isEmpty()) {
      throw new IllegalArgumentException("no views to publish");
    }
    if (version < 1) {
      throw new IllegalArgumentException("version must be >= 1, got " + version);
    }
    List<String> views = new ArrayList<>(new TreeSet<>(selects.keySet()));
    for (String view : views) {
      SqlIdentifiers.name(view);
      checkArgumentNotNull(selects.get(view), "select of " + view);
    }
    ensureRegistry();
    try (Connection c = db.dataSource().getConnection()) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        List<Published> published = new ArrayList<>();
        Instant now = Instant.now();
        // Views in name order, so two publishers of overlapping sets cannot deadlock on the locks.
        for (String view : views) {
          s.execute("SELECT pg_advisory_xact_lock(" + lockId(view) + ")");
          Optional<Published> served = read(c, view);
          if (served.isPresent() && served.get().version() > version) {
            throw new IllegalArgumentException(
                view
                    + " serves version "
                    + served.get().version()
                    + "; refusing to go back to "
                    + version);
          }
          String select = selects.get(view);
          s.execute("CREATE OR REPLACE VIEW " + SqlIdentifiers.quote(view) + " AS " + select);
          try (PreparedStatement upsert =
              c.prepareStatement(
                  "INSERT INTO "
                      + REGISTRY
                      + " (view_name, version, cutoff, definition, published_at) VALUES (?, ?, ?, ?, ?)"
                      + " ON CONFLICT (view_name) DO UPDATE SET version = EXCLUDED.version,"
                      + " cutoff = EXCLUDED.cutoff, definition = EXCLUDED.definition,"
                      + " published_at = EXCLUDED.published_at")) {
            upsert.setString(1, view);
            upsert.setLong(2, version);
            upsert.setTimestamp(3, cutoff == null ? null : Timestamp.from(cutoff));
            upsert.setString(4, select);
            upsert.setTimestamp(5, Timestamp.from(now));
            upsert.executeUpdate();
          }
          published.add(new Published(view, version, cutoff, select, now));
        }
        c.commit();
        return published;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /** What {@code view} serves now, if it was ever published. */
  public Optional<Published> current(String view) throws SQLException {
    SqlIdentifiers.name(view);
    ensureRegistry();
    try (Connection c = db.dataSource().getConnection()) {
      return read(c, view);
    }
  }

  /** Whether {@code table} exists (in the search path). */
  public boolean tableExists(String table) throws SQLException {
    SqlIdentifiers.qualifiedName(table);
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement q = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      q.setString(1, table);
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /** Empties {@code table} if it exists (a version about to be rewritten that nobody serves). */
  public void truncateIfExists(String table) throws SQLException {
    if (tableExists(table)) {
      try (Connection c = db.dataSource().getConnection();
          Statement s = c.createStatement()) {
        s.execute("TRUNCATE " + SqlIdentifiers.quoteQualified(table));
      }
    }
  }

  /**
   * Drops {@code table}; refuses while the definition {@code view} serves reads it (drop an old
   * version only after the view moved on).
   */
  public void dropTable(String view, String table) throws SQLException {
    SqlIdentifiers.qualifiedName(table);
    Optional<Published> served = current(view);
    if (served.isPresent() && served.get().definition().matches("(?s).*\\b" + table + "\\b.*")) {
      throw new IllegalArgumentException(view + " still serves " + table + "; cut over first");
    }
    try (Connection c = db.dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + SqlIdentifiers.quoteQualified(table));
    }
  }

  private void ensureRegistry() throws SQLException {
    JdbcWrites.ensureCreated(db.dataSource(), db.jdbcUrl() + "|" + REGISTRY, CREATE_REGISTRY);
  }

  private static Optional<Published> read(Connection c, String view) throws SQLException {
    try (PreparedStatement q =
        c.prepareStatement(
            "SELECT version, cutoff, definition, published_at FROM "
                + REGISTRY
                + " WHERE view_name = ?")) {
      q.setString(1, view);
      try (ResultSet rs = q.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        Timestamp cutoff = rs.getTimestamp(2);
        return Optional.of(
            new Published(
                view,
                rs.getLong(1),
                cutoff == null ? null : cutoff.toInstant(),
                rs.getString(3),
                rs.getTimestamp(4).toInstant()));
      }
    }
  }

  private static long lockId(String view) {
    return ("serving-view|" + view).hashCode();
  }
}
