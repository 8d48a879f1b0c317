package io.beamsuite.pipelines.sensors;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.beamsuite.fixtures.oracle.ResultTables;
import io.beamsuite.fixtures.oracle.SensorAnomalyRow;
import io.beamsuite.fixtures.services.EmbeddedPostgres;
import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.pipelines.testing.CommittedCounters;
import io.beamsuite.transforms.dedup.Dedup;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@link SensorsPipeline}, bounded, on the DirectRunner, from a JSON-lines file into a real
 * PostgreSQL; the expected rows are computed by hand from docs/pipelines.md.
 */
@RunWith(JUnit4.class)
public class SensorsPipelineTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static EmbeddedPostgres pg;

  @BeforeClass
  public static void startPostgres() {
    pg = new EmbeddedPostgres().start();
  }

  @AfterClass
  public static void stopPostgres() {
    JdbcConnectionSpec.closeAllPools();
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  public void scoresWindowsAgainstTheirPredecessorsIntoSensorAnomalies() throws Exception {
    Path input = TMP.newFolder("readings").toPath().resolve("readings.jsonl");
    Files.write(
        input,
        List.of(
            // s1/temp: 10, 12 in minute 0, 11 at 10:02, a spike of 50 at 10:05:10.
            reading("r1-1", "s1", "temp", "10.0", "2026-11-23T10:00:00Z"),
            reading("r1-2", "s1", "temp", "12.0", "2026-11-23T10:00:30Z"),
            reading("r1-3", "s1", "temp", "11.0", "2026-11-23T10:02:00Z"),
            reading("r1-4", "s1", "temp", "50.0", "2026-11-23T10:05:10Z"),
            // An exact copy: dropped by dedup (else windows 10:01..10:05 would hold 3 readings).
            reading("r1-4", "s1", "temp", "50.0", "2026-11-23T10:05:10Z"),
            // s2/humidity: flat 40, 40, then 46.
            reading("r2-1", "s2", "humidity", "40.0", "2026-11-23T10:00:00Z"),
            reading("r2-2", "s2", "humidity", "40.0", "2026-11-23T10:01:00Z"),
            reading("r2-3", "s2", "humidity", "46.0", "2026-11-23T10:05:00Z"),
            // Dead letters.
            "this is not json",
            "{\"event_id\":\"bad-2\",\"sensor_id\":\"s1\",\"metric\":\"temp\",\"value\":\"hot\","
                + "\"event_time\":\"2026-11-23T10:00:40Z\"}",
            "{\"event_id\":\"bad-3\",\"sensor_id\":\"s1\",\"value\":1.0,"
                + "\"event_time\":\"2026-11-23T10:00:40Z\"}",
            "{\"event_id\":\"bad-4\",\"sensor_id\":\" \",\"metric\":\"temp\",\"value\":1.0,"
                + "\"event_time\":\"2026-11-23T10:00:40Z\"}"),
        StandardCharsets.UTF_8);

    SensorsOptions options =
        PipelineOptionsFactory.fromArgs(
                "--runner=DirectRunner",
                "--source=file:" + input,
                "--jdbcUrl=" + pg.jdbcUrl(),
                "--jdbcUser=" + pg.user())
            .as(SensorsOptions.class);
    Pipeline p = Pipeline.create(options);
    SensorsPipeline.build(p, options);
    PipelineResult result = p.run();
    result.waitUntilFinish();

    // Sliding windows of 5 min every 1 min; window [m, m+5) holds the readings of minutes m..m+4.
    //
    // s1/temp (readings 10 @10:00:00, 12 @10:00:30, 11 @10:02:00, 50 @10:05:10):
    //   09:56, 09:57: {10, 12}      n 2, mean 11, m2 1+1 = 2, stddev sqrt(2/2) = 1
    //   09:58..10:00: {10, 12, 11}  n 3, mean 11, m2 2, stddev sqrt(2/3) = 0.816496580927726
    //   10:01, 10:02: {11, 50}      n 2, mean 30.5, m2 2 * 19.5^2 = 760.5, stddev 19.5
    //   10:03..10:05: {50}          n 1, mean 50, stddev 0
    // Scored (predecessor n >= 2 and stddev > 0):
    //   09:56: no predecessor window (09:55 holds nothing)    -> no row
    //   09:57 vs 09:56: (11 - 11) / 1 = 0
    //   09:58 vs 09:57: (11 - 11) / 1 = 0
    //   09:59 vs 09:58: (11 - 11) / sqrt(2/3) = 0
    //   10:00 vs 09:59: 0
    //   10:01 vs 10:00: (30.5 - 11) / sqrt(2/3) = 19.5 * sqrt(1.5) = 23.882524992135988 > 3
    //   10:02 vs 10:01: (30.5 - 30.5) / 19.5 = 0
    //   10:03 vs 10:02: (50 - 30.5) / 19.5 = 1
    //   10:04, 10:05: predecessor has 1 reading              -> no row
    //
    // s2/humidity (40 @10:00:00, 40 @10:01:00, 46 @10:05:00):
    //   09:56: {40} n 1;  09:57..10:00: {40, 40} n 2, stddev 0
    //   10:01: {40, 46}   n 2, mean 43, m2 9 + 9 = 18, stddev sqrt(18/2) = 3
    //   10:02..10:05: {46} n 1
    // Scored: 09:57 (predecessor n 1), 09:58..10:01 (predecessor stddev 0: 10:01 jumps to 43
    //   but is not scored), 10:03..10:05 (predecessor n 1) -> no rows;
    //   10:02 vs 10:01: (46 - 43) / 3 = 1.
    double sd23 = Math.sqrt(2.0 / 3.0);
    List<Row> expected =
        List.of(
            new Row("s1", "temp", "09:57", 2, 11, 11, 1, 0, false),
            new Row("s1", "temp", "09:58", 3, 11, 11, 1, 0, false),
            new Row("s1", "temp", "09:59", 3, 11, 11, sd23, 0, false),
            new Row("s1", "temp", "10:00", 3, 11, 11, sd23, 0, false),
            new Row("s1", "temp", "10:01", 2, 30.5, 11, sd23, 23.882524992135988, true),
            new Row("s1", "temp", "10:02", 2, 30.5, 30.5, 19.5, 0, false),
            new Row("s1", "temp", "10:03", 1, 50, 30.5, 19.5, 1, false),
            new Row("s2", "humidity", "10:02", 1, 46, 43, 3, 1, false));
    List<Row> actual = readAnomalies();
    assertEquals(rowsToString(expected), rowsToString(actual));
    for (int i = 0; i < expected.size(); i++) {
      expected.get(i).assertClose(actual.get(i));
    }

    assertEquals(
        List.of(
            "parse-sensor-readings|invalid_value",
            "parse-sensor-readings|malformed_json",
            "parse-sensor-readings|missing_required_field",
            "parse-sensor-readings|wrong_type"),
        strings("SELECT stage || '|' || reason FROM dead_letters ORDER BY reason"));
    // Bounded: nothing is late (the late-record sink only creates its table when it gets a row).
    if (!strings("SELECT to_regclass('public.late_records')::text").contains(null)) {
      assertEquals(List.of("0"), strings("SELECT count(*)::text FROM late_records"));
    }
    assertEquals(1, CommittedCounters.of(result, Dedup.class, "duplicates_dropped"));
    // Bounded: one pane per window, so each scored row is emitted exactly once.
    assertEquals(8, CommittedCounters.of(result, ScoreAgainstPreviousWindow.class, "rows_out"));
    assertEquals(
        1, CommittedCounters.of(result, ScoreAgainstPreviousWindow.class, "anomaly_rows_out"));
  }

  private static String reading(
      String id, String sensor, String metric, String value, String eventTime) {
    return "{\"event_id\":\""
        + id
        + "\",\"sensor_id\":\""
        + sensor
        + "\",\"metric\":\""
        + metric
        + "\",\"value\":"
        + value
        + ",\"event_time\":\""
        + eventTime
        + "\",\"unit\":\"x\"}";
  }

  /** One row of sensor_anomalies; window start as HH:mm on 2026-11-23 (UTC), end 5 min later. */
  private static final class Row {
    final String sensorId;
    final String metric;
    final Instant windowStart;
    final Instant windowEnd;
    final long readings;
    final double mean;
    final double prevMean;
    final double prevStddev;
    final double zScore;
    final boolean anomaly;

    Row(
        String sensorId,
        String metric,
        String startHhMm,
        long readings,
        double mean,
        double prevMean,
        double prevStddev,
        double zScore,
        boolean anomaly) {
      this(
          sensorId,
          metric,
          Instant.parse("2026-11-23T" + startHhMm + ":00Z"),
          Instant.parse("2026-11-23T" + startHhMm + ":00Z").plusSeconds(300),
          readings,
          mean,
          prevMean,
          prevStddev,
          zScore,
          anomaly);
    }

    Row(
        String sensorId,
        String metric,
        Instant windowStart,
        Instant windowEnd,
        long readings,
        double mean,
        double prevMean,
        double prevStddev,
        double zScore,
        boolean anomaly) {
      this.sensorId = sensorId;
      this.metric = metric;
      this.windowStart = windowStart;
      this.windowEnd = windowEnd;
      this.readings = readings;
      this.mean = mean;
      this.prevMean = prevMean;
      this.prevStddev = prevStddev;
      this.zScore = zScore;
      this.anomaly = anomaly;
    }

    /** The exact columns; doubles are compared by {@link #assertClose}. */
    String identity() {
      return sensorId
          + "|"
          + metric
          + "|"
          + windowStart
          + "|"
          + windowEnd
          + "|"
          + readings
          + "|"
          + anomaly;
    }

    void assertClose(Row actual) {
      assertClose("mean", mean, actual.mean);
      assertClose("prev_mean", prevMean, actual.prevMean);
      assertClose("prev_stddev", prevStddev, actual.prevStddev);
      assertClose("z_score", zScore, actual.zScore);
    }

    /** Relative tolerance 1e-9 (docs/pipelines.md); an expected 0 allows |actual| <= 1e-9. */
    private void assertClose(String column, double expected, double actual) {
      double scale = expected == 0 ? 1.0 : Math.abs(expected);
      assertTrue(
          identity() + " " + column + ": expected " + expected + ", got " + actual,
          Math.abs(expected - actual) <= 1e-9 * scale);
    }
  }

  private static String rowsToString(List<Row> rows) {
    StringBuilder s = new StringBuilder();
    for (Row r : rows) {
      s.append(r.identity()).append('\n');
    }
    return s.toString();
  }

  private static List<Row> readAnomalies() throws SQLException {
    List<Row> rows = new ArrayList<>();
    for (SensorAnomalyRow r : new ResultTables(pg.jdbcUrl(), pg.user()).sensorAnomalies()) {
      rows.add(
          new Row(
              r.sensorId(),
              r.metric(),
              r.windowStart(),
              r.windowEnd(),
              r.readings(),
              r.mean(),
              r.prevMean(),
              r.prevStddev(),
              r.zScore(),
              r.anomaly()));
    }
    return rows;
  }

  private static List<String> strings(String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = pg.connection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }
}
