package io.beamsuite.bundled;

import static io.beamsuite.bundled.ClusterJobs.allVerticesRunning;
import static io.beamsuite.bundled.ClusterJobs.assertNoFailures;
import static io.beamsuite.bundled.ClusterJobs.awaitValue;
import static io.beamsuite.bundled.ClusterJobs.deleteRecursively;
import static io.beamsuite.bundled.ClusterJobs.jobIds;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.beamsuite.fixtures.generator.CustomerRow;
import io.beamsuite.fixtures.generator.EventGenerator;
import io.beamsuite.fixtures.generator.GeneratedRecord;
import io.beamsuite.fixtures.generator.RecordLabel;
import io.beamsuite.fixtures.oracle.ClickstreamOracle;
import io.beamsuite.fixtures.oracle.CustomerVersions;
import io.beamsuite.fixtures.oracle.CustomersOracle;
import io.beamsuite.fixtures.oracle.FraudOracle;
import io.beamsuite.fixtures.oracle.FraudParams;
import io.beamsuite.fixtures.oracle.LambdaServingOracle;
import io.beamsuite.fixtures.oracle.LatePolicy;
import io.beamsuite.fixtures.oracle.PageViewRow;
import io.beamsuite.fixtures.oracle.RawInput;
import io.beamsuite.fixtures.oracle.ResultTables;
import io.beamsuite.fixtures.oracle.RevenueOracle;
import io.beamsuite.fixtures.oracle.RevenueRow;
import io.beamsuite.fixtures.oracle.SensorAnomalyRow;
import io.beamsuite.fixtures.oracle.SensorParams;
import io.beamsuite.fixtures.oracle.SensorsOracle;
import io.beamsuite.fixtures.services.FlinkCluster;
import io.beamsuite.lambda.ServingLayer;
import io.beamsuite.pipelines.testing.SandboxProcess;
import io.beamsuite.pipelines.testing.Workload;
import io.beamsuite.pipelines.views.PageViewsPerMinute;
import io.beamsuite.pipelines.views.RevenuePerMerchantHour;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * Every streaming pipeline and the Lambda architecture submitted from the Flink job jar to the real
 * session cluster of {@link SharedClusterServices} as users do, each ending equal to the
 * independent oracle ({@link FlinkClusterIT} runs clickstream in real time, {@link
 * FaultToleranceIT} under faults):
 *
 * <ul>
 *   <li>{@code clickstream} (all three views), {@code fraud}, {@code sensors} and {@code
 *       cdc-replication}, streaming from Kafka side by side (one partition per topic, parallelism
 *       1: four jobs in the cluster's 4 slots);
 *   <li>the same four from the same topics (same partitioning, same order) on embedded Flink and on
 *       the Direct runner (the local jar): the same tables as on the cluster, each equal to the
 *       oracle;
 *   <li>the Lambda architecture: {@code lambda-batch} (bounded, from the master dataset's files) at
 *       a cutoff, {@code lambda-speed} (streaming from Kafka) from it, and the serving views read
 *       by SQL and by {@code lambda-serve}.
 * </ul>
 *
 * <p>The workload is the realistic mix of the pipelines' tests (event times in 2024, duplicates,
 * disorder, malformed and late records), written to its topics before each job starts: while a
 * reader works through the backlog its watermark follows the event times; once it has caught up,
 * KafkaIO moves it to the wall clock, which closes every window. The four pipelines run with an
 * allowed lateness covering the disorder, so nothing is late (checked) and the tables equal the
 * oracle exactly; the speed layer runs with the generator's lateness, so any record it routes late
 * must be one the generator made late (checked), and the oracle leaves out exactly those.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class EveryPipelineOnClusterIT {
  private static final long SEED = 20_261_206L;
  private static final int EVENTS = 1_200;
  private static final FraudParams FRAUD = new FraudParams(10, 3, 1, 2);
  private static final SensorParams SENSORS = new SensorParams(5, 1, 1.5);
  private static final Duration CONVERGE_WITHIN = Duration.ofSeconds(180);
  private static final String REVENUE = RevenuePerMerchantHour.TABLE;
  private static final String PAGE_VIEWS = PageViewsPerMinute.TABLE;

  private static final String CLICKS = "clicks-cluster-it";
  private static final String TRANSACTIONS = "transactions-cluster-it";
  private static final String READINGS = "sensor-readings-cluster-it";
  private static final String CHANGES = "customers-changes-cluster-it";

  private static Path workDir;
  private static SandboxProcess sandbox;
  private static FlinkCluster flink;
  private static Workload workload;

  /** Each streaming pipeline and its own arguments, reading the shared topics. */
  private static Map<String, List<String>> streamingPipelines;

  private static ClickstreamOracle.Result expectedClicks;
  private static FraudOracle.Result expectedFraud;
  private static SensorsOracle.Result expectedSensors;
  private static Map<String, CustomerRow> expectedReplica;

  /** The tables of the session cluster's runs (a_), for the other runners' (c_). */
  private static final Map<String, ResultTables> clusterTables = new LinkedHashMap<>();

  private static final List<LaunchedJar> launchers = new ArrayList<>();

  @BeforeClass
  public static void startServices() throws Exception {
    assertTrue(
        "the Flink job jar must exist (failsafe runs after package)",
        Files.isRegularFile(LaunchedJar.FLINK_JAR));
    workDir = Path.of("target", "every-pipeline-on-cluster-it").toAbsolutePath();
    deleteRecursively(workDir);
    Files.createDirectories(workDir);
    ClusterServices services = SharedClusterServices.get();
    sandbox = services.sandbox;
    flink = services.flink;
    // Across an hour boundary: lambda-batch's cutoff must be a whole hour, with events on both
    // sides.
    workload =
        Workload.write(
            Workload.realisticMix(SEED, EVENTS)
                .startTime(Instant.parse("2024-01-01T00:45:00Z"))
                .build(),
            workDir.resolve("workload"));

    // One partition per topic, written once: every runner reads the same records in the same order.
    topicOf("clicks", CLICKS);
    topicOf("transactions", TRANSACTIONS);
    topicOf("sensor-readings", READINGS);
    createTopic(CHANGES);
    produce(CHANGES, Workload.customerChanges(EventGenerator.of(workload.config())));
    streamingPipelines = new LinkedHashMap<>();
    streamingPipelines.put("clickstream", List.of("--clicksTopic=" + CLICKS));
    streamingPipelines.put(
        "fraud",
        List.of(
            "--transactionsTopic=" + TRANSACTIONS,
            "--customersSource=" + workload.customersFileSource(),
            "--alertsTopic=",
            "--countryWindowMinutes=" + FRAUD.countryWindowMinutes(),
            "--minCountries=" + FRAUD.minCountries(),
            "--velocityWindowMinutes=" + FRAUD.velocityWindowMinutes(),
            "--velocityCount=" + FRAUD.velocityCount()));
    streamingPipelines.put(
        "sensors",
        List.of(
            "--readingsTopic=" + READINGS,
            "--windowMinutes=" + SENSORS.windowMinutes(),
            "--periodMinutes=" + SENSORS.periodMinutes(),
            "--zThreshold=" + SENSORS.zThreshold()));
    streamingPipelines.put(
        "cdc-replication",
        List.of("--changesTopic=" + CHANGES, "--replicaTable=customers_replica"));

    List<RawInput> inputs = workload.oracleInput();
    expectedClicks = ClickstreamOracle.compute(inputs, LatePolicy.none());
    expectedFraud =
        FraudOracle.compute(
            inputs,
            CustomerVersions.of(workload.customerSnapshot(), workload.customerUpdates()),
            FRAUD,
            LatePolicy.none());
    expectedSensors = SensorsOracle.compute(inputs, SENSORS, LatePolicy.none());
    expectedReplica =
        CustomersOracle.finalState(
            workload.customerSnapshot(), workload.customerUpdates(), List.of());
    // Else the comparisons could not fail.
    assertFalse("page views", expectedClicks.pageViews().isEmpty());
    assertFalse("sessions", expectedClicks.sessions().isEmpty());
    assertFalse("active users", expectedClicks.activeUsers().isEmpty());
    assertTrue("the workload raises alerts", expectedFraud.alerts().size() > 5);
    assertFalse("the workload has sensor anomalies", expectedSensors.rows().isEmpty());
    assertFalse("the workload has customers", expectedReplica.isEmpty());
  }

  @AfterClass
  public static void stopJobs() throws Exception {
    for (LaunchedJar launcher : launchers) {
      if (launcher.process.isAlive()) {
        launcher.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    SharedClusterServices.release();
  }

  /** Frees the slots for the next test, also after a failure. */
  @After
  public void cancelLeftoverJobs() throws Exception {
    SharedClusterServices.release();
  }

  @Test
  public void a_everyStreamingPipelineOnTheClusterEqualsTheOracle() throws Exception {
    clusterTables.putAll(
        runStreamingPipelines(
            "cluster",
            List.of(
                "--runner=FlinkRunner",
                "--flinkMaster=" + flink.restAddress(),
                "--attachedMode=false",
                // Parallelism 1: the four jobs fit the cluster's 4 slots side by side.
                "--parallelism=1",
                "--checkpointingInterval=2000"),
            true));
  }

  @Test
  public void b_lambdaBatchSpeedAndServeOnTheClusterEqualTheOracle() throws Exception {
    String user = sandbox.setting("postgres.user");
    String jdbcUrl = sandbox.createDatabase("cluster_lambda");
    ResultTables tables = new ResultTables(jdbcUrl, user);
    Instant cutoff = Instant.parse("2024-01-01T01:00:00Z");
    List<String> db = List.of("--jdbcUrl=" + jdbcUrl, "--jdbcUser=" + user);

    // Batch layer: bounded, attached; the launcher returns once the version is published.
    List<String> batch =
        new ArrayList<>(
            List.of(
                "lambda-batch",
                "--runner=FlinkRunner",
                "--flinkMaster=" + flink.restAddress(),
                "--parallelism=2",
                "--source=file:" + workload.masterDataset(),
                "--cutoff=" + cutoff));
    batch.addAll(db);
    LaunchedJar batchRun = launch("lambda-batch", batch);
    assertEquals(
        "lambda-batch output:\n" + batchRun.output(), 0, batchRun.await(Duration.ofMinutes(4)));
    assertTrue(
        batchRun.output(),
        batchRun.output().contains("published batch version 1 with cutoff " + cutoff));
    List<RawInput> inputs = workload.oracleInput();
    List<RevenueRow> batchRevenue =
        RevenueOracle.compute(inputs, LatePolicy.none(), RevenueOracle.TimeRange.before(cutoff))
            .rows();
    assertFalse("revenue rows before the cutoff", batchRevenue.isEmpty());
    assertEquals(
        sorted(batchRevenue),
        sorted(tables.revenuePerMerchantHour(ServingLayer.batchTable(REVENUE, 1))));
    assertEquals(
        sorted(
            ClickstreamOracle.compute(inputs, LatePolicy.none()).pageViews().stream()
                .filter(r -> r.windowStart().isBefore(cutoff))
                .collect(Collectors.toList())),
        sorted(tables.pageViews(ServingLayer.batchTable(PAGE_VIEWS, 1))));

    // Speed layer: streaming from Kafka, detached, from the cutoff the serving views publish.
    Set<String> jobsBefore = jobIds(flink);
    List<String> speed =
        new ArrayList<>(
            List.of(
                "lambda-speed",
                "--runner=FlinkRunner",
                "--flinkMaster=" + flink.restAddress(),
                "--parallelism=2",
                "--streaming=true",
                "--checkpointingInterval=2000",
                "--attachedMode=false",
                "--source=kafka",
                "--bootstrapServers=" + sandbox.setting("kafka.bootstrap"),
                "--transactionsTopic=" + TRANSACTIONS,
                "--clicksTopic=" + CLICKS,
                // The generator's lateness: its LATE records are late for the speed layer.
                "--allowedLatenessSeconds=" + workload.config().allowedLateness().toSeconds()));
    speed.addAll(db);
    LaunchedJar speedRun = launch("lambda-speed", speed);
    String speedJob = awaitRunningJobs(jobsBefore, 1, List.of(speedRun)).get(0);

    String[] last = {"nothing compared yet"};
    awaitValue(
        "the serving views equal to batch(cutoff) + speed(cutoff) of the oracle",
        CONVERGE_WITHIN,
        () -> {
          LatePolicy speedLate = speedLate(tables);
          List<RevenueRow> expectedRevenue =
              sorted(LambdaServingOracle.revenue(inputs, cutoff, speedLate));
          List<PageViewRow> expectedPageViews =
              sorted(LambdaServingOracle.pageViews(inputs, cutoff, speedLate));
          List<RevenueRow> revenue =
              sorted(tables.revenuePerMerchantHour(ServingLayer.servingView(REVENUE)));
          List<PageViewRow> pageViews =
              sorted(tables.pageViews(ServingLayer.servingView(PAGE_VIEWS)));
          if (expectedRevenue.equals(revenue) && expectedPageViews.equals(pageViews)) {
            return true;
          }
          last[0] =
              String.format(
                  "revenue %d/%d rows, page views %d/%d rows",
                  revenue.size(),
                  expectedRevenue.size(),
                  pageViews.size(),
                  expectedPageViews.size());
          return null;
        },
        () -> "last difference: " + last[0]);

    // Every record the speed layer routed late is one the generator made late.
    Set<String> generatedLate =
        workload.records().stream()
            .filter(r -> r.label() == RecordLabel.LATE)
            .map(GeneratedRecord::eventId)
            .collect(Collectors.toSet());
    int late = 0;
    for (String view : List.of(REVENUE, PAGE_VIEWS)) {
      for (String id : tables.lateEventIds(ServingLayer.speedTable(view))) {
        assertTrue(
            view + ": " + id + " was routed late but not generated late",
            generatedLate.contains(id));
        late++;
      }
    }
    assertNoFailures(flink, speedJob);

    // lambda-serve, from the jar: what the serving views publish.
    List<String> serve = new ArrayList<>(List.of("lambda-serve"));
    serve.addAll(db);
    LaunchedJar serveRun = launch("lambda-serve", serve);
    assertEquals(serveRun.output(), 0, serveRun.await(Duration.ofMinutes(1)));
    for (String view : List.of(REVENUE, PAGE_VIEWS)) {
      assertTrue(
          serveRun.output(),
          serveRun
              .output()
              .contains(
                  ServingLayer.servingView(view) + ": batch version 1 below cutoff " + cutoff));
    }
    System.out.printf(
        "lambda on the cluster: batch version 1 below %s, speed layer from it; serving views ="
            + " oracle (%d records routed late by the speed layer, each generated LATE)%n",
        cutoff, late);
  }

  @Test
  public void c_theSameTopicsOnEmbeddedFlinkGiveTheClusterTables() throws Exception {
    assertSameTablesAsOnTheCluster(
        "embedded Flink",
        runStreamingPipelines(
            "embedded_flink",
            List.of(
                "--runner=FlinkRunner",
                "--flinkMaster=[local]",
                "--parallelism=1",
                "--checkpointingInterval=2000"),
            false));
  }

  @Test
  public void d_theSameTopicsOnTheDirectRunnerGiveTheClusterTables() throws Exception {
    assertSameTablesAsOnTheCluster(
        "the Direct runner",
        runStreamingPipelines("direct", List.of("--runner=DirectRunner"), false));
  }

  /** Each of {@code tables} equals the oracle (checked by the runs) and the cluster's (a_). */
  private static void assertSameTablesAsOnTheCluster(
      String runner, Map<String, ResultTables> tables) throws Exception {
    assertEquals(
        "the cluster run (a_) wrote its tables",
        streamingPipelines.keySet(),
        clusterTables.keySet());
    for (String pipeline : streamingPipelines.keySet()) {
      assertEquals(
          pipeline + " on " + runner + " vs the session cluster",
          "",
          differences(
              pipeline, tables.get(pipeline), snapshot(pipeline, clusterTables.get(pipeline))));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The streaming pipelines on one runner

  /**
   * Runs clickstream, fraud, sensors and cdc-replication side by side from the shared topics into
   * fresh databases named after {@code runner}, streaming, with {@code runnerArgs} (on the session
   * cluster: detached; otherwise the job runs in the launcher); waits until every table equals the
   * oracle and the jobs have no failure, then stops them. Returns each pipeline's tables.
   */
  private static Map<String, ResultTables> runStreamingPipelines(
      String runner, List<String> runnerArgs, boolean onCluster) throws Exception {
    String user = sandbox.setting("postgres.user");
    Map<String, ResultTables> tables = new LinkedHashMap<>();
    Set<String> jobsBefore = jobIds(flink);
    List<LaunchedJar> runs = new ArrayList<>();
    long start = System.nanoTime();
    for (Map.Entry<String, List<String>> pipeline : streamingPipelines.entrySet()) {
      String name = pipeline.getKey();
      ResultTables t =
          new ResultTables(sandbox.createDatabase(runner + "_" + name.replace('-', '_')), user);
      tables.put(name, t);
      List<String> args =
          new ArrayList<>(
              List.of(
                  name,
                  "--streaming=true",
                  "--source=kafka",
                  "--bootstrapServers=" + sandbox.setting("kafka.bootstrap"),
                  "--maxOutOfOrdernessSeconds=2",
                  // Covers the workload's disorder: nothing is late, whatever the runner's timing.
                  "--allowedLatenessSeconds=7200",
                  "--jdbcUrl=" + t.jdbcUrl(),
                  "--jdbcUser=" + user));
      args.addAll(runnerArgs);
      args.addAll(pipeline.getValue());
      runs.add(launch(runner + "-" + name, args));
    }
    List<String> clusterJobs = new ArrayList<>();
    Map<String, String> last = new LinkedHashMap<>();
    try {
      if (onCluster) {
        clusterJobs.addAll(awaitRunningJobs(jobsBefore, streamingPipelines.size(), runs));
      }
      awaitValue(
          "every table on " + runner + " equal to the oracle",
          CONVERGE_WITHIN,
          () -> {
            for (LaunchedJar run : runs) {
              if (!run.process.isAlive() && run.process.exitValue() != 0) {
                throw new AssertionError("launcher failed:\n" + run.output());
              }
            }
            for (String pipeline : streamingPipelines.keySet()) {
              String differences = differences(pipeline, tables.get(pipeline), null);
              if (!differences.isEmpty() && !pipeline.equals("cdc-replication")) {
                differences += "; late records " + lateRecordsOrMissing(tables.get(pipeline));
              }
              last.put(pipeline, differences);
            }
            return last.values().stream().allMatch(String::isEmpty) ? true : null;
          },
          () -> "last differences: " + last + jobDiagnostics(onCluster, clusterJobs, runs));
    } finally {
      // The launcher is the job on embedded Flink; a cluster job is cancelled by
      // SharedClusterServices.release().
      if (!onCluster) {
        for (LaunchedJar run : runs) {
          run.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
      }
    }
    System.out.printf(
        "%s: clickstream, fraud, sensors and cdc-replication equal to the oracle %.1f s after the"
            + " launches%n",
        runner, (System.nanoTime() - start) / 1e9);
    for (String job : clusterJobs) {
      assertNoFailures(flink, job);
    }
    assertEquals(
        expectedClicks.reconciliation().deadLetters(),
        tables.get("clickstream").deadLettersByReason("parse-clicks"));
    assertEquals(
        expectedFraud.reconciliation().deadLetters(),
        tables.get("fraud").deadLettersByReason("parse-transactions"));
    assertEquals(
        expectedSensors.reconciliation().deadLetters(),
        tables.get("sensors").deadLettersByReason("parse-sensor-readings"));
    for (String pipeline : List.of("clickstream", "fraud", "sensors")) {
      assertEquals(
          pipeline + ": nothing is late under a lateness covering the disorder",
          0,
          tables.get(pipeline).lateRecords());
    }
    return tables;
  }

  /** One pipeline's result rows, read once. */
  private record Snapshot(
      List<?> pageViews,
      List<?> sessions,
      List<?> activeUsers,
      List<?> alerts,
      List<SensorAnomalyRow> anomalies,
      Map<String, CustomerRow> replica) {}

  private static Snapshot snapshot(String pipeline, ResultTables t) throws Exception {
    return switch (pipeline) {
      case "clickstream" ->
          new Snapshot(t.pageViews(), t.userSessions(), t.activeUsers(), null, null, null);
      case "fraud" -> new Snapshot(null, null, null, t.fraudAlerts(), null, null);
      case "sensors" -> new Snapshot(null, null, null, null, t.sensorAnomalies(), null);
      case "cdc-replication" ->
          new Snapshot(null, null, null, null, null, t.customersReplica("customers_replica"));
      default -> throw new IllegalArgumentException(pipeline);
    };
  }

  /**
   * What differs between {@code pipeline}'s tables and {@code reference} (the oracle's rows when
   * null); the empty string when nothing does. Sensor statistics are compared within {@link
   * SensorAnomalyRow#RELATIVE_TOLERANCE} (sums of doubles in another order).
   */
  private static String differences(String pipeline, ResultTables t, Snapshot reference)
      throws Exception {
    Snapshot expected =
        reference != null
            ? reference
            : new Snapshot(
                expectedClicks.pageViews(),
                expectedClicks.sessions(),
                expectedClicks.activeUsers(),
                expectedFraud.alerts(),
                expectedSensors.rows(),
                expectedReplica);
    Snapshot actual = snapshot(pipeline, t);
    List<String> diffs = new ArrayList<>();
    switch (pipeline) {
      case "clickstream" -> {
        diffs.add(diff("page_views_per_minute", expected.pageViews(), actual.pageViews()));
        diffs.add(diff("user_sessions", expected.sessions(), actual.sessions()));
        diffs.add(diff("active_users", expected.activeUsers(), actual.activeUsers()));
      }
      case "fraud" -> diffs.add(diff("fraud_alerts", expected.alerts(), actual.alerts()));
      case "sensors" -> diffs.add(sensorDiff(expected.anomalies(), actual.anomalies()));
      case "cdc-replication" ->
          diffs.add(
              expected.replica().equals(actual.replica())
                  ? ""
                  : "customers_replica: "
                      + actual.replica().size()
                      + " rows, expected "
                      + expected.replica().size());
      default -> throw new IllegalArgumentException(pipeline);
    }
    return diffs.stream().filter(d -> !d.isEmpty()).collect(Collectors.joining("; "));
  }

  // ---------------------------------------------------------------------------------------------

  private static LatePolicy speedLate(ResultTables tables) throws Exception {
    return LatePolicy.observed(
        Map.of(
            RevenueOracle.REVENUE, tables.lateEventIds(ServingLayer.speedTable(REVENUE)),
            ClickstreamOracle.PAGE_VIEWS,
                tables.lateEventIds(ServingLayer.speedTable(PAGE_VIEWS))));
  }

  /**
   * Waits until {@code count} new jobs run every task; returns their ids. Fails early if one of the
   * {@code submitting} launchers failed.
   */
  private static List<String> awaitRunningJobs(
      Set<String> before, int count, List<LaunchedJar> submitting) throws Exception {
    return awaitValue(
        count + " new job(s) running on the cluster",
        Duration.ofSeconds(180),
        () -> {
          for (LaunchedJar launcher : submitting) {
            if (!launcher.process.isAlive() && launcher.process.exitValue() != 0) {
              throw new AssertionError("launcher failed:\n" + launcher.output());
            }
          }
          List<String> running =
              flink.jobs().stream()
                  .filter(j -> !before.contains(j.id()) && j.state().equals("RUNNING"))
                  .map(FlinkCluster.JobStatus::id)
                  .filter(id -> allVerticesRunning(flink, id))
                  .collect(Collectors.toList());
          return running.size() >= count ? running : null;
        });
  }

  private static LaunchedJar launch(String name, List<String> args) throws IOException {
    LaunchedJar launched = LaunchedJar.start(workDir, name, args);
    launchers.add(launched);
    return launched;
  }

  private static <T> List<T> sorted(List<T> rows) {
    return rows.stream()
        .sorted(Comparator.comparing(Object::toString))
        .collect(Collectors.toList());
  }

  private static String diff(String table, List<?> expected, List<?> actual) {
    if (Objects.equals(sorted(expected), sorted(actual))) {
      return "";
    }
    List<String> missing = rowStrings(expected);
    missing.removeAll(rowStrings(actual));
    List<String> unexpected = rowStrings(actual);
    unexpected.removeAll(rowStrings(expected));
    return table
        + ": expected "
        + expected.size()
        + " rows, got "
        + actual.size()
        + "; missing "
        + missing.size()
        + " (first: "
        + missing.subList(0, Math.min(5, missing.size()))
        + "), unexpected "
        + unexpected.size()
        + " (first: "
        + unexpected.subList(0, Math.min(5, unexpected.size()))
        + ")";
  }

  /**
   * For a timeout's message: each cluster job's state and failures, or the end of each embedded
   * launcher's log (the job runs in it).
   */
  private static String jobDiagnostics(
      boolean onCluster, List<String> clusterJobs, List<LaunchedJar> runs) {
    StringBuilder text = new StringBuilder();
    try {
      if (onCluster) {
        for (FlinkCluster.JobStatus job : flink.jobs()) {
          if (clusterJobs.contains(job.id())) {
            text.append("\njob ")
                .append(job.name())
                .append(' ')
                .append(job.state())
                .append(", exceptions: ")
                .append(
                    flink.getJson("/jobs/" + job.id() + "/exceptions").path("exceptionHistory"));
          }
        }
      } else {
        for (LaunchedJar run : runs) {
          String output = run.output();
          text.append("\nlauncher ")
              .append(run.log.getFileName())
              .append(run.process.isAlive() ? " (alive)" : " (exited)")
              .append(", last lines:\n")
              .append(output.substring(Math.max(0, output.length() - 3_000)));
        }
      }
    } catch (RuntimeException e) {
      text.append("\n(job diagnostics failed: ").append(e).append(')');
    }
    return text.toString();
  }

  private static String lateRecordsOrMissing(ResultTables t) {
    try {
      return String.valueOf(t.lateRecords());
    } catch (Exception e) {
      return "unreadable (" + e.getMessage() + ")";
    }
  }

  private static List<String> rowStrings(List<?> rows) {
    return rows.stream().map(String::valueOf).sorted().collect(Collectors.toList());
  }

  private static String sensorDiff(List<SensorAnomalyRow> expected, List<SensorAnomalyRow> actual) {
    boolean same = expected.size() == actual.size();
    int firstMismatch = -1;
    for (int i = 0; same && i < expected.size(); i++) {
      same = expected.get(i).matches(actual.get(i), SensorAnomalyRow.RELATIVE_TOLERANCE);
      firstMismatch = same ? -1 : i;
    }
    return same
        ? ""
        : "sensor_anomalies: expected "
            + expected.size()
            + " rows, got "
            + actual.size()
            + (firstMismatch < 0
                ? ""
                : "; first mismatch: expected "
                    + expected.get(firstMismatch)
                    + ", got "
                    + actual.get(firstMismatch));
  }

  // ---------------------------------------------------------------------------------------------
  // Kafka

  /**
   * A fresh one-partition topic holding the workload's records of {@code base}, in arrival order.
   */
  private static String topicOf(String base, String topic) throws Exception {
    createTopic(topic);
    Properties props = producerProperties();
    int sent = 0;
    try (KafkaProducer<String, byte[]> kafka =
        new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
      for (GeneratedRecord r : workload.records()) {
        if (r.topic().equals(base)) {
          kafka.send(new ProducerRecord<>(topic, r.key(), r.payload()));
          sent++;
        }
      }
      kafka.flush();
    }
    assertTrue("records for " + topic, sent > 100);
    return topic;
  }

  private static void produce(String topic, List<String> values) throws Exception {
    try (KafkaProducer<String, byte[]> kafka =
        new KafkaProducer<>(
            producerProperties(), new StringSerializer(), new ByteArraySerializer())) {
      for (String value : values) {
        kafka.send(new ProducerRecord<>(topic, value.getBytes(StandardCharsets.UTF_8)));
      }
      kafka.flush();
    }
  }

  private static Properties producerProperties() {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, sandbox.setting("kafka.bootstrap"));
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(8 << 20));
    return props;
  }

  /**
   * One partition: the arrival order is the read order (and a customer's history stays in commit
   * order).
   */
  private static void createTopic(String topic) throws Exception {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, sandbox.setting("kafka.bootstrap"));
    try (AdminClient admin = AdminClient.create(props)) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(topic, 1, (short) 1)
                      .configs(Map.of("max.message.bytes", String.valueOf(8 << 20)))))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
  }
}
