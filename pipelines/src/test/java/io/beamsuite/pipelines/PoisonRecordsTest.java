package io.beamsuite.pipelines;

import static io.beamsuite.pipelines.testing.RowDiff.assertSameRows;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import io.beamsuite.fixtures.generator.CustomerRow;
import io.beamsuite.fixtures.generator.EventGenerator;
import io.beamsuite.fixtures.generator.GeneratedRecord;
import io.beamsuite.fixtures.generator.GeneratorConfig;
import io.beamsuite.fixtures.generator.KafkaEventWriter;
import io.beamsuite.fixtures.generator.MalformedCorpus;
import io.beamsuite.fixtures.oracle.ClickstreamOracle;
import io.beamsuite.fixtures.oracle.CustomerVersions;
import io.beamsuite.fixtures.oracle.CustomersOracle;
import io.beamsuite.fixtures.oracle.EventValidator;
import io.beamsuite.fixtures.oracle.FraudOracle;
import io.beamsuite.fixtures.oracle.FraudParams;
import io.beamsuite.fixtures.oracle.LatePolicy;
import io.beamsuite.fixtures.oracle.PageViewRow;
import io.beamsuite.fixtures.oracle.ParseOutcome;
import io.beamsuite.fixtures.oracle.RawInput;
import io.beamsuite.fixtures.oracle.Reconciliation;
import io.beamsuite.fixtures.oracle.ResultTables;
import io.beamsuite.fixtures.oracle.SensorAnomalyRow;
import io.beamsuite.fixtures.oracle.SensorParams;
import io.beamsuite.fixtures.oracle.SensorsOracle;
import io.beamsuite.io.jdbc.JdbcConnectionSpec;
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
import io.beamsuite.pipelines.testing.SandboxProcess;
import io.beamsuite.pipelines.testing.Workload;
import io.beamsuite.transforms.cdc.ApplyChanges;
import io.beamsuite.transforms.cdc.DebeziumJson;
import io.beamsuite.transforms.dedup.Dedup;
import io.beamsuite.transforms.json.ParseJson;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
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
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

/**
 * Poison records at 10% of the input of each of the four pipelines (clickstream, fraud, sensors,
 * cdc-replication), through real Kafka into real PostgreSQL, on the Direct runner and on embedded
 * Flink. Event topics get the generator's malformed records (the whole dead-letter corpus: empty,
 * oversized, invalid UTF-8, malformed JSON, not an object, missing fields, wrong types, invalid
 * values — including the 1 MiB + 1 KiB record, for which the topics' {@code max.message.bytes} is
 * raised to 4 MiB) plus the corpus's hostile-but-valid records (SQL injection text, control
 * characters, Unicode, script tags); the change topic gets unreadable records and broken Debezium
 * envelopes, each with the reason this test expects. Each pipeline's tables must equal the
 * independent oracle, every dead letter must carry its reason, its raw payload byte for byte and
 * the topic/partition/offset it was read from, and the counts must reconcile: records in = unique +
 * duplicates + dead letters (nothing is late here).
 *
 * <p>Half the duplicates differ from their first arrival in one non-key field (page, amount,
 * value): the results must be the first arrival's (the oracle's), and the test first shows that
 * "last arrival wins" would give different rows, so the comparison can tell the two apart. On Flink
 * this is what {@code Dedup.withSourceOrder} is for: Flink's batch translation groups a keyed
 * step's input with a sort that does not keep arrival order (before it, one divergent duplicate of
 * six won in clicks, transactions and sensor readings here). On Flink the change topic's changes
 * also reach {@code ApplyChanges} out of order, where the position guard drops the older ones as
 * stale.
 */
@RunWith(Parameterized.class)
public class PoisonRecordsTest {
  private static final int EVENTS = 400;
  private static final double DUPLICATE_RATE = 0.03;
  private static final SensorParams SENSORS = new SensorParams(5, 1, 1.5);
  private static final FraudParams FRAUD = new FraudParams(10, 3, 1, 2);
  private static final int FOUR_MIB = 4 << 20;
  private static final String CHANGES_TOPIC = "poison-customer-changes";
  private static final String CHANGES_STAGE = "parse-customer-changes";

  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static SandboxProcess sandbox;

  /**
   * What each Kafka topic holds, in offset order (one partition), under the oracle's topic names.
   */
  private static final Map<String, List<RawInput>> WRITTEN = new TreeMap<>();

  /** The reason expected for each poison record of the change topic, by offset. */
  private static final Map<Long, String> CHANGE_POISON = new TreeMap<>();

  private static EventGenerator transactionsGenerator;
  private static Path customersFile;

  @Parameters(name = "{0}")
  public static List<Object[]> runners() {
    return List.of(
        new Object[] {"direct", new String[] {"--runner=DirectRunner"}},
        new Object[] {
          "flink", new String[] {"--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2"}
        });
  }

  private final String runner;
  private final String[] runnerArgs;

  public PoisonRecordsTest(String runner, String[] runnerArgs) {
    this.runner = runner;
    this.runnerArgs = runnerArgs;
  }

  @BeforeClass
  public static void writePoisonedTopics() throws Exception {
    sandbox = SandboxProcess.start(TMP.newFolder("sandbox").toPath());
    String bootstrap = sandbox.setting("kafka.bootstrap");
    List<String> eventTopics =
        List.of(ClickstreamOracle.TOPIC, FraudOracle.TOPIC, SensorsOracle.TOPIC);
    raiseMaxMessageBytes(bootstrap, eventTopics);

    List<GeneratedRecord> generated = new ArrayList<>();
    generated.addAll(generate(1, 0, 0, 0.5).generate());
    transactionsGenerator = generate(0, 1, 0, 0.5);
    generated.addAll(transactionsGenerator.generate());
    generated.addAll(generate(0, 0, 1, 0.5).generate());
    customersFile = TMP.newFile("customers.jsonl").toPath();
    Files.write(
        customersFile, Workload.customerChanges(transactionsGenerator), StandardCharsets.UTF_8);

    // Hostile-but-valid records first: their event times (2024-01-01T00:00Z) are the stream's
    // start, so they are on time. One per event_id: two corpus entries share "e-3" and differ in
    // more than one field; the generator's divergent duplicates are what tests first arrival.
    Set<String> hostileIds = new HashSet<>();
    try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
      for (MalformedCorpus.Entry entry : MalformedCorpus.load()) {
        if (hostileFor(entry) && hostileIds.add(eventIdOf(entry.payload()))) {
          producer.send(new ProducerRecord<>(entry.topic(), entry.key(), entry.payload())).get();
          record(entry.topic(), RawInput.of(entry.topic(), entry.payload()));
        }
      }
      writeChangeTopic(bootstrap, producer);
      producer.flush();
    }
    try (KafkaEventWriter writer = new KafkaEventWriter(bootstrap)) {
      for (GeneratedRecord r : generated) {
        writer.write(r);
        record(r.topic(), RawInput.of(r));
      }
    }
  }

  /**
   * One topic's generator: malformed records are 10% of the topic's input including the corpus's
   * hostile-but-valid records written beside them: m = (events + duplicates + hostile) / 9.
   */
  private static EventGenerator generate(
      int clicks, int transactions, int sensors, double divergentDuplicateShare) {
    String topic =
        clicks > 0
            ? ClickstreamOracle.TOPIC
            : transactions > 0 ? FraudOracle.TOPIC : SensorsOracle.TOPIC;
    long hostile =
        MalformedCorpus.load().stream()
            .filter(e -> hostileFor(e) && e.topic().equals(topic))
            .count();
    double malformedRate = ((1 + DUPLICATE_RATE) * EVENTS + hostile) / (9.0 * EVENTS);
    return EventGenerator.of(
        GeneratorConfig.builder()
            .seed(20261124L + transactions * 2L + sensors)
            .eventCount(EVENTS)
            .startTime(Instant.parse("2024-01-01T00:00:00Z"))
            .timeSpan(Duration.ofMinutes(30))
            .topicWeights(clicks, transactions, sensors)
            .duplicateRate(DUPLICATE_RATE)
            .divergentDuplicateShare(divergentDuplicateShare)
            .malformedRate(malformedRate)
            .lateRate(0)
            .sensorCount(4)
            .userCount(30)
            .customerCount(40)
            .customerUpdateCount(50)
            .build());
  }

  private static boolean hostileFor(MalformedCorpus.Entry entry) {
    return !entry.expectsDeadLetter() && entry.topic() != null;
  }

  /**
   * The change topic: the customers' history as Debezium envelopes (snapshot, then updates), with a
   * poison record after every ninth envelope, so poison is 10% of the topic. Poison is what a
   * change topic can carry: unreadable bytes from the corpus, and envelopes Debezium would never
   * write (no op, an op that is not a row change, no row, no key, no position, a row of the wrong
   * shape), each with the reason expected for it.
   */
  private static void writeChangeTopic(String bootstrap, KafkaProducer<String, byte[]> producer)
      throws Exception {
    createTopics(bootstrap, List.of(CHANGES_TOPIC));
    Map<byte[], String> poison = new LinkedHashMap<>();
    for (String reason :
        List.of(
            MalformedCorpus.INVALID_UTF8,
            MalformedCorpus.MALFORMED_JSON,
            MalformedCorpus.NOT_A_JSON_OBJECT,
            MalformedCorpus.PAYLOAD_TOO_LARGE)) {
      MalformedCorpus.Entry entry =
          MalformedCorpus.load().stream()
              .filter(e -> e.expectedReason().equals(reason))
              // "null" is a tombstone on a change topic, not a dead letter.
              .filter(e -> !new String(e.payload(), StandardCharsets.UTF_8).trim().equals("null"))
              .findFirst()
              .orElseThrow();
      poison.put(entry.payload(), reason);
    }
    String row =
        "{\"customer_id\":\"c-99999\",\"name\":\"X\",\"tier\":\"gold\",\"home_country\":\"GB\","
            + "\"credit_limit_cents\":1,\"updated_at\":\"2024-01-01T00:00:00Z\"}";
    String source = "\"source\":{\"lsn\":1,\"ts_ms\":1704067200000}";
    poison.put(utf8("{\"before\":null,\"after\":" + row + "," + source + "}"), "missing_op");
    poison.put(utf8("{\"before\":null,\"after\":null," + source + ",\"op\":\"t\"}"), "unknown_op");
    poison.put(utf8("{\"before\":null,\"after\":null," + source + ",\"op\":\"c\"}"), "missing_row");
    poison.put(
        utf8(
            "{\"before\":null,\"after\":"
                + row.replace("\"customer_id\":\"c-99999\",", "")
                + ","
                + source
                + ",\"op\":\"c\"}"),
        "missing_key");
    poison.put(
        utf8(
            "{\"before\":null,\"after\":"
                + row
                + ",\"source\":{\"ts_ms\":1704067200000},\"op\":\"c\"}"),
        "missing_source_position");
    poison.put(
        utf8(
            "{\"before\":null,\"after\":{\"customer_id\":\"c-99999\",\"credit_limit_cents\":\"lots\"},"
                + source
                + ",\"op\":\"c\"}"),
        "invalid_row");

    List<String> envelopes = Workload.customerChanges(transactionsGenerator);
    List<Map.Entry<byte[], String>> poisonQueue = new ArrayList<>(poison.entrySet());
    assertEquals("poison is 10% of the change topic", envelopes.size(), 9 * poisonQueue.size());
    long offset = 0;
    for (int i = 0; i < envelopes.size(); i++) {
      String customerId = envelopes.get(i).replaceFirst(".*?\"customer_id\":\"([^\"]*)\".*", "$1");
      producer.send(new ProducerRecord<>(CHANGES_TOPIC, customerId, utf8(envelopes.get(i)))).get();
      record(CHANGES_TOPIC, RawInput.ofJson(CHANGES_TOPIC, envelopes.get(i)));
      offset++;
      if (i % 9 == 8) {
        Map.Entry<byte[], String> p = poisonQueue.get(i / 9);
        producer.send(new ProducerRecord<>(CHANGES_TOPIC, null, p.getKey())).get();
        record(CHANGES_TOPIC, RawInput.of(CHANGES_TOPIC, p.getKey()));
        CHANGE_POISON.put(offset++, p.getValue());
      }
    }
  }

  private static void record(String kafkaTopic, RawInput input) {
    WRITTEN.computeIfAbsent(kafkaTopic, t -> new ArrayList<>()).add(input);
  }

  /** One-partition topics that take the oversized record. */
  private static void createTopics(String bootstrap, List<String> topics) throws Exception {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      List<NewTopic> newTopics = new ArrayList<>();
      for (String topic : topics) {
        newTopics.add(
            new NewTopic(topic, 1, (short) 1)
                .configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(FOUR_MIB))));
      }
      admin.createTopics(newTopics).all().get(60, TimeUnit.SECONDS);
    }
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
    String topic = ClickstreamOracle.TOPIC;
    List<RawInput> input = WRITTEN.get(topic);
    ResultTables tables = database("clickstream");
    PipelineResult result =
        run(
            ClickstreamOptions.class,
            ClickstreamPipeline::build,
            tables,
            input.size(),
            "--clicksTopic=" + topic);
    ClickstreamOracle.Result expected = ClickstreamOracle.compute(input, LatePolicy.none());
    assertNotEquals(
        "last arrival wins would count other pages",
        expected.pageViews(),
        ClickstreamOracle.compute(lastArrivalWins(input), LatePolicy.none()).pageViews());

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
        otherDeadLetters(tables, "parse-clicks"));
    assertPoisonAccounted(expected.reconciliation(), result, tables, "parse-clicks", topic, input);
    assertTrue(
        "the 1 MiB + 1 KiB record must be dead-lettered: "
            + expected.reconciliation().deadLetters(),
        expected.reconciliation().deadLetters().containsKey(MalformedCorpus.PAYLOAD_TOO_LARGE));
  }

  @Test
  public void fraudDeadLettersEveryPoisonRecordAndReconciles() throws Exception {
    String topic = FraudOracle.TOPIC;
    List<RawInput> input = WRITTEN.get(topic);
    ResultTables tables = database("fraud");
    PipelineResult result =
        run(
            FraudOptions.class,
            FraudPipeline::build,
            tables,
            input.size(),
            "--transactionsTopic=" + topic,
            "--customersSource=file:" + customersFile,
            "--alertsTopic=",
            "--countryWindowMinutes=" + FRAUD.countryWindowMinutes(),
            "--minCountries=" + FRAUD.minCountries(),
            "--velocityWindowMinutes=" + FRAUD.velocityWindowMinutes(),
            "--velocityCount=" + FRAUD.velocityCount());
    CustomerVersions customers =
        CustomerVersions.of(
            transactionsGenerator.customerSnapshot(), transactionsGenerator.customerUpdates());
    FraudOracle.Result expected = FraudOracle.compute(input, customers, FRAUD, LatePolicy.none());
    assertNotEquals(
        "last arrival wins would raise other amount alerts",
        expected.alerts(),
        FraudOracle.compute(lastArrivalWins(input), customers, FRAUD, LatePolicy.none()).alerts());

    assertSameRows("fraud_alerts", expected.alerts(), tables.fraudAlerts());
    assertEquals(Map.of(), otherDeadLetters(tables, "parse-transactions"));
    assertPoisonAccounted(
        expected.reconciliation(), result, tables, "parse-transactions", topic, input);
  }

  @Test
  public void sensorsDeadLetterEveryPoisonRecordAndReconcile() throws Exception {
    String topic = SensorsOracle.TOPIC;
    List<RawInput> input = WRITTEN.get(topic);
    ResultTables tables = database("sensors");
    PipelineResult result =
        run(
            SensorsOptions.class,
            SensorsPipeline::build,
            tables,
            input.size(),
            "--readingsTopic=" + topic,
            "--windowMinutes=" + SENSORS.windowMinutes(),
            "--periodMinutes=" + SENSORS.periodMinutes(),
            "--zThreshold=" + SENSORS.zThreshold());
    SensorsOracle.Result expected = SensorsOracle.compute(input, SENSORS, LatePolicy.none());
    assertNotEquals(
        "last arrival wins would give other means",
        expected.rows(),
        SensorsOracle.compute(lastArrivalWins(input), SENSORS, LatePolicy.none()).rows());

    assertSameRows(
        "sensor_anomalies",
        expected.rows(),
        tables.sensorAnomalies(),
        (e, a) -> e.matches(a, SensorAnomalyRow.RELATIVE_TOLERANCE));
    assertEquals(Map.of(), otherDeadLetters(tables, "parse-sensor-readings"));
    assertPoisonAccounted(
        expected.reconciliation(), result, tables, "parse-sensor-readings", topic, input);
  }

  @Test
  public void cdcReplicationDeadLettersEveryPoisonRecordAndReplicates() throws Exception {
    List<RawInput> input = WRITTEN.get(CHANGES_TOPIC);
    ResultTables tables = database("cdc");
    PipelineResult result =
        run(
            CdcReplicationOptions.class,
            CdcReplicationPipeline::build,
            tables,
            input.size(),
            "--changesTopic=" + CHANGES_TOPIC);

    List<CustomerRow> snapshot = transactionsGenerator.customerSnapshot();
    List<CustomerRow> updates = transactionsGenerator.customerUpdates();
    assertEquals(
        CustomersOracle.finalState(snapshot, updates, List.of()),
        tables.customersReplica("customers_replica"));

    long poison = CHANGE_POISON.size();
    System.out.printf(
        "%s %s: %d records in, %d dead letters (%.1f%%)%n",
        runner, CHANGES_STAGE, input.size(), poison, 100.0 * poison / input.size());
    assertEquals(0.1, (double) poison / input.size(), 1e-9);
    Map<String, Long> byReason = new TreeMap<>();
    CHANGE_POISON.values().forEach(r -> byReason.merge(r, 1L, Long::sum));
    assertEquals(byReason, tables.deadLettersByReason(CHANGES_STAGE));
    Map<Long, String> reasonsByOffset = new TreeMap<>();
    assertEquals(
        poison,
        checkDeadLetterPayloads(tables, CHANGES_STAGE, CHANGES_TOPIC, input, reasonsByOffset));
    assertEquals(CHANGE_POISON, reasonsByOffset);
    assertEquals(Map.of(), otherDeadLetters(tables, CHANGES_STAGE));

    // Every record is a change or a dead letter; every change is applied or, when it reached
    // ApplyChanges after a later change of its key, dropped as stale.
    long in = CommittedCounters.ofFinishedRun(result, DebeziumJson.class, "records_in");
    long changes = CommittedCounters.ofFinishedRun(result, DebeziumJson.class, "changes");
    assertEquals(input.size(), in);
    assertEquals(snapshot.size() + updates.size(), changes);
    assertEquals(0, CommittedCounters.ofFinishedRun(result, DebeziumJson.class, "tombstones"));
    assertEquals(
        poison, CommittedCounters.ofFinishedRun(result, DebeziumJson.class, "dead_letters"));
    assertEquals(in, changes + poison);
    long applied = CommittedCounters.ofFinishedRun(result, ApplyChanges.class, "applied");
    long stale = CommittedCounters.ofFinishedRun(result, ApplyChanges.class, "stale_changes");
    System.out.printf(
        "%s %s: %d changes applied, %d stale%n", runner, CHANGES_STAGE, applied, stale);
    assertEquals(
        changes, CommittedCounters.ofFinishedRun(result, ApplyChanges.class, "changes_in"));
    assertEquals(changes, applied + stale);
    if (runner.equals("direct")) {
      // The Direct runner keeps the topic's order: no change is stale.
      assertEquals(0, stale);
    }
  }

  /**
   * The same records with each event's later copies' payloads moved to its first arrival: what the
   * results would be if the last arrival won.
   */
  private static List<RawInput> lastArrivalWins(List<RawInput> input) {
    Map<String, RawInput> last = new HashMap<>();
    for (RawInput r : input) {
      validEventId(r).ifPresent(id -> last.put(id, r));
    }
    List<RawInput> swapped = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (RawInput r : input) {
      Optional<String> id = validEventId(r).filter(seen::add);
      swapped.add(id.isPresent() ? last.get(id.get()) : r);
    }
    return swapped;
  }

  private static Optional<String> validEventId(RawInput r) {
    ParseOutcome outcome = EventValidator.validate(r.topic(), r.payload());
    return outcome.isValid() ? Optional.of(outcome.event().eventId()) : Optional.empty();
  }

  /** The event_id of a generated payload, or "" when there is none to read. */
  private static String eventIdOf(byte[] payload) {
    String text = new String(payload, StandardCharsets.UTF_8);
    String id = text.replaceFirst("(?s).*?\"event_id\":\"([^\"]*)\".*", "$1");
    return id.equals(text) ? "" : id;
  }

  private void assertPoisonAccounted(
      Reconciliation expected,
      PipelineResult result,
      ResultTables tables,
      String stage,
      String topic,
      List<RawInput> input)
      throws Exception {
    long malformed = expected.deadLetterCount();
    System.out.printf(
        "%s %s: %d records in, %d dead letters (%.1f%%) %s, %d duplicates, %d unique%n",
        runner,
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
    long checked = checkDeadLetterPayloads(tables, stage, topic, input, new TreeMap<>());
    assertEquals(malformed, checked);

    // Counts reconcile: in = unique + duplicates + dead letters, and nothing is late.
    long in = CommittedCounters.ofFinishedRun(result, ParseJson.class, "records_in");
    long duplicates = CommittedCounters.ofFinishedRun(result, Dedup.class, "duplicates_dropped");
    assertEquals(expected.recordsIn(), in);
    assertEquals(expected.duplicates(), duplicates);
    assertEquals(0, tables.lateRecords());
    assertEquals(in, expected.unique() + duplicates + checked);
  }

  /**
   * Checks every dead letter of {@code stage}: read from the one partition of {@code topic}, at an
   * offset whose record is the dead letter's payload byte for byte. Returns how many, and puts each
   * one's reason in {@code reasonsByOffset}.
   */
  private static long checkDeadLetterPayloads(
      ResultTables tables,
      String stage,
      String topic,
      List<RawInput> input,
      Map<Long, String> reasonsByOffset)
      throws Exception {
    long checked = 0;
    try (Connection c =
            DriverManager.getConnection(tables.jdbcUrl(), sandbox.setting("postgres.user"), "");
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
        reasonsByOffset.put(offset, rs.getString(5));
        checked++;
      }
    }
    return checked;
  }

  /** Dead letters of stages other than {@code parseStage}, counted by "stage|reason". */
  private static Map<String, Long> otherDeadLetters(ResultTables tables, String parseStage)
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
    } catch (SQLException noDeadLettersTable) {
      if (!"42P01".equals(noDeadLettersTable.getSQLState())) {
        throw noDeadLettersTable;
      }
    }
    return counts;
  }

  private static void raiseMaxMessageBytes(String bootstrap, Collection<String> topics)
      throws Exception {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      Map<ConfigResource, Collection<AlterConfigOp>> changes =
          new TreeMap<>(Comparator.comparing(ConfigResource::name));
      for (String topic : topics) {
        changes.put(
            new ConfigResource(ConfigResource.Type.TOPIC, topic),
            List.of(
                new AlterConfigOp(
                    new ConfigEntry(
                        TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(FOUR_MIB)),
                    AlterConfigOp.OpType.SET)));
      }
      admin.incrementalAlterConfigs(changes).all().get(60, TimeUnit.SECONDS);
    }
  }

  private static KafkaProducer<String, byte[]> producer(String bootstrap) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ProducerConfig.ACKS_CONFIG, "all",
            // The change topic's oversized poison record.
            ProducerConfig.MAX_REQUEST_SIZE_CONFIG, FOUR_MIB),
        new StringSerializer(),
        new ByteArraySerializer());
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** A fresh database per runner and pipeline, so runs cannot see each other's rows. */
  private ResultTables database(String pipeline) throws Exception {
    return new ResultTables(
        sandbox.createDatabase("poison_" + runner + "_" + pipeline),
        sandbox.setting("postgres.user"));
  }

  private <O extends BeamsuiteOptions> PipelineResult run(
      Class<O> optionsClass,
      BiConsumer<Pipeline, O> build,
      ResultTables tables,
      long records,
      String... extra) {
    List<String> args = new ArrayList<>(Arrays.asList(runnerArgs));
    args.addAll(
        List.of(
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
        "%s %s: %d records in %d ms%n",
        runner,
        optionsClass.getSimpleName(),
        records,
        Duration.between(start, Instant.now()).toMillis());
    return result;
  }
}
