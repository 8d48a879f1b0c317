package io.beamsuite.pipelines;

import static io.beamsuite.pipelines.testing.RowDiff.assertSameRows;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.beamsuite.fixtures.EventGenerator;
import io.beamsuite.fixtures.GeneratedRecord;
import io.beamsuite.fixtures.GeneratorConfig;
import io.beamsuite.fixtures.KafkaEventWriter;
import io.beamsuite.fixtures.MalformedCorpus;
import io.beamsuite.fixtures.oracle.ClickstreamOracle;
import io.beamsuite.fixtures.oracle.LatePolicy;
import io.beamsuite.fixtures.oracle.PageViewRow;
import io.beamsuite.fixtures.oracle.RawInput;
import io.beamsuite.fixtures.oracle.Reconciliation;
import io.beamsuite.fixtures.oracle.ResultTables;
import io.beamsuite.fixtures.oracle.SensorAnomalyRow;
import io.beamsuite.fixtures.oracle.SensorParams;
import io.beamsuite.fixtures.oracle.SensorsOracle;
import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.pipelines.clickstream.ClickstreamOptions;
import io.beamsuite.pipelines.clickstream.ClickstreamPipeline;
import io.beamsuite.pipelines.options.BeamsuiteOptions;
import io.beamsuite.pipelines.sensors.SensorsOptions;
import io.beamsuite.pipelines.sensors.SensorsPipeline;
import io.beamsuite.pipelines.testing.CommittedCounters;
import io.beamsuite.pipelines.testing.SandboxProcess;
import io.beamsuite.transforms.dedup.Dedup;
import io.beamsuite.transforms.json.ParseJson;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * Poison records at 10% of the input, through real Kafka into real PostgreSQL, on the Direct runner:
 * the generator's malformed records (the whole dead-letter corpus: empty, oversized, invalid UTF-8,
 * malformed JSON, not an object, missing fields, wrong types, invalid values — including the 1 MiB
 * + 1 KiB record, for which the topics' {@code max.message.bytes} is raised to 4 MiB) plus the
 * corpus's hostile-but-valid records (SQL injection text, control characters, Unicode, script
 * tags). Each pipeline's tables must equal the independent oracle, every dead letter must carry its
 * reason, its raw payload byte for byte and the topic/partition/offset it was read from, and the
 * counts must reconcile: records in = unique + duplicates + dead letters (nothing is late here).
 */
@RunWith(JUnit4.class)
public class PoisonRecordsTest {
  private static final int EVENTS = 400;
  private static final double DUPLICATE_RATE = 0.03;
  private static final SensorParams SENSORS = new SensorParams(5, 1, 1.5);
  private static final int FOUR_MIB = 4 << 20;

  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static SandboxProcess sandbox;
  /** What each topic holds, in offset order (one partition). */
  private static final Map<String, List<RawInput>> WRITTEN = new TreeMap<>();

  @BeforeClass
  public static void writePoisonedTopics() throws Exception {
    sandbox = SandboxProcess.start(TMP.newFolder("sandbox").toPath());
    String bootstrap = sandbox.setting("kafka.bootstrap");
    raiseMaxMessageBytes(bootstrap, List.of(ClickstreamOracle.TOPIC, SensorsOracle.TOPIC));

    List<GeneratedRecord> generated = new ArrayList<>();
    generated.addAll(generate(1, 0));
    generated.addAll(generate(0, 1));
    // Hostile-but-valid records first: their event times (2024-01-01T00:00Z) are the stream's
    // start, so they are on time. One per event_id: two corpus entries share "e-3", and which of
    // two different records with one id survives dedup would depend on processing order.
    java.util.Set<String> hostileIds = new java.util.HashSet<>();
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all"),
            new StringSerializer(),
            new ByteArraySerializer())) {
      for (MalformedCorpus.Entry entry : MalformedCorpus.load()) {
        String id =
            new String(entry.payload(), StandardCharsets.UTF_8)
                .replaceFirst(".*?\"event_id\":\"([^\"]*)\".*", "$1");
        if (hostileFor(entry) && hostileIds.add(id)) {
          producer.send(new ProducerRecord<>(entry.topic(), entry.key(), entry.payload())).get();
          record(RawInput.of(entry.topic(), entry.payload()));
        }
      }
    }
    try (KafkaEventWriter writer = new KafkaEventWriter(bootstrap)) {
      for (GeneratedRecord r : generated) {
        writer.write(r);
        record(RawInput.of(r));
      }
    }
  }

  /**
   * One topic's records: malformed records are 10% of the topic's input including the corpus's
   * hostile-but-valid records written beside them: m = (events + duplicates + hostile) / 9.
   */
  private static List<GeneratedRecord> generate(int clicksWeight, int sensorsWeight) {
    String topic = clicksWeight > 0 ? ClickstreamOracle.TOPIC : SensorsOracle.TOPIC;
    long hostile = MalformedCorpus.load().stream().filter(e -> hostileFor(e) && e.topic().equals(topic)).count();
    double malformedRate = ((1 + DUPLICATE_RATE) * EVENTS + hostile) / (9.0 * EVENTS);
    return EventGenerator.of(
            GeneratorConfig.builder()
                .seed(20261124L + sensorsWeight)
                .eventCount(EVENTS)
                .startTime(Instant.parse("2024-01-01T00:00:00Z"))
                .timeSpan(java.time.Duration.ofMinutes(30))
                .topicWeights(clicksWeight, 0, sensorsWeight)
                .duplicateRate(DUPLICATE_RATE)
                .malformedRate(malformedRate)
                .lateRate(0)
                .sensorCount(4)
                .userCount(30)
                .build())
        .generate();
  }

  private static boolean hostileFor(MalformedCorpus.Entry entry) {
    return !entry.expectsDeadLetter()
        && (ClickstreamOracle.TOPIC.equals(entry.topic()) || SensorsOracle.TOPIC.equals(entry.topic()));
  }

  private static void record(RawInput input) {
    WRITTEN.computeIfAbsent(input.topic(), t -> new ArrayList<>()).add(input);
  }

  @AfterClass
  public static void stopSandbox() throws Exception {
    JdbcConnectionSpec.closeAllPools();
    if (sandbox != null) {
      sandbox.close();
    }
  }

  @Test
  public void clickstreamDeadLettersEveryPoisonRecordAndReconciles() throws Exception {
    List<RawInput> input = WRITTEN.get(ClickstreamOracle.TOPIC);
    ResultTables tables = database("poison_clickstream");
    PipelineResult result =
        run(ClickstreamOptions.class, ClickstreamPipeline::build, tables, input.size());
    ClickstreamOracle.Result expected = ClickstreamOracle.compute(input, LatePolicy.none());

    // PostgreSQL text cannot hold U+0000: the page-view row of the corpus's control-character click
    // is refused by the database and kept as a dead letter of the write stage, with the row.
    List<PageViewRow> storable = new ArrayList<>();
    long unstorable = 0;
    for (PageViewRow row : expected.pageViews()) {
      if (row.page().indexOf('\u0000') >= 0) {
        unstorable++;
      } else {
        storable.add(row);
      }
    }
    assertEquals("the corpus's NUL click makes one page-view row", 1, unstorable);
    assertSameRows("page_views_per_minute", storable, tables.pageViews());
    assertSameRows("user_sessions", expected.sessions(), tables.userSessions());
    assertSameRows("active_users", expected.activeUsers(), tables.activeUsers());
    assertEquals(
        Map.of("write-page_views_per_minute|data_exception", unstorable),
        writeDeadLetters(tables, "parse-clicks"));
    assertPoisonAccounted(expected.reconciliation(), result, tables, "parse-clicks", input);
    assertTrue(
        "the 1 MiB + 1 KiB record must be dead-lettered: " + expected.reconciliation().deadLetters(),
        expected.reconciliation().deadLetters().containsKey(MalformedCorpus.PAYLOAD_TOO_LARGE));
  }

  @Test
  public void sensorsDeadLettersEveryPoisonRecordAndReconciles() throws Exception {
    List<RawInput> input = WRITTEN.get(SensorsOracle.TOPIC);
    ResultTables tables = database("poison_sensors");
    PipelineResult result =
        run(
            SensorsOptions.class,
            SensorsPipeline::build,
            tables,
            input.size(),
            "--windowMinutes=" + SENSORS.windowMinutes(),
            "--periodMinutes=" + SENSORS.periodMinutes(),
            "--zThreshold=" + SENSORS.zThreshold());
    SensorsOracle.Result expected = SensorsOracle.compute(input, SENSORS, LatePolicy.none());

    assertSameRows(
        "sensor_anomalies",
        expected.rows(),
        tables.sensorAnomalies(),
        (e, a) -> e.matches(a, SensorAnomalyRow.RELATIVE_TOLERANCE));
    assertEquals(Map.of(), writeDeadLetters(tables, "parse-sensor-readings"));
    assertPoisonAccounted(expected.reconciliation(), result, tables, "parse-sensor-readings", input);
  }

  private static void assertPoisonAccounted(
      Reconciliation expected,
      PipelineResult result,
      ResultTables tables,
      String stage,
      List<RawInput> input)
      throws Exception {
    long malformed = expected.deadLetterCount();
    System.out.printf(
        "%s: %d records in, %d dead letters (%.1f%%) %s, %d duplicates, %d unique%n",
        stage,
        expected.recordsIn(),
        malformed,
        100.0 * malformed / expected.recordsIn(),
        expected.deadLetters(),
        expected.duplicates(),
        expected.unique());
    assertTrue("oracle accounting must reconcile", expected.reconciles());
    double share = (double) malformed / expected.recordsIn();
    assertTrue("poison must be 10% of the input, is " + share, share > 0.095 && share < 0.105);
    assertEquals(input.size(), expected.recordsIn());

    // Every dead letter: its reason, and the raw bytes found at its source coordinates.
    assertEquals(expected.deadLetters(), tables.deadLettersByReason(stage));
    String topic = input.get(0).topic();
    int checked = 0;
    try (Connection c = DriverManager.getConnection(tables.jdbcUrl(), sandbox.setting("postgres.user"), "");
        PreparedStatement q =
            c.prepareStatement(
                "SELECT source_topic, source_partition, source_offset, payload, reason"
                    + " FROM dead_letters WHERE stage = ? ORDER BY source_offset")) {
      q.setString(1, stage);
      ResultSet rs = q.executeQuery();
      while (rs.next()) {
        assertEquals(topic, rs.getString(1));
        assertEquals(0, rs.getInt(2));
        long offset = rs.getLong(3);
        assertTrue("offset " + offset, !rs.wasNull() && offset >= 0 && offset < input.size());
        assertArrayEquals(
            "payload of the dead letter at offset " + offset + " (" + rs.getString(5) + ")",
            input.get((int) offset).payload(),
            rs.getBytes(4));
        checked++;
      }
    }
    assertEquals(malformed, checked);

    // Counts reconcile: in = unique + duplicates + dead letters, and nothing is late.
    long in = CommittedCounters.ofFinishedRun(result, ParseJson.class, "records_in");
    long duplicates = CommittedCounters.ofFinishedRun(result, Dedup.class, "duplicates_dropped");
    assertEquals(expected.recordsIn(), in);
    assertEquals(expected.duplicates(), duplicates);
    assertEquals(0, tables.lateRecords());
    assertEquals(in, expected.unique() + duplicates + checked);
  }

  /** Dead letters of stages other than {@code parseStage}, counted by "stage|reason". */
  private static Map<String, Long> writeDeadLetters(ResultTables tables, String parseStage)
      throws Exception {
    Map<String, Long> counts = new TreeMap<>();
    try (Connection c =
            DriverManager.getConnection(tables.jdbcUrl(), sandbox.setting("postgres.user"), "");
        PreparedStatement q =
            c.prepareStatement(
                "SELECT stage || '|' || reason, count(*) FROM dead_letters WHERE stage <> ?"
                    + " GROUP BY 1")) {
      q.setString(1, parseStage);
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          counts.put(rs.getString(1), rs.getLong(2));
        }
      }
    }
    return counts;
  }

  private static void raiseMaxMessageBytes(String bootstrap, Collection<String> topics)
      throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      Map<ConfigResource, Collection<AlterConfigOp>> changes = new TreeMap<>(
          java.util.Comparator.comparing(ConfigResource::name));
      for (String topic : topics) {
        changes.put(
            new ConfigResource(ConfigResource.Type.TOPIC, topic),
            List.of(
                new AlterConfigOp(
                    new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(FOUR_MIB)),
                    AlterConfigOp.OpType.SET)));
      }
      admin.incrementalAlterConfigs(changes).all().get(60, TimeUnit.SECONDS);
    }
  }

  /** A fresh database in the sandbox's PostgreSQL, so the two runs cannot see each other's rows. */
  private static ResultTables database(String name) throws Exception {
    return new ResultTables(sandbox.createDatabase(name), sandbox.setting("postgres.user"));
  }

  private static <O extends BeamsuiteOptions> PipelineResult run(
      Class<O> optionsClass,
      BiConsumer<Pipeline, O> build,
      ResultTables tables,
      long records,
      String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--runner=DirectRunner",
                "--source=kafka",
                "--bootstrapServers=" + sandbox.setting("kafka.bootstrap"),
                "--maxRecords=" + records,
                // A safety net only: the run ends when all records are read.
                "--maxReadSeconds=240",
                // The generated disorder is 30 s; a generous bound keeps every record on time.
                "--maxOutOfOrdernessSeconds=3600",
                // Dead letters also go to Kafka: the oversized record's must not fail the job.
                "--deadLetterTopic=dead-letters",
                "--jdbcUrl=" + tables.jdbcUrl(),
                "--jdbcUser=" + sandbox.setting("postgres.user")));
    args.addAll(List.of(extra));
    O options = PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).as(optionsClass);
    Pipeline pipeline = Pipeline.create(options);
    build.accept(pipeline, options);
    Instant start = Instant.now();
    PipelineResult result = pipeline.run();
    assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
    System.out.printf(
        "%s: %d records in %d ms%n",
        optionsClass.getSimpleName(), records, java.time.Duration.between(start, Instant.now()).toMillis());
    return result;
  }
}
