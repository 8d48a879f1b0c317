package io.beamsuite.pipelines;

import static io.beamsuite.pipelines.testing.RowDiff.assertSameRows;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.beamsuite.fixtures.oracle.ClickstreamOracle;
import io.beamsuite.fixtures.oracle.CustomerVersions;
import io.beamsuite.fixtures.oracle.CustomersOracle;
import io.beamsuite.fixtures.oracle.FraudOracle;
import io.beamsuite.fixtures.oracle.FraudParams;
import io.beamsuite.fixtures.oracle.LatePolicy;
import io.beamsuite.fixtures.oracle.Reconciliation;
import io.beamsuite.fixtures.oracle.ResultTables;
import io.beamsuite.fixtures.oracle.SensorAnomalyRow;
import io.beamsuite.fixtures.oracle.SensorParams;
import io.beamsuite.fixtures.oracle.SensorsOracle;
import io.beamsuite.fixtures.services.EmbeddedPostgres;
import io.beamsuite.pipelines.cdc.CdcReplicationOptions;
import io.beamsuite.pipelines.cdc.CdcReplicationPipeline;
import io.beamsuite.pipelines.clickstream.ClickstreamOptions;
import io.beamsuite.pipelines.clickstream.ClickstreamPipeline;
import io.beamsuite.pipelines.fraud.FraudOptions;
import io.beamsuite.pipelines.fraud.FraudPipeline;
import io.beamsuite.pipelines.options.BeamsuiteOptions;
import io.beamsuite.pipelines.sensors.SensorsOptions;
import io.beamsuite.pipelines.sensors.SensorsPipeline;
import io.beamsuite.pipelines.testing.CommittedCounters;
import io.beamsuite.pipelines.testing.Workload;
import io.beamsuite.transforms.dedup.Dedup;
import io.beamsuite.transforms.json.ParseJson;
import io.beamsuite.transforms.windowing.WindowedAggregate;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

/**
 * Every pipeline, bounded, on every runner (Direct, embedded Flink, Spark) over one generated
 * workload with duplicates, disorder, late and malformed records: each run's result tables must
 * equal the independent oracle exactly, so they are also identical across runners; dead letters and
 * counters must reconcile with the oracle's accounting of every record.
 */
@RunWith(Parameterized.class)
public class PipelinesOnEveryRunnerTest {
  private static final int EVENTS = 1_500;
  private static final FraudParams FRAUD = new FraudParams(10, 3, 1, 2);
  // 1.5, not 1.0: a one-reading window against a two-reading one scores exactly +-1.0, a tie.
  private static final SensorParams SENSORS = new SensorParams(5, 1, 1.5);

  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static EmbeddedPostgres postgres;
  private static Workload workload;

  @Parameters(name = "{0}")
  public static List<Object[]> runners() {
    return List.of(
        new Object[] {"direct", new String[] {"--runner=DirectRunner"}},
        new Object[] {
          // The Flink defaults the launcher sets: no copies between operators, bounded runs on
          // the DataStream API in batch mode.
          "flink",
          new String[] {
            "--runner=FlinkRunner",
            "--flinkMaster=[local]",
            "--parallelism=2",
            "--fasterCopy=true",
            "--useDataStreamForBatch=true"
          }
        },
        new Object[] {"spark", new String[] {"--runner=SparkRunner", "--sparkMaster=local[2]"}});
  }

  private final String runner;
  private final String[] runnerArgs;

  public PipelinesOnEveryRunnerTest(String runner, String[] runnerArgs) {
    this.runner = runner;
    this.runnerArgs = runnerArgs;
  }

  @BeforeClass
  public static void startPostgresAndWriteWorkload() throws Exception {
    // Spark binds its driver to the machine's address unless told otherwise.
    System.setProperty("spark.driver.host", "127.0.0.1");
    System.setProperty("spark.driver.bindAddress", "127.0.0.1");
    System.setProperty("spark.ui.enabled", "false");
    postgres = new EmbeddedPostgres().start();
    workload =
        Workload.write(
            Workload.realisticMix(20261123L, EVENTS).build(), TMP.newFolder("workload").toPath());
  }

  @AfterClass
  public static void stopPostgres() {
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  public void clickstreamEqualsTheOracle() throws Exception {
    ResultTables tables = database("clickstream");
    PipelineResult result =
        run(
            ClickstreamOptions.class,
            ClickstreamPipeline::build,
            tables,
            "--source=" + workload.fileSource("clicks"));
    ClickstreamOracle.Result expected =
        ClickstreamOracle.compute(workload.oracleInput(), LatePolicy.none());

    assertSameRows("page_views_per_minute", expected.pageViews(), tables.pageViews());
    assertSameRows("user_sessions", expected.sessions(), tables.userSessions());
    assertSameRows("active_users", expected.activeUsers(), tables.activeUsers());
    assertReconciles(expected.reconciliation(), result, tables, "parse-clicks");
  }

  @Test
  public void fraudEqualsTheOracle() throws Exception {
    ResultTables tables = database("fraud");
    PipelineResult result =
        run(
            FraudOptions.class,
            FraudPipeline::build,
            tables,
            "--source=" + workload.fileSource("transactions"),
            "--customersSource=" + workload.customersFileSource(),
            "--alertsTopic=",
            "--countryWindowMinutes=" + FRAUD.countryWindowMinutes(),
            "--minCountries=" + FRAUD.minCountries(),
            "--velocityWindowMinutes=" + FRAUD.velocityWindowMinutes(),
            "--velocityCount=" + FRAUD.velocityCount());
    FraudOracle.Result expected =
        FraudOracle.compute(
            workload.oracleInput(),
            CustomerVersions.of(workload.customerSnapshot(), workload.customerUpdates()),
            FRAUD,
            LatePolicy.none());

    assertTrue("the workload should raise alerts of every rule", expected.alerts().size() > 10);
    assertSameRows("fraud_alerts", expected.alerts(), tables.fraudAlerts());
    assertReconciles(expected.reconciliation(), result, tables, "parse-transactions");
  }

  @Test
  public void sensorsEqualTheOracle() throws Exception {
    ResultTables tables = database("sensors");
    PipelineResult result =
        run(
            SensorsOptions.class,
            SensorsPipeline::build,
            tables,
            "--source=" + workload.fileSource("sensor-readings"),
            "--windowMinutes=" + SENSORS.windowMinutes(),
            "--periodMinutes=" + SENSORS.periodMinutes(),
            "--zThreshold=" + SENSORS.zThreshold());
    SensorsOracle.Result expected =
        SensorsOracle.compute(workload.oracleInput(), SENSORS, LatePolicy.none());

    assertSameRows(
        "sensor_anomalies",
        expected.rows(),
        tables.sensorAnomalies(),
        (e, a) -> e.matches(a, SensorAnomalyRow.RELATIVE_TOLERANCE));
    assertReconciles(expected.reconciliation(), result, tables, "parse-sensor-readings");
  }

  @Test
  public void cdcReplicaEqualsTheSourceTable() throws Exception {
    ResultTables tables = database("cdc");
    run(
        CdcReplicationOptions.class,
        CdcReplicationPipeline::build,
        tables,
        "--source=" + workload.customersFileSource());

    assertEquals(
        CustomersOracle.finalState(
            workload.customerSnapshot(), workload.customerUpdates(), List.of()),
        tables.customersReplica("customers_replica"));
  }

  private String jdbcUrl(String database) {
    return postgres.jdbcUrl().replace("/" + EmbeddedPostgres.DATABASE, "/" + database);
  }

  /** A fresh database per runner and pipeline, so runs cannot see each other's rows. */
  private ResultTables database(String pipeline) throws Exception {
    String name = runner + "_" + pipeline;
    try (Connection c = postgres.connection();
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + name);
      s.execute("CREATE DATABASE " + name);
    }
    return new ResultTables(jdbcUrl(name), postgres.user());
  }

  private <O extends BeamsuiteOptions> PipelineResult run(
      Class<O> optionsClass, BiConsumer<Pipeline, O> build, ResultTables tables, String... args) {
    List<String> all = new ArrayList<>(Arrays.asList(runnerArgs));
    all.add("--jdbcUrl=" + tables.jdbcUrl());
    all.add("--jdbcUser=" + postgres.user());
    all.addAll(Arrays.asList(args));
    O options = PipelineOptionsFactory.fromArgs(all.toArray(new String[0])).as(optionsClass);
    Pipeline pipeline = Pipeline.create(options);
    build.accept(pipeline, options);
    PipelineResult result = pipeline.run();
    assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
    return result;
  }

  private void assertReconciles(
      Reconciliation expected, PipelineResult result, ResultTables tables, String stage)
      throws Exception {
    assertTrue("oracle accounting must reconcile", expected.reconciles());
    assertEquals(expected.deadLetters(), tables.deadLettersByReason(stage));
    assertEquals(0, tables.lateRecords());
    assertEquals(
        expected.recordsIn(),
        CommittedCounters.ofFinishedRun(result, ParseJson.class, "records_in"));
    assertEquals(
        expected.duplicates(),
        CommittedCounters.ofFinishedRun(result, Dedup.class, "duplicates_dropped"));
    assertEquals(
        0, CommittedCounters.ofFinishedRun(result, WindowedAggregate.class, "late_records"));
  }
}
