package io.beamsuite.kappa;

import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.io.jdbc.ServingViews;
import io.beamsuite.pipelines.views.PageViewsPerMinute;
import io.beamsuite.pipelines.views.RevenueAndPageViews;
import io.beamsuite.pipelines.views.RevenuePerMerchantHour;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * A version's tables made ready for a replay from scratch: a replay rewrites its version whole, so
 * no row (or late record) of an earlier attempt may survive into the new one.
 */
final class ReplayVersionTables {
  private ReplayVersionTables() {}

  /** Empties version {@code version}'s tables and late records, and creates missing tables. */
  static void rewrite(JdbcConnectionSpec db, int version) throws SQLException {
    ServingViews serving = ServingViews.on(db);
    String revenue = KappaViews.table(RevenuePerMerchantHour.TABLE, version);
    String pageViews = KappaViews.table(PageViewsPerMinute.TABLE, version);
    serving.truncateIfExists(revenue);
    serving.truncateIfExists(pageViews);
    if (serving.tableExists("late_records")) {
      try (Connection c = db.dataSource().getConnection();
          PreparedStatement delete =
              c.prepareStatement("DELETE FROM late_records WHERE view = ? OR view = ?")) {
        delete.setString(1, revenue);
        delete.setString(2, pageViews);
        delete.executeUpdate();
      }
    }
    // So that status lists the version at once and a cut-over never meets a missing table.
    RevenueAndPageViews.createTables(db, view -> KappaViews.table(view, version));
  }
}
