package io.beamsuite.lambda;

import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.io.jdbc.ServingViews;
import io.beamsuite.io.jdbc.SqlIdentifiers;
import io.beamsuite.pipelines.options.OptionsValidation;
import io.beamsuite.pipelines.views.RevenueAndPageViews;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.joda.time.Instant;

/**
 * The serving layer: for each view {@code v} of {@link RevenueAndPageViews}, the PostgreSQL view
 * {@code v_lambda} = the rows of the served batch version {@code v_batch_v<N>} with {@code
 * window_start < cutoff}, plus the rows of the speed table {@code v_speed} with {@code window_start
 * >= cutoff}. The cutoff is on a window boundary, so every window comes from exactly one layer: no
 * gap, no double count. Publishing a new batch version and cutoff redefines every serving view in
 * one transaction ({@link ServingViews}), so the speed rows the new batch covers stop counting at
 * the same instant the batch rows replacing them start.
 *
 * <pre>{@code
 * ServingLayer.publish(db, 4, Instant.parse("2024-01-01T05:00:00Z"));
 * // SELECT * FROM revenue_per_merchant_hour_lambda ORDER BY merchant_id, window_start
 * }</pre>
 */
public final class ServingLayer {
  /** Suffix of the serving views. */
  public static final String SERVING_SUFFIX = "_lambda";

  private ServingLayer() {}

  /** The serving view of {@code view}. */
  public static String servingView(String view) {
    return view + SERVING_SUFFIX;
  }

  /** The table of batch version {@code version} of {@code view}. */
  public static String batchTable(String view, long version) {
    return view + "_batch_v" + version;
  }

  /** The speed layer's table of {@code view}. */
  public static String speedTable(String view) {
    return view + "_speed";
  }

  /** The batch version and cutoff the serving views publish, if a batch was ever published. */
  public static Optional<ServingViews.Published> served(JdbcConnectionSpec db) throws SQLException {
    return ServingViews.on(db).current(servingView(RevenueAndPageViews.VIEWS.get(0)));
  }

  /**
   * Points every serving view at batch version {@code version} below {@code cutoff} and the speed
   * tables from it on, in one transaction (creating the speed tables if the speed layer has not yet
   * written a row).
   */
  public static List<ServingViews.Published> publish(
      JdbcConnectionSpec db, long version, Instant cutoff) throws SQLException {
    RevenueAndPageViews.createTables(db, ServingLayer::speedTable);
    RevenueAndPageViews.createTables(db, view -> batchTable(view, version));
    String literal = "TIMESTAMPTZ '" + java.time.Instant.ofEpochMilli(cutoff.getMillis()) + "'";
    Map<String, String> selects = new LinkedHashMap<>();
    for (String view : RevenueAndPageViews.VIEWS) {
      selects.put(
          servingView(view),
          "SELECT * FROM "
              + SqlIdentifiers.quote(batchTable(view, version))
              + " WHERE window_start < "
              + literal
              + " UNION ALL SELECT * FROM "
              + SqlIdentifiers.quote(speedTable(view))
              + " WHERE window_start >= "
              + literal);
    }
    return ServingViews.on(db)
        .publish(selects, version, java.time.Instant.ofEpochMilli(cutoff.getMillis()));
  }

  /**
   * {@code lambda-serve}: prints what each serving view serves (and some rows with --printRows).
   */
  static int describe(LambdaOptions options, PrintStream out) throws SQLException {
    OptionsValidation.validate(options);
    if (options.getPrintRows() < 0) {
      throw new IllegalArgumentException("--printRows must be >= 0, got " + options.getPrintRows());
    }
    JdbcConnectionSpec db = OptionsValidation.database(options);
    ServingViews serving = ServingViews.on(db);
    boolean any = false;
    for (String view : RevenueAndPageViews.VIEWS) {
      String name = servingView(view);
      Optional<ServingViews.Published> published = serving.current(name);
      if (published.isEmpty()) {
        out.printf("%s: not published yet (run lambda-batch first)%n", name);
        continue;
      }
      any = true;
      ServingViews.Published p = published.get();
      out.printf(
          "%s: batch version %d below cutoff %s, speed layer from it (published %s)%n",
          name, p.version(), p.cutoff(), p.publishedAt());
      try (Connection c = db.dataSource().getConnection();
          Statement s = c.createStatement()) {
        try (PreparedStatement counts =
            c.prepareStatement(
                "SELECT count(*) FILTER (WHERE window_start < ?), count(*) FILTER (WHERE"
                    + " window_start >= ?) FROM "
                    + SqlIdentifiers.quote(name))) {
          Timestamp cutoff = p.cutoff() == null ? null : Timestamp.from(p.cutoff());
          counts.setTimestamp(1, cutoff);
          counts.setTimestamp(2, cutoff);
          try (ResultSet rs = counts.executeQuery()) {
            rs.next();
            out.printf(
                "  rows: %d from batch, %d from speed, %d in all%n",
                rs.getLong(1), rs.getLong(2), rs.getLong(1) + rs.getLong(2));
          }
        }
        if (options.getPrintRows() > 0) {
          printRows(s, name, options.getPrintRows(), out);
        }
      }
    }
    return any ? 0 : 1;
  }

  private static void printRows(Statement s, String view, int limit, PrintStream out)
      throws SQLException {
    try (ResultSet rs =
        s.executeQuery(
            "SELECT * FROM " + SqlIdentifiers.quote(view) + " ORDER BY 1, 2 LIMIT " + limit)) {
      ResultSetMetaData meta = rs.getMetaData();
      StringBuilder header = new StringBuilder("  ");
      for (int i = 1; i <= meta.getColumnCount(); i++) {
        header.append(i > 1 ? " | " : "").append(meta.getColumnName(i));
      }
      out.println(header);
      while (rs.next()) {
        StringBuilder row = new StringBuilder("  ");
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          row.append(i > 1 ? " | " : "").append(rs.getString(i));
        }
        out.println(row);
      }
    }
  }
}
