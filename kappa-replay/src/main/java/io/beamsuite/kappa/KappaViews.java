package io.beamsuite.kappa;

import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.io.jdbc.ServingViews;
import io.beamsuite.pipelines.views.PageViewsPerMinute;
import io.beamsuite.pipelines.views.RevenueAndPageViews;
import io.beamsuite.pipelines.views.RevenuePerMerchantHour;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names and definitions of the Kappa side of the serving layer: version {@code N} of a view is
 * table {@code <view>_v<N>}, readers query view {@code <view>_kappa}, and {@link #cutover} points
 * the serving views at a version with {@link ServingViews#publish} (one transaction for both).
 *
 * <pre>{@code
 * KappaViews kappa = KappaViews.on(db);
 * kappa.cutover(3);                 // <view>_kappa now read <view>_v3
 * kappa.served("revenue_per_merchant_hour");   // Optional[3]
 * }</pre>
 */
public final class KappaViews {
  /** Suffix of the serving views. */
  public static final String SERVING_SUFFIX = "_kappa";

  /** The columns each view serves, in order. */
  private static final Map<String, String> COLUMNS =
      Map.of(
          RevenuePerMerchantHour.TABLE, "merchant_id, window_start, window_end, revenue_cents",
          PageViewsPerMinute.TABLE, "page, window_start, window_end, views");

  private final ServingViews serving;
  private final JdbcConnectionSpec db;

  private KappaViews(JdbcConnectionSpec db) {
    this.db = db;
    this.serving = ServingViews.on(db);
  }

  public static KappaViews on(JdbcConnectionSpec db) {
    return new KappaViews(db);
  }

  /** The views a replay computes, by base name. */
  public static List<String> views() {
    return RevenueAndPageViews.VIEWS;
  }

  /** Table of version {@code version} of {@code view}. */
  public static String table(String view, int version) {
    requireVersion(version);
    return view + "_v" + version;
  }

  /** The serving view readers query. */
  public static String servingView(String view) {
    return view + SERVING_SUFFIX;
  }

  /** The serving view's definition for {@code version}. */
  public static String select(String view, int version) {
    String columns = COLUMNS.get(view);
    if (columns == null) {
      throw new IllegalArgumentException("not a Kappa view: " + view);
    }
    return "SELECT " + columns + " FROM " + table(view, version);
  }

  /** The version {@code view}'s serving view reads, if it was ever cut over. */
  public Optional<Long> served(String view) throws SQLException {
    return serving.current(servingView(view)).map(ServingViews.Published::version);
  }

  /** Whether any view serves {@code version}. */
  public boolean isServed(int version) throws SQLException {
    for (String view : views()) {
      if (served(view).orElse(-1L) == version) {
        return true;
      }
    }
    return false;
  }

  /** Versions of {@code view} that have a table, ascending. */
  public List<Integer> versionsPresent(String view) throws SQLException {
    Pattern name = Pattern.compile(Pattern.quote(view) + "_v([0-9]+)");
    TreeSet<Integer> versions = new TreeSet<>();
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement q =
            c.prepareStatement(
                "SELECT table_name FROM information_schema.tables"
                    + " WHERE table_schema = current_schema() AND table_name LIKE ?")) {
      q.setString(1, view.replace("_", "\\_") + "\\_v%");
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          Matcher m = name.matcher(rs.getString(1));
          if (m.matches()) {
            versions.add(Integer.parseInt(m.group(1)));
          }
        }
      }
    }
    return new ArrayList<>(versions);
  }

  /**
   * Points every serving view at {@code version} in one transaction ({@link
   * ServingViews#publish(Map, long, java.time.Instant)}): readers see both views on the old version
   * or both on the new one, never a mix or nothing. Refuses when a version table is missing, or a
   * view already serves a higher version. Returns the published definitions.
   */
  public List<ServingViews.Published> cutover(int version) throws SQLException {
    for (String view : views()) {
      if (!serving.tableExists(table(view, version))) {
        throw new IllegalArgumentException(
            "version " + version + " has no table " + table(view, version) + "; replay it first");
      }
    }
    Map<String, String> selects = new java.util.TreeMap<>();
    for (String view : views()) {
      selects.put(servingView(view), select(view, version));
    }
    // ServingViews retries the switch if PostgreSQL aborts it to break a deadlock with a reader.
    return serving.publish(selects, version, null);
  }

  /** Drops version {@code version}'s tables; refused while a serving view reads them. */
  public void drop(int version) throws SQLException {
    if (isServed(version)) {
      throw new IllegalArgumentException(
          "version " + version + " is being served; cut over to another version first");
    }
    for (String view : views()) {
      serving.dropTable(servingView(view), table(view, version));
    }
  }

  private static void requireVersion(int version) {
    if (version < 1) {
      throw new IllegalArgumentException("--version: must be >= 1, got " + version);
    }
  }
}
