package io.beamsuite.io.jdbc;

import io.beamsuite.fixtures.services.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.TestPipeline;

/** Test helpers: run SQL, read rows as "a|b|c" strings, make pipelines. */
final class Db {
  private Db() {}

  static void execute(EmbeddedPostgres pg, String... sql) throws SQLException {
    try (Connection c = pg.connection();
        Statement s = c.createStatement()) {
      for (String statement : sql) {
        s.execute(statement);
      }
    }
  }

  /** Every row of {@code sql} as its columns joined by '|' (NULL as "null"). */
  static List<String> rows(EmbeddedPostgres pg, String sql) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection c = pg.connection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      ResultSetMetaData meta = rs.getMetaData();
      while (rs.next()) {
        StringBuilder row = new StringBuilder();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          if (i > 1) {
            row.append('|');
          }
          row.append(rs.getString(i));
        }
        rows.add(row.toString());
      }
    }
    return rows;
  }

  static boolean tableExists(EmbeddedPostgres pg, String table) throws SQLException {
    return !rows(
            pg,
            "SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = '" + table + "'")
        .isEmpty();
  }

  /**
   * Counter {@code name} of {@code namespace}, read after the DirectRunner has committed the last
   * bundles' metrics (they can land just after waitUntilFinish returns).
   */
  static long counter(PipelineResult result, Class<?> namespace, String name)
      throws InterruptedException {
    long previous = -1;
    for (int i = 0; i < 25; i++) {
      long total = 0;
      for (MetricResult<Long> c :
          result
              .metrics()
              .queryMetrics(
                  MetricsFilter.builder()
                      .addNameFilter(MetricNameFilter.named(namespace, name))
                      .build())
              .getCounters()) {
        total += c.getCommitted();
      }
      if (total == previous) {
        return total;
      }
      previous = total;
      Thread.sleep(200);
    }
    return previous;
  }

  static Pipeline pipeline() {
    return Pipeline.create(TestPipeline.testingPipelineOptions());
  }
}
