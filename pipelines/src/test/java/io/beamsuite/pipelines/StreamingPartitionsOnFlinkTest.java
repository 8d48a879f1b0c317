package io.beamsuite.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.beamsuite.fixtures.generator.GeneratedRecord;
import io.beamsuite.fixtures.oracle.ClickstreamOracle;
import io.beamsuite.fixtures.oracle.CustomerVersions;
import io.beamsuite.fixtures.oracle.FraudOracle;
import io.beamsuite.fixtures.oracle.FraudParams;
import io.beamsuite.fixtures.oracle.LatePolicy;
import io.beamsuite.fixtures.oracle.ResultTables;
import io.beamsuite.fixtures.oracle.SensorAnomalyRow;
import io.beamsuite.fixtures.oracle.SensorParams;
import io.beamsuite.fixtures.oracle.SensorsOracle;
import io.beamsuite.pipelines.clickstream.ClickstreamOptions;
import io.beamsuite.pipelines.clickstream.ClickstreamPipeline;
import io.beamsuite.pipelines.fraud.FraudOptions;
import io.beamsuite.pipelines.fraud.FraudPipeline;
import io.beamsuite.pipelines.options.BeamsuiteOptions;
import io.beamsuite.pipelines.sensors.SensorsOptions;
import io.beamsuite.pipelines.sensors.SensorsPipeline;
import io.beamsuite.pipelines.testing.SandboxProcess;
import io.beamsuite.pipelines.testing.Workload;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

/**
 * Streaming pipelines on embedded Flink reading Kafka topics with fewer, as many and more
 * partitions than the parallelism. Before the fix a source subtask without a partition held every
 * event-time window shut: with one partition at parallelism 2 nothing was ever written.
 *
 * <p>Each case writes one generated workload (event times in the past, duplicates, disorder,
 * malformed records) to a fresh topic of the given partition count, keyed by entity id, then runs
 * the pipeline unbounded from it. The allowed lateness covers the workload's disorder, so nothing
 * is late; once a reader has caught up, KafkaIO moves its partition's watermark to the wall clock
 * minus the out-of-orderness, which closes every window. The tables must then equal the independent
 * oracle exactly, within a bounded wait.
 */
@RunWith(Parameterized.class)
public class StreamingPartitionsOnFlinkTest {
  private static final int EVENTS = 1_200;
  private static final FraudParams FRAUD = new FraudParams(10, 3, 1, 2);
  private static final SensorParams SENSORS = new SensorParams(5, 1, 1.5);
  private static final Duration CONVERGE_WITHIN = Duration.ofSeconds(150);

  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static SandboxProcess sandbox;
  private static Workload workload;

  @Parameters(name = "{0}: {1} partition(s), parallelism {2}")
  public static List<Object[]> cases() {
    List<Object[]> cases = new ArrayList<>();
    for (String pipeline : List.of("clickstream", "fraud", "sensors")) {
      for (int partitions : new int[] {1, 2, 3}) {
        cases.add(new Object[] {pipeline, partitions, 2});
      }
    }
    cases.add(new Object[] {"clickstream", 1, 4});
    return cases;
  }

  private final String pipeline;
  private final int partitions;
  private final int parallelism;

  public StreamingPartitionsOnFlinkTest(String pipeline, int partitions, int parallelism) {
    this.pipeline = pipeline;
    this.partitions = partitions;
    this.parallelism = parallelism;
  }

  @BeforeClass
  public static void startSandbox() throws Exception {
    sandbox = SandboxProcess.start(TMP.newFolder("sandbox").toPath());
    workload =
        Workload.write(
            Workload.realisticMix(20261206L, EVENTS).build(), TMP.newFolder("workload").toPath());
  }

  @AfterClass
  public static void stopSandbox() throws Exception {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  @Test
  public void tablesEqualTheOracle() throws Exception {
    String name = pipeline + "_" + partitions + "_" + parallelism;
    // Polled while the streaming job runs: a table appears with its first row.
    ResultTables tables =
        new ResultTables(sandbox.createDatabase(name), sandbox.setting("postgres.user"))
            .allowingMissingTables();
    switch (pipeline) {
      case "clickstream":
        runUntilEqual(
            ClickstreamOptions.class,
            ClickstreamPipeline::build,
            tables,
            () -> {
              ClickstreamOracle.Result expected =
                  ClickstreamOracle.compute(workload.oracleInput(), LatePolicy.none());
              return List.of(
                  diff("page_views_per_minute", expected.pageViews(), tables.pageViews()),
                  diff("user_sessions", expected.sessions(), tables.userSessions()),
                  diff("active_users", expected.activeUsers(), tables.activeUsers()));
            },
            "--clicksTopic=" + topic("clicks", name));
        break;
      case "fraud":
        runUntilEqual(
            FraudOptions.class,
            FraudPipeline::build,
            tables,
            () -> {
              FraudOracle.Result expected =
                  FraudOracle.compute(
                      workload.oracleInput(),
                      CustomerVersions.of(workload.customerSnapshot(), workload.customerUpdates()),
                      FRAUD,
                      LatePolicy.none());
              assertTrue("the workload raises alerts", expected.alerts().size() > 5);
              return List.of(diff("fraud_alerts", expected.alerts(), tables.fraudAlerts()));
            },
            "--transactionsTopic=" + topic("transactions", name),
            "--customersSource=" + workload.customersFileSource(),
            "--alertsTopic=",
            "--countryWindowMinutes=" + FRAUD.countryWindowMinutes(),
            "--minCountries=" + FRAUD.minCountries(),
            "--velocityWindowMinutes=" + FRAUD.velocityWindowMinutes(),
            "--velocityCount=" + FRAUD.velocityCount());
        break;
      case "sensors":
        runUntilEqual(
            SensorsOptions.class,
            SensorsPipeline::build,
            tables,
            () -> {
              List<SensorAnomalyRow> expected =
                  SensorsOracle.compute(workload.oracleInput(), SENSORS, LatePolicy.none()).rows();
              assertTrue("the workload has anomalies", !expected.isEmpty());
              List<SensorAnomalyRow> actual = tables.sensorAnomalies();
              boolean same = expected.size() == actual.size();
              for (int i = 0; same && i < expected.size(); i++) {
                same = expected.get(i).matches(actual.get(i), SensorAnomalyRow.RELATIVE_TOLERANCE);
              }
              return List.of(
                  same
                      ? ""
                      : "sensor_anomalies: expected "
                          + expected.size()
                          + " rows, got "
                          + actual.size());
            },
            "--readingsTopic=" + topic("sensor-readings", name),
            "--windowMinutes=" + SENSORS.windowMinutes(),
            "--periodMinutes=" + SENSORS.periodMinutes(),
            "--zThreshold=" + SENSORS.zThreshold());
        break;
      default:
        throw new IllegalArgumentException(pipeline);
    }
    assertEquals(
        "nothing is late under an allowed lateness covering the disorder", 0, tables.lateRecords());
  }

  /** What the tables still lack, one entry per table ("" when equal). */
  private interface Comparison {
    List<String> differences() throws Exception;
  }

  private <O extends BeamsuiteOptions> void runUntilEqual(
      Class<O> optionsClass,
      BiConsumer<Pipeline, O> build,
      ResultTables tables,
      Comparison comparison,
      String... args)
      throws Exception {
    List<String> all =
        new ArrayList<>(
            List.of(
                "--runner=FlinkRunner",
                "--flinkMaster=[local]",
                "--parallelism=" + parallelism,
                "--streaming=true",
                "--attachedMode=false",
                "--source=kafka",
                "--bootstrapServers=" + sandbox.setting("kafka.bootstrap"),
                "--maxOutOfOrdernessSeconds=2",
                "--allowedLatenessSeconds=7200",
                "--jdbcUrl=" + tables.jdbcUrl(),
                "--jdbcUser=" + sandbox.setting("postgres.user")));
    if (parallelism > 2) {
      // Checkpoints go on while the padding subtasks have finished.
      all.add("--checkpointingInterval=2000");
    }
    all.addAll(Arrays.asList(args));
    O options = PipelineOptionsFactory.fromArgs(all.toArray(new String[0])).as(optionsClass);
    Pipeline p = Pipeline.create(options);
    build.accept(p, options);
    PipelineResult result = p.run();
    long started = System.nanoTime();
    List<String> last = List.of("nothing compared yet");
    try {
      long deadline = started + CONVERGE_WITHIN.toNanos();
      while (System.nanoTime() < deadline) {
        last = comparison.differences();
        if (last.stream().allMatch(String::isEmpty)) {
          System.out.printf(
              "%s with %d partition(s) at parallelism %d equal to the oracle after %.1f s%n",
              pipeline, partitions, parallelism, (System.nanoTime() - started) / 1e9);
          return;
        }
        Thread.sleep(2_000);
      }
      fail("not equal to the oracle within " + CONVERGE_WITHIN + ": " + last);
    } finally {
      result.cancel();
    }
  }

  private static <T> String diff(String table, List<T> expected, List<T> actual) {
    if (expected.isEmpty()) {
      throw new AssertionError("the oracle expects no " + table + " rows: the case proves nothing");
    }
    if (Objects.equals(expected, actual)) {
      return "";
    }
    return table + ": expected " + expected.size() + " rows, got " + actual.size();
  }

  /**
   * A fresh topic of this case's partition count holding the workload's records of {@code base}.
   */
  private String topic(String base, String caseName) throws Exception {
    String topic = base + "-" + caseName;
    String bootstrap = sandbox.setting("kafka.bootstrap");
    Properties admin = new Properties();
    admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin client = Admin.create(admin)) {
      client
          .createTopics(
              List.of(
                  new NewTopic(topic, partitions, (short) 1)
                      .configs(Map.of("max.message.bytes", String.valueOf(8 << 20)))))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
    Properties producer = new Properties();
    producer.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    producer.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    producer.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    producer.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(8 << 20));
    int sent = 0;
    try (KafkaProducer<String, byte[]> kafka = new KafkaProducer<>(producer)) {
      for (GeneratedRecord r : workload.records()) {
        if (r.topic().equals(base)) {
          kafka.send(new ProducerRecord<>(topic, r.key(), r.payload())).get();
          sent++;
        }
      }
    }
    assertTrue("records for " + topic, sent > 100);
    return topic;
  }
}
