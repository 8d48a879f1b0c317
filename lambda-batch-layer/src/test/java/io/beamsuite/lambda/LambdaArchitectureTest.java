package io.beamsuite.lambda;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.beamsuite.fixtures.generator.GeneratedRecord;
import io.beamsuite.fixtures.generator.KafkaEventWriter;
import io.beamsuite.fixtures.generator.RecordLabel;
import io.beamsuite.fixtures.oracle.ClickEvent;
import io.beamsuite.fixtures.oracle.ClickstreamOracle;
import io.beamsuite.fixtures.oracle.EventValidator;
import io.beamsuite.fixtures.oracle.Fates;
import io.beamsuite.fixtures.oracle.LambdaServingOracle;
import io.beamsuite.fixtures.oracle.LatePolicy;
import io.beamsuite.fixtures.oracle.PageViewRow;
import io.beamsuite.fixtures.oracle.RawInput;
import io.beamsuite.fixtures.oracle.ResultTables;
import io.beamsuite.fixtures.oracle.RevenueOracle;
import io.beamsuite.fixtures.oracle.RevenueRow;
import io.beamsuite.fixtures.oracle.TransactionEvent;
import io.beamsuite.pipelines.launcher.Launcher;
import io.beamsuite.pipelines.testing.CommittedCounters;
import io.beamsuite.pipelines.testing.RowDiff;
import io.beamsuite.pipelines.testing.SandboxProcess;
import io.beamsuite.pipelines.testing.Workload;
import io.beamsuite.pipelines.views.EventTimeRange;
import io.beamsuite.pipelines.views.PageViewsPerMinute;
import io.beamsuite.pipelines.views.RevenuePerMerchantHour;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * The Lambda architecture end to end against real PostgreSQL and Kafka (in a child JVM, see {@link
 * SandboxProcess}), with generated events over four hours including duplicates, disorder, late and
 * malformed records. Expected rows come from the independent oracle (test-fixtures), never from the
 * pipelines.
 *
 * <ol>
 *   <li>The batch layer at cutoff T1 on Direct, Flink and Spark: three versions, identical, each =
 *       the oracle over the valid events before T1.
 *   <li>The speed layer streams every event from Kafka; the serving views converge to batch(T1) ∪
 *       speed(T1): the oracle over all events, less only the records the speed layer routed late
 *       (each of them generated LATE).
 *   <li>While the speed layer keeps running, a batch run advances the cutoff to T2; a reader
 *       polling both serving views in one snapshot sees exactly the T1 state, then exactly the T2
 *       state — never a mix, a gap or a double count.
 *   <li>Re-running the batch layer over the same master dataset writes an identical version and
 *       leaves the serving views unchanged.
 *   <li>Archiving the Kafka topics into a new master dataset and running the batch layer over it
 *       gives the same version again.
 * </ol>
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class LambdaArchitectureTest {
  private static final Instant START = Instant.parse("2024-01-01T00:00:00Z");
  private static final Instant T1 = START.plus(Duration.ofHours(2));
  private static final Instant T2 = START.plus(Duration.ofHours(3));
  private static final String REVENUE = RevenuePerMerchantHour.TABLE;
  private static final String PAGE_VIEWS = PageViewsPerMinute.TABLE;

  private static Path workDir;
  private static SandboxProcess sandbox;
  private static Workload workload;
  private static List<RawInput> inputs;
  private static String jdbcUrl;
  private static String user;
  private static ResultTables tables;
  private static PipelineResult speedLayer;

  @BeforeClass
  public static void startSandboxAndWriteEvents() throws Exception {
    workDir = Files.createDirectories(Path.of("target", "lambda-test").toAbsolutePath());
    sandbox = SandboxProcess.start(workDir);
    jdbcUrl = sandbox.setting("postgres.jdbcUrl");
    user = sandbox.setting("postgres.user");
    tables = new ResultTables(jdbcUrl, user);
    Path data = Files.createTempDirectory(workDir, "workload");
    workload =
        Workload.write(
            Workload.realisticMix(606, 6_000)
                .startTime(START)
                .timeSpan(Duration.ofHours(4))
                .build(),
            data);
    inputs = workload.oracleInput();
    try (KafkaEventWriter kafka = new KafkaEventWriter(sandbox.setting("kafka.bootstrap"))) {
      kafka.writeAll(workload.records());
      kafka.flush();
    }
  }

  @AfterClass
  public static void stop() throws Exception {
    if (speedLayer != null) {
      try {
        speedLayer.cancel();
      } catch (Exception e) {
        // already finished
      }
    }
    if (sandbox != null) {
      sandbox.close();
    }
  }

  @Test
  public void a_batchLayerIsTheSameOnDirectFlinkAndSparkAndEqualsTheOracle() throws Exception {
    List<RevenueRow> expectedRevenue = revenueBefore(T1);
    List<PageViewRow> expectedPageViews = pageViews(LatePolicy.none(), true, T1);
    assertFalse("the oracle has rows before the cutoff", expectedRevenue.isEmpty());

    String[] runners = {"--runner=DirectRunner", "--runner=FlinkRunner", "--runner=SparkRunner"};
    for (int i = 0; i < runners.length; i++) {
      String out = batch(T1, runners[i]);
      long version = i + 1;
      assertTrue(out, out.contains("published batch version " + version + " with cutoff " + T1));
      RowDiff.assertSameRows(
          runners[i] + " revenue",
          expectedRevenue,
          tables.revenuePerMerchantHour(REVENUE + "_batch_v" + version));
      RowDiff.assertSameRows(
          runners[i] + " page views",
          expectedPageViews,
          tables.pageViews(PAGE_VIEWS + "_batch_v" + version));
    }
    // Before the speed layer ran, the serving views hold exactly the batch rows.
    assertEquals(expectedRevenue, tables.revenuePerMerchantHour(REVENUE + "_lambda"));
    assertEquals(expectedPageViews, tables.pageViews(PAGE_VIEWS + "_lambda"));
  }

  @Test
  public void b_speedLayerCompletesTheServingViewsToTheOracle() throws Exception {
    LambdaOptions options =
        PipelineOptionsFactory.fromArgs(
                "--runner=DirectRunner",
                "--blockOnRun=false",
                "--source=kafka",
                "--bootstrapServers=" + sandbox.setting("kafka.bootstrap"),
                // The generator's allowed lateness: its LATE records are late for the speed layer,
                // so advancing the cutoff visibly moves them into the batch share.
                "--allowedLatenessSeconds=" + workload.config().allowedLateness().toSeconds(),
                "--jdbcUrl=" + jdbcUrl,
                "--jdbcUser=" + user)
            .as(LambdaOptions.class);
    Pipeline pipeline = Pipeline.create(options);
    org.joda.time.Instant speedCutoff = SpeedLayer.build(pipeline, options);
    assertEquals(
        "the speed layer starts at the served cutoff",
        T1.toString(),
        java.time.Instant.ofEpochMilli(speedCutoff.getMillis()).toString());
    speedLayer = pipeline.run();

    Expected expected = null;
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    Snapshot last = null;
    while (System.nanoTime() < deadline) {
      expected = expectedAt(T1);
      last = readServingViews();
      if (expected.matches(last)) {
        break;
      }
      Thread.sleep(1_000);
    }
    assertTrue("serving views did not converge to the oracle", expected != null && last != null);
    RowDiff.assertSameRows("serving revenue at T1", expected.revenue(), last.revenue());
    RowDiff.assertSameRows("serving page views at T1", expected.pageViews(), last.pageViews());
    assertOnlyGeneratedLateRecordsAreLate();
    // The events before the cutoff are counted, not silently dropped: every unique valid one.
    long before =
        Fates.classify(EventValidator.TRANSACTIONS, TransactionEvent.class, inputs)
                .unique()
                .stream()
                .filter(e -> e.eventTime().isBefore(T1))
                .count()
            + Fates.classify(EventValidator.CLICKS, ClickEvent.class, inputs).unique().stream()
                .filter(e -> e.eventTime().isBefore(T1))
                .count();
    assertEquals(
        before,
        CommittedCounters.of(speedLayer, EventTimeRange.class, EventTimeRange.OUTSIDE_RANGE));
    assertFalse(
        "some records are late for the speed layer",
        tables.lateEventIds(ServingLayer.speedTable(REVENUE)).isEmpty()
            && tables.lateEventIds(ServingLayer.speedTable(PAGE_VIEWS)).isEmpty());
  }

  @Test
  public void c_advancingTheCutoffWhileTheSpeedLayerRunsNeverShowsAGapOrADoubleCount()
      throws Exception {
    Expected atT1 = expectedAt(T1);
    Expected atT2 = expectedAt(T2);
    assertFalse(
        "the two states differ (else the check below proves nothing)",
        atT1.revenue().equals(atT2.revenue()) && atT1.pageViews().equals(atT2.pageViews()));
    assertTrue("settled at T1 before the new batch", atT1.matches(readServingViews()));

    List<Snapshot> observations = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean reading = new AtomicBoolean(true);
    java.util.concurrent.atomic.AtomicInteger abortedReads =
        new java.util.concurrent.atomic.AtomicInteger();
    Thread reader =
        new Thread(
            () -> {
              while (reading.get()) {
                try {
                  observations.add(readServingViews());
                } catch (java.sql.SQLException e) {
                  // Reading both views in one transaction can deadlock with the switch, which
                  // redefines them one after the other; PostgreSQL aborts one side, and a reader
                  // it aborted retries, as any client would. Anything else is a failed read.
                  if ("40P01".equals(e.getSQLState())) {
                    abortedReads.incrementAndGet();
                  } else {
                    observations.add(new Snapshot(null, null, e.toString()));
                  }
                } catch (Exception e) {
                  observations.add(new Snapshot(null, null, e.toString()));
                }
              }
            },
            "serving-reader");
    reader.start();
    String out = batch(T2, "--runner=DirectRunner");
    Thread.sleep(500);
    reading.set(false);
    reader.join();

    assertTrue(out, out.contains("with cutoff " + T2));
    int t1 = 0;
    int t2 = 0;
    for (int i = 0; i < observations.size(); i++) {
      Snapshot s = observations.get(i);
      if (atT1.matches(s)) {
        assertEquals("a T1 state after the T2 state, at observation " + i, 0, t2);
        t1++;
      } else if (atT2.matches(s)) {
        t2++;
      } else {
        fail("observation " + i + " is neither the T1 nor the T2 state: " + s.describe(atT1, atT2));
      }
    }
    assertTrue("observed the T1 state " + t1 + " times", t1 > 0);
    assertTrue("observed the T2 state " + t2 + " times", t2 > 0);
    System.out.printf(
        "cutoff advance: %d observations at T1, then %d at T2 (%d reads aborted as deadlock victims, retried)%n",
        t1, t2, abortedReads.get());
  }

  @Test
  public void d_rerunningTheBatchLayerIsIdempotent() throws Exception {
    Snapshot before = readServingViews();
    String out = batch(T2, "--runner=DirectRunner");
    assertTrue(out, out.contains("published batch version 5 with cutoff " + T2));
    assertEquals(
        tables.revenuePerMerchantHour(REVENUE + "_batch_v4"),
        tables.revenuePerMerchantHour(REVENUE + "_batch_v5"));
    assertEquals(
        tables.pageViews(PAGE_VIEWS + "_batch_v4"), tables.pageViews(PAGE_VIEWS + "_batch_v5"));
    Snapshot after = readServingViews();
    assertEquals(before.revenue(), after.revenue());
    assertEquals(before.pageViews(), after.pageViews());
    assertTrue(expectedAt(T2).matches(after));
  }

  @Test
  public void e_archivingKafkaGivesTheSameMasterDatasetForTheBatchLayer() throws Exception {
    Path archive = Files.createTempDirectory(workDir, "archive");
    String out =
        launch(
            "lambda-archive",
            "--runner=DirectRunner",
            "--source=kafka",
            "--bootstrapServers=" + sandbox.setting("kafka.bootstrap"),
            "--maxReadSeconds=20",
            "--archiveDir=" + archive,
            "--jdbcUrl=" + jdbcUrl,
            "--jdbcUser=" + user);
    long archivedLines = 0;
    try (Stream<Path> files = Files.walk(archive)) {
      for (Path f :
          files.filter(p -> p.toString().endsWith(".jsonl")).collect(Collectors.toList())) {
        assertTrue(
            f.toString(),
            archive
                .relativize(f)
                .toString()
                .matches(
                    "(transactions|clicks)/dt=\\d{4}-\\d\\d-\\d\\d/hr=\\d\\d/archive-.*\\.jsonl"));
        archivedLines += Files.readAllLines(f, StandardCharsets.ISO_8859_1).size();
      }
    }
    long expectedLines =
        workload.records().stream()
            .filter(r -> r.topic().equals("transactions") || r.topic().equals("clicks"))
            .filter(r -> !containsLineBreak(r.payload()))
            .count();
    assertEquals(out, expectedLines, archivedLines);

    String batchOut = batch(T2, "--runner=DirectRunner", "--source=file:" + archive);
    assertTrue(batchOut, batchOut.contains("published batch version 6 with cutoff " + T2));
    assertEquals(
        tables.revenuePerMerchantHour(REVENUE + "_batch_v5"),
        tables.revenuePerMerchantHour(REVENUE + "_batch_v6"));
    assertEquals(
        tables.pageViews(PAGE_VIEWS + "_batch_v5"), tables.pageViews(PAGE_VIEWS + "_batch_v6"));
  }

  // ---------------------------------------------------------------------------------------------

  private static boolean containsLineBreak(byte[] payload) {
    for (byte b : payload) {
      if (b == '\n' || b == '\r') {
        return true;
      }
    }
    return false;
  }

  /** Every record the speed layer routed late is one the generator made late. */
  private static void assertOnlyGeneratedLateRecordsAreLate() throws Exception {
    Set<String> generatedLate =
        workload.records().stream()
            .filter(r -> r.label() == RecordLabel.LATE)
            .map(GeneratedRecord::eventId)
            .collect(Collectors.toSet());
    for (String view : List.of(REVENUE, PAGE_VIEWS)) {
      Set<String> late = tables.lateEventIds(ServingLayer.speedTable(view));
      for (String id : late) {
        assertTrue(
            view + ": " + id + " was routed late but not generated late",
            generatedLate.contains(id));
      }
      System.out.printf("speed layer: %d late records for %s%n", late.size(), view);
    }
  }

  private static String batch(Instant cutoff, String runner, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "lambda-batch",
                runner,
                "--source=file:" + workload.masterDataset(),
                "--cutoff=" + cutoff,
                "--jdbcUrl=" + jdbcUrl,
                "--jdbcUser=" + user));
    if (runner.contains("SparkRunner")) {
      args.add("--sparkMaster=local[2]");
    }
    for (String e : extra) {
      args.removeIf(a -> a.startsWith(e.substring(0, e.indexOf('=') + 1)));
      args.add(e);
    }
    return launch(args.toArray(new String[0]));
  }

  private static String launch(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        Launcher.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    String output = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
    assertEquals(String.join(" ", args) + "\n" + output, 0, status);
    return output;
  }

  private static List<RevenueRow> revenueBefore(Instant cutoff) {
    return RevenueOracle.compute(inputs, LatePolicy.none(), RevenueOracle.TimeRange.before(cutoff))
        .rows();
  }

  private static List<PageViewRow> pageViews(LatePolicy late, boolean before, Instant cutoff) {
    return ClickstreamOracle.compute(inputs, late).pageViews().stream()
        .filter(r -> r.windowStart().isBefore(cutoff) == before)
        .collect(Collectors.toList());
  }

  /**
   * The serving views the oracle expects at {@code cutoff}, given the speed layer's late records.
   */
  private static Expected expectedAt(Instant cutoff) throws Exception {
    Set<String> lateTransactions = tables.lateEventIds(ServingLayer.speedTable(REVENUE));
    Set<String> lateClicks = tables.lateEventIds(ServingLayer.speedTable(PAGE_VIEWS));
    LatePolicy speedLate =
        LatePolicy.observed(
            Map.of(
                RevenueOracle.REVENUE, lateTransactions, ClickstreamOracle.PAGE_VIEWS, lateClicks));
    return new Expected(
        LambdaServingOracle.revenue(inputs, cutoff, speedLate),
        LambdaServingOracle.pageViews(inputs, cutoff, speedLate));
  }

  private record Expected(List<RevenueRow> revenue, List<PageViewRow> pageViews) {
    boolean matches(Snapshot s) {
      return revenue.equals(s.revenue()) && pageViews.equals(s.pageViews());
    }
  }

  private record Snapshot(List<RevenueRow> revenue, List<PageViewRow> pageViews, String error) {
    Snapshot(List<RevenueRow> revenue, List<PageViewRow> pageViews) {
      this(revenue, pageViews, null);
    }

    String describe(Expected t1, Expected t2) {
      if (error != null) {
        return "read failed: " + error;
      }
      return String.format(
          "%d revenue rows (T1 %d, T2 %d), %d page-view rows (T1 %d, T2 %d)",
          revenue.size(),
          t1.revenue().size(),
          t2.revenue().size(),
          pageViews.size(),
          t1.pageViews().size(),
          t2.pageViews().size());
    }
  }

  /** Both serving views in one REPEATABLE READ snapshot, as one reader's query would see them. */
  private static Snapshot readServingViews() throws Exception {
    try (Connection c = DriverManager.getConnection(jdbcUrl, user, "")) {
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      c.setAutoCommit(false);
      List<RevenueRow> revenue = new ArrayList<>();
      List<PageViewRow> views = new ArrayList<>();
      try (Statement s = c.createStatement()) {
        try (ResultSet rs =
            s.executeQuery(
                "SELECT merchant_id, window_start, window_end, revenue_cents FROM "
                    + ServingLayer.servingView(REVENUE)
                    + " ORDER BY merchant_id, window_start")) {
          while (rs.next()) {
            revenue.add(
                new RevenueRow(rs.getString(1), instant(rs, 2), instant(rs, 3), rs.getLong(4)));
          }
        }
        try (ResultSet rs =
            s.executeQuery(
                "SELECT page, window_start, window_end, views FROM "
                    + ServingLayer.servingView(PAGE_VIEWS)
                    + " ORDER BY page, window_start")) {
          while (rs.next()) {
            views.add(
                new PageViewRow(rs.getString(1), instant(rs, 2), instant(rs, 3), rs.getLong(4)));
          }
        }
      }
      c.commit();
      return new Snapshot(revenue, views);
    }
  }

  private static Instant instant(ResultSet rs, int column) throws java.sql.SQLException {
    return rs.getObject(column, OffsetDateTime.class).toInstant();
  }
}
