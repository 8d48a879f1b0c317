package io.beamsuite.pipelines.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.beamsuite.fixtures.services.EmbeddedPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The command line of the runner artifacts, in process: help, usage errors (exit 2, a message
 * naming the problem, nothing run), a real bounded clickstream run into an embedded PostgreSQL with
 * its printed summary, and that a password given on the command line is never printed.
 */
public class LauncherTest {
  private static final String SECRET = "s3cr3t-value";

  /** Nothing listens here: a pipeline that did start would fail (exit 1), not exit 2. */
  private static final String DEAD_DB = "--jdbcUrl=jdbc:postgresql://127.0.0.1:1/none";

  private static EmbeddedPostgres pg;

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  @BeforeClass
  public static void startPostgres() {
    pg = new EmbeddedPostgres().start();
  }

  @AfterClass
  public static void stopPostgres() {
    if (pg != null) {
      pg.close();
    }
  }

  /**
   * Exit status and what the launcher printed (plus anything printed to System.out/err meanwhile).
   */
  private record Outcome(int status, String out, String err, String console) {
    String all() {
      return out + err + console;
    }
  }

  private static Outcome launch(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    PrintStream systemOut = System.out;
    PrintStream systemErr = System.err;
    int status;
    // Logs (slf4j-simple writes to System.err) are captured too, to check nothing leaks there.
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        PrintStream c = new PrintStream(console, true, StandardCharsets.UTF_8)) {
      System.setOut(c);
      System.setErr(c);
      try {
        status = Launcher.run(args, o, e);
      } finally {
        System.setOut(systemOut);
        System.setErr(systemErr);
      }
    }
    return new Outcome(
        status,
        out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8),
        console.toString(StandardCharsets.UTF_8));
  }

  @Test
  public void helpListsEveryPipelineWithItsOptionsAndDefaults() {
    for (String help : List.of("--help", "-h", "help")) {
      Outcome o = launch(help);
      assertEquals(help, 0, o.status());
      assertEquals("", o.err());
      for (String name : List.of("clickstream", "fraud", "sensors", "cdc-replication")) {
        assertTrue(name + " missing:\n" + o.out(), o.out().contains("\n" + name + ": "));
        assertTrue(o.out().contains("  " + name + " "));
      }
      for (String option :
          List.of(
              // shared
              "--source=kafka (default)",
              "--bootstrapServers=127.0.0.1:9092 (default)",
              "--maxRecords=0 (default)",
              "--guarantee=at-least-once (default)",
              "--jdbcPassword=<value> (no default)",
              "--deadLetterTopic=\"\" (default)",
              "--progressSeconds=30 (default)",
              // clickstream
              "--clicksTopic=clicks (default)",
              "--sessionGapMinutes=30 (default)",
              // fraud
              "--transactionsTopic=transactions (default)",
              "--customersTopic=cdc.public.customers (default)",
              "--minCountries=3 (default)",
              "--velocityCount=5 (default)",
              "--countryWindowMinutes=10 (default)",
              // sensors
              "--readingsTopic=sensor-readings (default)",
              "--windowMinutes=5 (default)",
              "--periodMinutes=1 (default)",
              "--zThreshold=3.0 (default)",
              // cdc-replication
              "--changesTopic=cdc.public.customers (default)",
              "--replicaTable=customers_replica (default)",
              "--tombstoneRetentionHours=24 (default)")) {
        assertTrue(option + " missing:\n" + o.out(), o.out().contains("    " + option + "\n"));
      }
      assertTrue(o.out().contains("--runner=FlinkRunner"));
    }
  }

  @Test
  public void pipelineHelpShowsOnlyThatPipeline() {
    Outcome o = launch("fraud", "--help");
    assertEquals(0, o.status());
    assertEquals("", o.err());
    assertTrue(o.out(), o.out().startsWith("fraud: "));
    assertTrue(o.out().contains("    --minCountries=3 (default)\n"));
    assertTrue(o.out().contains("    --source=kafka (default)\n"));
    assertTrue(o.out().contains("    --progressSeconds=30 (default)\n"));
    for (String other :
        List.of(
            "clickstream",
            "sensors:",
            "cdc-replication",
            "--clicksTopic",
            "--zThreshold",
            "--changesTopic",
            "usage:")) {
      assertFalse(other + " in fraud's help:\n" + o.out(), o.out().contains(other));
    }

    Outcome sensors = launch("sensors", "--windowMinutes=10", "-h");
    assertEquals(0, sensors.status());
    assertTrue(sensors.out().startsWith("sensors: "));
    assertTrue(sensors.out().contains("    --zThreshold=3.0 (default)\n"));
    assertFalse(sensors.out().contains("--minCountries"));
  }

  @Test
  public void noArgumentsIsAUsageError() {
    Outcome o = launch();
    assertEquals(2, o.status());
    assertEquals("", o.out());
    assertTrue(o.err(), o.err().startsWith("usage: java -jar beamsuite-local.jar"));
    assertTrue(o.err().contains("cdc-replication"));
  }

  @Test
  public void unknownPipelineIsAUsageErrorNamingItAndTheKnownOnes() {
    Outcome o = launch("clikstream", "--source=file:/nowhere");
    assertEquals(2, o.status());
    assertEquals("", o.out());
    assertTrue(o.err(), o.err().contains("unknown command 'clikstream'"));
    assertTrue(o.err(), o.err().contains("clickstream, fraud, sensors, cdc-replication"));
  }

  @Test
  public void unknownOptionIsAUsageError() {
    Outcome o = launch("clickstream", DEAD_DB, "--nope=1");
    assertEquals(o.all(), 2, o.status());
    assertEquals("", o.out());
    assertTrue(o.err(), o.err().startsWith("error: "));
    assertTrue(o.err(), o.err().contains("'nope'"));
    assertTrue(o.err(), o.err().contains("clickstream --help"));
  }

  @Test
  public void badValuesAreUsageErrorsNamingTheOptionAndNothingRuns() {
    assertBadValue("--source", "clickstream", "--source=ftp:x");
    assertBadValue("--source", "clickstream", "--source=file:");
    assertBadValue("--guarantee", "clickstream", "--guarantee=maybe");
    assertBadValue("--maxRecords", "clickstream", "--maxRecords=-1");
    assertBadValue("--sessionGapMinutes", "clickstream", "--sessionGapMinutes=0");
    assertBadValue("--jdbcUrl", "clickstream", "--jdbcUrl=jdbc:mysql://127.0.0.1/x");
    assertBadValue("--minCountries", "fraud", "--minCountries=0");
    assertBadValue("--customersSource", "fraud", "--customersSource=cdc");
    assertBadValue("--periodMinutes", "sensors", "--windowMinutes=5", "--periodMinutes=2");
    assertBadValue("--zThreshold", "sensors", "--zThreshold=0");
    assertBadValue("--tombstoneRetentionHours", "cdc-replication", "--tombstoneRetentionHours=0");
    // Not a number at all: Beam's parser refuses it; the launcher names the option.
    assertBadValue("--maxRecords", "clickstream", "--maxRecords=lots");
    assertBadValue("--zThreshold", "sensors", "--zThreshold=high");
  }

  private static void assertBadValue(String option, String pipeline, String... values) {
    List<String> args = new ArrayList<>(List.of(pipeline, DEAD_DB));
    args.addAll(List.of(values));
    if (option.equals("--jdbcUrl")) {
      args.remove(DEAD_DB);
    }
    Outcome o = launch(args.toArray(new String[0]));
    assertEquals(String.join(" ", args) + ": " + o.all(), 2, o.status());
    // No run summary: the check happened while building, before anything ran.
    assertEquals("", o.out());
    assertTrue(args + ": " + o.err(), o.err().startsWith("error: "));
    assertTrue(args + ": " + o.err(), o.err().contains(option));
  }

  @Test
  public void passwordIsNeverPrintedOnUsageErrors() {
    for (String[] args :
        List.of(
            new String[] {"clickstream", DEAD_DB, "--jdbcPassword=" + SECRET, "--nope=1"},
            new String[] {
              "clickstream", DEAD_DB, "--jdbcPassword=" + SECRET, "--sessionGapMinutes=0"
            },
            new String[] {"fraud", DEAD_DB, "--jdbcPassword=" + SECRET, "--jdbcPasswordEnv=PGPASS"},
            new String[] {
              "cdc-replication", DEAD_DB, "--jdbcPassword=" + SECRET, "--maxRecords=x"
            })) {
      Outcome o = launch(args);
      assertEquals(o.all(), 2, o.status());
      assertFalse(o.all(), o.all().contains(SECRET.substring(0, 6)));
    }
  }

  @Test
  public void directRunnerChecksAreOffUnlessTheUserAsksForThem() {
    PipelineDefinition<?> clickstream = PipelineCatalog.find("clickstream").orElseThrow();
    DirectOptions byDefault =
        Launcher.parseOptions(clickstream, List.of("--source=file:/x")).as(DirectOptions.class);
    assertFalse(byDefault.isBlockOnRun());
    assertFalse(byDefault.isEnforceImmutability());
    assertFalse(byDefault.isEnforceEncodability());
    DirectOptions asked =
        Launcher.parseOptions(
                clickstream,
                List.of("--source=file:/x", "--enforceImmutability=true", "--blockOnRun"))
            .as(DirectOptions.class);
    assertTrue(asked.isBlockOnRun());
    assertTrue(asked.isEnforceImmutability());
    assertFalse(asked.isEnforceEncodability());
    // Other runners get none of them.
    DirectOptions flink =
        Launcher.parseOptions(clickstream, List.of("--source=file:/x", "--runner=FlinkRunner"))
            .as(DirectOptions.class);
    assertTrue(flink.isEnforceImmutability());
  }

  @Test
  public void flinkRunnerDefaultsToDataStreamBatchAndNoCopiesWithoutCheckpointing() {
    PipelineDefinition<?> clickstream = PipelineCatalog.find("clickstream").orElseThrow();
    FlinkPipelineOptions byDefault =
        Launcher.parseOptions(clickstream, List.of("--source=file:/x", "--runner=FlinkRunner"))
            .as(FlinkPipelineOptions.class);
    assertTrue(byDefault.getFasterCopy());
    assertTrue(byDefault.getUseDataStreamForBatch());
    // One-element bundles only once the build shows a streaming run (FlinkStreamingBundlesTest).
    assertEquals(5_000L, byDefault.getMaxBundleSize().longValue());
    FlinkPipelineOptions asked =
        Launcher.parseOptions(
                clickstream,
                List.of(
                    "--source=file:/x",
                    "--runner=FlinkRunner",
                    "--fasterCopy=false",
                    "--useDataStreamForBatch=false",
                    "--maxBundleSize=500"))
            .as(FlinkPipelineOptions.class);
    assertFalse(asked.getFasterCopy());
    assertFalse(asked.getUseDataStreamForBatch());
    assertEquals(500L, asked.getMaxBundleSize().longValue());
    // With checkpointing the heap state backend needs its copies of state values.
    FlinkPipelineOptions checkpointed =
        Launcher.parseOptions(
                clickstream,
                List.of(
                    "--source=file:/x", "--runner=FlinkRunner", "--checkpointingInterval=10000"))
            .as(FlinkPipelineOptions.class);
    assertFalse(checkpointed.getFasterCopy());
    assertTrue(checkpointed.getUseDataStreamForBatch());
    // The Direct runner has no such copies.
    FlinkPipelineOptions direct =
        Launcher.parseOptions(clickstream, List.of("--source=file:/x"))
            .as(FlinkPipelineOptions.class);
    assertFalse(direct.getFasterCopy());
    assertFalse(direct.getUseDataStreamForBatch());
  }

  @Test
  public void boundedClickstreamRunWritesTheTablesAndPrintsTheSummary() throws Exception {
    try (Connection c = pg.connection();
        Statement s = c.createStatement()) {
      s.execute(
          "DROP TABLE IF EXISTS page_views_per_minute, user_sessions, active_users,"
              + " dead_letters, late_records");
    }
    Path clicks = tmp.newFile("clicks.jsonl").toPath();
    Files.write(
        clicks,
        List.of(
            click("e1", "u1", "/home", "2026-01-05T10:00:10Z"),
            click("e2", "u1", "/cart", "2026-01-05T10:00:50Z"),
            click("e3", "u2", "/home", "2026-01-05T10:01:05Z"),
            click("e1", "u1", "/home", "2026-01-05T10:00:10Z"), // duplicate of the first
            click("e4", "u1", "/home", "2026-01-05T10:45:00Z"), // 44 min after e2: new session
            "{\"event_id\":\"e5\",\"user_id\":\"u3\"", // malformed_json
            click("e6", "u2", "/home", "2026-01-05T10:01:30Z"),
            "{\"event_id\":\"e7\",\"user_id\":\"u3\",\"event_time\":\"2026-01-05T10:02:00Z\"}"),
        StandardCharsets.UTF_8);

    // Trust authentication: the password is accepted and ignored, and must never be printed.
    Outcome o =
        launch(
            "clickstream",
            "--source=file:" + clicks,
            "--jdbcUrl=" + pg.jdbcUrl(),
            "--jdbcUser=" + pg.user(),
            "--jdbcPassword=" + SECRET,
            "--progressSeconds=1");
    assertEquals(o.all(), 0, o.status());
    assertFalse(o.all(), o.all().contains(SECRET.substring(0, 6)));
    assertTrue(o.out(), o.out().contains("clickstream finished: DONE in "));
    assertSummaryLine(o.out(), "records in", 8);
    assertSummaryLine(o.out(), "parsed", 6);
    assertSummaryLine(o.out(), "duplicates dropped", 1);
    assertSummaryLine(o.out(), "late records", 0);
    assertSummaryLine(o.out(), "dead letters", 2);

    assertEquals(
        List.of(
            "/cart|2026-01-05T10:00:00Z|2026-01-05T10:01:00Z|1",
            "/home|2026-01-05T10:00:00Z|2026-01-05T10:01:00Z|1",
            "/home|2026-01-05T10:01:00Z|2026-01-05T10:02:00Z|2",
            "/home|2026-01-05T10:45:00Z|2026-01-05T10:46:00Z|1"),
        rows(
            "SELECT page, window_start, window_end, views FROM page_views_per_minute"
                + " ORDER BY page, window_start"));
    assertEquals(
        List.of(
            "u1|2026-01-05T10:00:10Z|2026-01-05T10:30:50Z|2",
            "u1|2026-01-05T10:45:00Z|2026-01-05T11:15:00Z|1",
            "u2|2026-01-05T10:01:05Z|2026-01-05T10:31:30Z|2"),
        rows(
            "SELECT user_id, session_start, session_end, clicks FROM user_sessions"
                + " ORDER BY user_id, session_start"));
    assertEquals(
        List.of(
            "2026-01-05T09:56:00Z|2026-01-05T10:01:00Z|1",
            "2026-01-05T09:57:00Z|2026-01-05T10:02:00Z|2",
            "2026-01-05T09:58:00Z|2026-01-05T10:03:00Z|2",
            "2026-01-05T09:59:00Z|2026-01-05T10:04:00Z|2",
            "2026-01-05T10:00:00Z|2026-01-05T10:05:00Z|2",
            "2026-01-05T10:01:00Z|2026-01-05T10:06:00Z|1",
            "2026-01-05T10:41:00Z|2026-01-05T10:46:00Z|1",
            "2026-01-05T10:42:00Z|2026-01-05T10:47:00Z|1",
            "2026-01-05T10:43:00Z|2026-01-05T10:48:00Z|1",
            "2026-01-05T10:44:00Z|2026-01-05T10:49:00Z|1",
            "2026-01-05T10:45:00Z|2026-01-05T10:50:00Z|1"),
        rows(
            "SELECT window_start, window_end, active_users FROM active_users"
                + " ORDER BY window_start"));
    assertEquals(
        List.of("parse-clicks|malformed_json", "parse-clicks|missing_required_field"),
        rows("SELECT stage, reason FROM dead_letters ORDER BY reason"));
  }

  private static void assertSummaryLine(String out, String label, long value) {
    Pattern line = Pattern.compile("(?m)^  " + Pattern.quote(label) + " +" + value + "(\\s|$)");
    assertTrue(label + " = " + value + " not in:\n" + out, line.matcher(out).find());
  }

  private static String click(String id, String user, String page, String time) {
    return "{\"event_id\":\""
        + id
        + "\",\"user_id\":\""
        + user
        + "\",\"page\":\""
        + page
        + "\",\"event_time\":\""
        + time
        + "\",\"referrer\":null}";
  }

  /** Rows as {@code a|b|...}; timestamptz columns as UTC instants. */
  private static List<String> rows(String sql) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = pg.connection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      ResultSetMetaData meta = rs.getMetaData();
      while (rs.next()) {
        List<String> cols = new ArrayList<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          cols.add(
              meta.getColumnTypeName(i).equals("timestamptz")
                  ? rs.getObject(i, OffsetDateTime.class).toInstant().toString()
                  : rs.getString(i));
        }
        rows.add(String.join("|", cols));
      }
    }
    return rows;
  }
}
