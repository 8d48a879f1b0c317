package io.beamsuite.pipelines.fraud;

import static io.beamsuite.pipelines.testing.CommittedCounters.of;
import static org.junit.Assert.assertEquals;

import io.beamsuite.fixtures.generator.CustomerRow;
import io.beamsuite.fixtures.oracle.CustomerDelete;
import io.beamsuite.fixtures.oracle.CustomerVersions;
import io.beamsuite.fixtures.oracle.FraudAlertRow;
import io.beamsuite.fixtures.oracle.FraudOracle;
import io.beamsuite.fixtures.oracle.FraudParams;
import io.beamsuite.fixtures.oracle.LatePolicy;
import io.beamsuite.fixtures.oracle.RawInput;
import io.beamsuite.fixtures.services.CustomersTable;
import io.beamsuite.fixtures.services.EmbeddedPostgres;
import io.beamsuite.pipelines.testing.SandboxProcess;
import io.beamsuite.transforms.dedup.Dedup;
import io.beamsuite.transforms.enrichment.AsOfEnrichment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The fraud pipeline end to end on the DirectRunner against a real PostgreSQL: a bounded run from
 * JSON-lines files (transactions and Debezium envelopes) covering every rule at its exact
 * threshold, and a run reading real CDC (Debezium on the customers table) and transactions from
 * Kafka.
 */
public class FraudPipelineTest {
  private static final String CDC_TOPIC = "cdc.public.customers";
  // A commit time far after the business times below: Debezium commits "now", while the workload's
  // updated_at values are in the past. Validity must follow updated_at, not this.
  private static final long LATE_COMMIT_MS = 1795467833398L;

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

  @Before
  public void dropOutputs() throws Exception {
    try (Connection c = pg.connection();
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS fraud_alerts, dead_letters, late_records");
    }
  }

  @Test
  public void rulesFireAtTheirThresholdsWithCustomersAsOfEventTime() throws Exception {
    Path customers = tmp.newFile("customers.jsonl").toPath();
    Files.write(
        customers,
        List.of(
            // Snapshot: c-1 limit 500000 from 09:00, c-2 limit 1000000 from 09:00:01.5,
            // c-3 limit 250000 from 09:00:02.123 (updated_at's microseconds rounded down).
            envelope(
                "r",
                null,
                customer("c-1", 500_000, "2026-01-05T09:00:00.000000Z"),
                100,
                LATE_COMMIT_MS),
            envelope(
                "r",
                null,
                customer("c-2", 1_000_000, "2026-01-05T09:00:01.500000Z"),
                101,
                LATE_COMMIT_MS),
            envelope(
                "r",
                null,
                customer("c-3", 250_000, "2026-01-05T09:00:02.123456Z"),
                102,
                LATE_COMMIT_MS),
            // c-1 raised to 750000 from 10:01 (business time), committed much later.
            envelope(
                "u",
                customer("c-1", 500_000, "2026-01-05T09:00:00.000000Z"),
                customer("c-1", 750_000, "2026-01-05T10:01:00.000000Z"),
                200,
                LATE_COMMIT_MS + 1),
            // c-2 deleted, committed at 10:30:00: validity ends then.
            envelope(
                "d",
                customer("c-2", 1_000_000, "2026-01-05T09:00:01.500000Z"),
                null,
                300,
                Instant.parse("2026-01-05T10:30:00Z").toEpochMilli()),
            // Debezium's tombstone after the delete: dropped, not a dead letter.
            "",
            // A row that is not a Customer (nulls in required columns): invalid_row.
            "{\"before\":null,\"after\":{\"customer_id\":\"c-5\",\"name\":null,\"tier\":null,"
                + "\"home_country\":null,\"credit_limit_cents\":null,\"updated_at\":null},"
                + "\"source\":{\"ts_ms\":1795467834010,\"lsn\":400},\"op\":\"c\"}",
            // Truncated envelope: malformed_json.
            "{\"before\":null,\"after\":{\"customer_id\":\"c-6\""),
        StandardCharsets.UTF_8);

    Path transactions = tmp.newFile("transactions.jsonl").toPath();
    Files.write(
        transactions,
        List.of(
            // c-1, limit 500000 until 10:01:00, 750000 from then.
            txn("t01", "c-1", 500_000, "GB", "2026-01-05T10:00:00Z"), // 500000 > 500000? no
            txn("t02", "c-1", 500_001, "GB", "2026-01-05T10:00:30Z"), // 500001 > 500000: alert
            txn("t03", "c-1", 600_000, "GB", "2026-01-05T10:00:59.999Z"), // > 500000: alert
            txn("t04", "c-1", 600_000, "GB", "2026-01-05T10:01:00Z"), // > 750000? no
            txn("t05", "c-1", 600_000, "GB", "2026-01-05T10:05:00Z"), // no (by commit time: yes)
            txn("t06", "c-1", 750_001, "GB", "2026-01-05T10:06:00Z"), // > 750000: alert
            // c-2, limit 1000000 until the delete at 10:30:00. Countries in [10:00,10:10):
            // {US, CA} = 2 < 3, no many_countries alert.
            txn("t07", "c-2", 1_000, "US", "2026-01-05T10:00:10Z"),
            txn("t08", "c-2", 1_000, "US", "2026-01-05T10:04:00Z"),
            txn("t09", "c-2", 1_000, "CA", "2026-01-05T10:08:00Z"),
            txn("t10", "c-2", 1_000_001, "US", "2026-01-05T10:29:59Z"), // > 1000000: alert
            txn("t11", "c-2", 2_000_000, "US", "2026-01-05T10:30:00Z"), // deleted: unmatched
            // c-9 has no customer row: unmatched, but in [10:00,10:10) {US, FR, DE} = 3 >= 3.
            txn("t12", "c-9", 9_999_999, "US", "2026-01-05T10:02:00Z"),
            txn("t13", "c-9", 50, "FR", "2026-01-05T10:03:00Z"),
            txn("t14", "c-9", 50, "DE", "2026-01-05T10:09:59.999Z"),
            txn("t15", "c-9", 50, "JP", "2026-01-05T10:10:00Z"), // next window: 1 country
            // c-3: [10:20,10:21) has 5 transactions >= 5: velocity alert.
            txn("t16", "c-3", 100, "GB", "2026-01-05T10:20:00Z"),
            txn("t17", "c-3", 100, "GB", "2026-01-05T10:20:10Z"),
            txn("t18", "c-3", 100, "GB", "2026-01-05T10:20:20Z"),
            txn("t19", "c-3", 100, "GB", "2026-01-05T10:20:30Z"),
            txn("t20", "c-3", 100, "GB", "2026-01-05T10:20:59.999Z"),
            // [10:21,10:22) has 4 unique transactions (+1 duplicate, not counted): no alert.
            txn("t21", "c-3", 100, "GB", "2026-01-05T10:21:00Z"),
            txn("t22", "c-3", 100, "GB", "2026-01-05T10:21:15Z"),
            txn("t23", "c-3", 100, "GB", "2026-01-05T10:21:30Z"),
            txn("t24", "c-3", 100, "GB", "2026-01-05T10:21:45Z"),
            txn("t24", "c-3", 100, "GB", "2026-01-05T10:21:45Z"),
            // Malformed.
            "{\"event_id\":\"t-bad-1\",\"customer_id\":\"c-1\"",
            txn("t-bad-2", "c-1", 100, "GB", "2026-01-05T10:00:00Z").replace("EUR", "eur")),
        StandardCharsets.UTF_8);

    FraudOptions options = options();
    options.setSource("file:" + transactions);
    options.setCustomersSource("file:" + customers);
    options.setAlertsTopic("");
    Pipeline p = Pipeline.create(options);
    FraudPipeline.build(p, options);
    PipelineResult result = p.run();
    result.waitUntilFinish();

    // many_countries, trailing 10 min: c-9's t14 sees {US, FR, DE} in [09:59:59.999, 10:09:59.999]
    // and t15 adds JP in [10:00, 10:10] (a tumbling window would have split t15 off); c-1 pays in
    // GB only, c-2 in {US, CA} at most. velocity, trailing 1 min: c-3's t20 has t16..t20 = 5,
    // t21 has t16..t21 = 6 (t16 on the inclusive lower bound), t22, t23, t24 have 5 each.
    List<String> expected =
        List.of(
            "amount_over_limit|t02|c-1|2026-01-05T10:00:30Z|500001|500000",
            "amount_over_limit|t03|c-1|2026-01-05T10:00:59.999Z|600000|500000",
            "amount_over_limit|t06|c-1|2026-01-05T10:06:00Z|750001|750000",
            "amount_over_limit|t10|c-2|2026-01-05T10:29:59Z|1000001|1000000",
            "many_countries|t14|c-9|2026-01-05T10:09:59.999Z|3|3",
            "many_countries|t15|c-9|2026-01-05T10:10:00Z|4|3",
            "velocity|t20|c-3|2026-01-05T10:20:59.999Z|5|5",
            "velocity|t21|c-3|2026-01-05T10:21:00Z|6|5",
            "velocity|t22|c-3|2026-01-05T10:21:15Z|5|5",
            "velocity|t23|c-3|2026-01-05T10:21:30Z|5|5",
            "velocity|t24|c-3|2026-01-05T10:21:45Z|5|5");
    // The independent oracle over the same lines and customer history agrees.
    assertEquals(expected, oracleAlerts(Files.readAllLines(transactions)));
    assertEquals(expected, alerts());
    assertEquals(
        List.of(
            "parse-cdc.public.customers|invalid_row",
            "parse-cdc.public.customers|malformed_json",
            "parse-transactions|invalid_value",
            "parse-transactions|malformed_json"),
        deadLetters());
    // t11 (c-2 deleted at its time) and t12..t15 (no c-9 row).
    assertEquals(5, of(result, AsOfEnrichment.class, "unmatched"));
    // c-1: 6, c-2: t07..t10 = 4, c-3: t16..t24 = 9.
    assertEquals(19, of(result, AsOfEnrichment.class, "enriched"));
    assertEquals(1, of(result, Dedup.class, "duplicates_dropped"));
  }

  @Test
  public void overLimitAlertsFromRealChangeDataCapture() throws Exception {
    try (SandboxProcess sandbox = SandboxProcess.start(tmp.newFolder("sandbox").toPath())) {
      String bootstrap = sandbox.setting("kafka.bootstrap");
      String jdbcUrl = sandbox.setting("postgres.jdbcUrl");
      PGSimpleDataSource sandboxDb = new PGSimpleDataSource();
      sandboxDb.setURL(jdbcUrl);
      sandboxDb.setUser(sandbox.setting("postgres.user"));
      // Debezium streams every change (the table was empty when the capture started); each is
      // committed now, but valid from its updated_at.
      CustomersTable customers = new CustomersTable(sandboxDb);
      customers.insert(
          row("c-1", 500_000, "2026-01-05T10:00:00Z"),
          row("c-2", 1_000_000, "2026-01-05T10:00:00Z"));
      customers.update(row("c-1", 800_000, "2026-01-05T10:30:00Z"));
      customers.insert(row("c-3", 100_000, "2026-01-05T10:10:00Z"));
      awaitRecords(bootstrap, CDC_TOPIC, 4);

      List<String[]> txns =
          List.of(
              new String[] {"x1", "c-1", "600000", "2026-01-05T10:20:00Z"}, // > 500000: alert
              new String[] {"x2", "c-1", "600000", "2026-01-05T10:40:00Z"}, // > 800000? no
              new String[] {"x3", "c-1", "800001", "2026-01-05T10:40:01Z"}, // > 800000: alert
              new String[] {"x4", "c-2", "1000000", "2026-01-05T10:20:00Z"}, // > 1000000? no
              new String[] {
                "x5", "c-3", "200000", "2026-01-05T10:05:00Z"
              }, // before 10:10: unmatched
              new String[] {"x6", "c-3", "100001", "2026-01-05T10:15:00Z"}, // > 100000: alert
              new String[] {"x7", "c-4", "5", "2026-01-05T10:15:00Z"}); // no such customer
      try (KafkaProducer<String, String> producer = producer(bootstrap)) {
        for (String[] t : txns) {
          producer.send(
              new ProducerRecord<>(
                  "transactions", t[1], txn(t[0], t[1], Long.parseLong(t[2]), "GB", t[3])));
        }
        producer.flush();
      }

      FraudOptions options = options();
      options.setJdbcUrl(jdbcUrl);
      options.setJdbcUser(sandbox.setting("postgres.user"));
      options.setBootstrapServers(bootstrap);
      options.setMaxRecords(txns.size());
      options.setCustomersMaxRecords(4);
      // c-3's change (valid from 10:10) is committed after c-1's 10:30 update: out of order by
      // 20 minutes in the change stream. A watermark delay above that keeps it from arriving
      // behind the watermark, where the join could no longer wait for it.
      options.setMaxOutOfOrdernessSeconds(86_400);
      Pipeline p = Pipeline.create(options);
      FraudPipeline.build(p, options);
      PipelineResult result = p.run();
      result.waitUntilFinish();

      // By commit time instead, x1, x2, x3 would all see 500000 and x6 no customer.
      assertEquals(
          List.of(
              "amount_over_limit|x1|c-1|2026-01-05T10:20:00Z|600000|500000",
              "amount_over_limit|x3|c-1|2026-01-05T10:40:01Z|800001|800000",
              "amount_over_limit|x6|c-3|2026-01-05T10:15:00Z|100001|100000"),
          alerts(sandboxDb));
      assertEquals(List.of(), deadLetters(sandboxDb));
      assertEquals(2, of(result, AsOfEnrichment.class, "unmatched")); // x5, x7
      assertEquals(
          new TreeSet<>(
              List.of(
                  "c-1={\"rule\":\"amount_over_limit\",\"alert_key\":\"x1\",\"customer_id\":\"c-1\","
                      + "\"event_time\":\"2026-01-05T10:20:00Z\",\"observed\":600000,\"threshold\":500000}",
                  "c-1={\"rule\":\"amount_over_limit\",\"alert_key\":\"x3\",\"customer_id\":\"c-1\","
                      + "\"event_time\":\"2026-01-05T10:40:01Z\",\"observed\":800001,\"threshold\":800000}",
                  "c-3={\"rule\":\"amount_over_limit\",\"alert_key\":\"x6\",\"customer_id\":\"c-3\","
                      + "\"event_time\":\"2026-01-05T10:15:00Z\",\"observed\":100001,\"threshold\":100000}")),
          new TreeSet<>(consume(bootstrap, "alerts", 3)));
    }
  }

  @Test
  public void badOptionsAreRefusedNamingTheOption() {
    assertRefused("--minCountries: must be >= 1, got 0", o -> o.setMinCountries(0));
    assertRefused(
        "--velocityWindowMinutes: must be >= 1, got 0", o -> o.setVelocityWindowMinutes(0));
    assertRefused(
        "--customersSource: expected 'kafka' or 'file:<glob>', got 'cdc'",
        o -> o.setCustomersSource("cdc"));
    assertRefused(
        "--customerVersionRetentionMinutes: must be >= 0, got -1",
        o -> o.setCustomerVersionRetentionMinutes(-1));
    assertRefused(
        "--customersMaxOutOfOrdernessSeconds: must be >= 0, got -1",
        o -> o.setCustomersMaxOutOfOrdernessSeconds(-1));
  }

  private static void assertRefused(
      String message, java.util.function.Consumer<FraudOptions> edit) {
    FraudOptions options = options();
    edit.accept(options);
    try {
      FraudPipeline.build(Pipeline.create(options), options);
      throw new AssertionError("accepted: " + message);
    } catch (IllegalArgumentException e) {
      assertEquals(message, e.getMessage());
    }
  }

  private static FraudOptions options() {
    FraudOptions options = PipelineOptionsFactory.create().as(FraudOptions.class);
    options.setJdbcUrl(pg.jdbcUrl());
    options.setJdbcUser(pg.user());
    return options;
  }

  private static String customer(String id, long limit, String updatedAt) {
    return "{\"customer_id\":\""
        + id
        + "\",\"name\":\"Name "
        + id
        + "\",\"tier\":\"silver\","
        + "\"home_country\":\"GB\",\"credit_limit_cents\":"
        + limit
        + ",\"updated_at\":\""
        + updatedAt
        + "\"}";
  }

  private static String envelope(String op, String before, String after, long lsn, long commitMs) {
    return "{\"before\":"
        + before
        + ",\"after\":"
        + after
        + ",\"source\":{\"connector\":\"postgresql\","
        + "\"ts_ms\":"
        + commitMs
        + ",\"snapshot\":\""
        + ("r".equals(op) ? "true" : "false")
        + "\",\"schema\":\"public\",\"table\":\"customers\",\"lsn\":"
        + lsn
        + "},\"op\":\""
        + op
        + "\",\"ts_ms\":"
        + (commitMs + 5)
        + "}";
  }

  private static String txn(String id, String customer, long amount, String country, String time) {
    return "{\"event_id\":\""
        + id
        + "\",\"customer_id\":\""
        + customer
        + "\",\"merchant_id\":\"m-1\","
        + "\"amount_cents\":"
        + amount
        + ",\"currency\":\"EUR\",\"country\":\""
        + country
        + "\",\"event_time\":\""
        + time
        + "\"}";
  }

  private static CustomersTable.Customer row(String id, long limit, String updatedAt) {
    return new CustomersTable.Customer(
        id, "Name " + id, "silver", "GB", limit, Instant.parse(updatedAt));
  }

  /** The oracle's rows, formatted as {@link #alerts()}, for the customers of the bounded test. */
  private static List<String> oracleAlerts(List<String> transactionLines) {
    Instant nine = Instant.parse("2026-01-05T09:00:00Z");
    List<CustomerRow> snapshot =
        List.of(
            oracleRow("c-1", 500_000, nine),
            oracleRow("c-2", 1_000_000, nine.plusMillis(1_500)),
            oracleRow("c-3", 250_000, nine.plusMillis(2_123)));
    List<CustomerRow> updates =
        List.of(oracleRow("c-1", 750_000, Instant.parse("2026-01-05T10:01:00Z")));
    List<CustomerDelete> deletes =
        List.of(new CustomerDelete("c-2", Instant.parse("2026-01-05T10:30:00Z")));
    List<RawInput> inputs = new ArrayList<>();
    for (String line : transactionLines) {
      inputs.add(RawInput.ofJson("transactions", line));
    }
    List<String> rows = new ArrayList<>();
    for (FraudAlertRow r :
        FraudOracle.compute(
                inputs,
                CustomerVersions.of(snapshot, updates, deletes),
                FraudParams.defaults(),
                LatePolicy.none())
            .alerts()) {
      rows.add(
          String.join(
              "|",
              r.rule(),
              r.alertKey(),
              r.customerId(),
              r.eventTime().toString(),
              Long.toString(r.observed()),
              Long.toString(r.threshold())));
    }
    return rows;
  }

  private static CustomerRow oracleRow(String id, long limit, Instant updatedAt) {
    return new CustomerRow(id, "Name " + id, "silver", "GB", limit, updatedAt);
  }

  private static List<String> alerts() throws Exception {
    return alerts(pg.dataSource());
  }

  private static List<String> alerts(DataSource db) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = db.getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT rule, alert_key, customer_id, event_time, observed, threshold"
                    + " FROM fraud_alerts ORDER BY rule, alert_key")) {
      while (rs.next()) {
        rows.add(
            String.join(
                "|",
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                rs.getObject(4, OffsetDateTime.class).toInstant().toString(),
                Long.toString(rs.getLong(5)),
                Long.toString(rs.getLong(6))));
      }
    }
    return rows;
  }

  /** {@code stage|reason} of every dead letter; none when the table was never created. */
  private static List<String> deadLetters() throws Exception {
    return deadLetters(pg.dataSource());
  }

  private static List<String> deadLetters(DataSource db) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = db.getConnection();
        Statement s = c.createStatement()) {
      try (ResultSet exists = s.executeQuery("SELECT to_regclass('public.dead_letters')")) {
        exists.next();
        if (exists.getString(1) == null) {
          return rows;
        }
      }
      try (ResultSet rs =
          s.executeQuery("SELECT stage, reason FROM dead_letters ORDER BY stage, reason")) {
        while (rs.next()) {
          rows.add(rs.getString(1) + "|" + rs.getString(2));
        }
      }
    }
    return rows;
  }

  private static KafkaProducer<String, String> producer(String bootstrap) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    return new KafkaProducer<>(props);
  }

  private static KafkaConsumer<String, String> consumer(String bootstrap) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    return new KafkaConsumer<>(props);
  }

  /** Waits until partition 0 of {@code topic} holds {@code count} records. */
  private static void awaitRecords(String bootstrap, String topic, long count) throws Exception {
    TopicPartition tp = new TopicPartition(topic, 0);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    try (KafkaConsumer<String, String> consumer = consumer(bootstrap)) {
      while (true) {
        Map<TopicPartition, Long> end = consumer.endOffsets(List.of(tp));
        long n = end.getOrDefault(tp, 0L);
        if (n >= count) {
          assertEquals("records on " + topic, count, n);
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError(topic + " has " + n + " records, expected " + count);
        }
        Thread.sleep(100);
      }
    }
  }

  /** {@code key=value} of the first {@code count} records of partition 0 of {@code topic}. */
  private static List<String> consume(String bootstrap, String topic, int count) {
    TopicPartition tp = new TopicPartition(topic, 0);
    List<String> records = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    try (KafkaConsumer<String, String> consumer = consumer(bootstrap)) {
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      while (records.size() < count && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          records.add(r.key() + "=" + r.value());
        }
      }
      // Nothing beyond the expected messages.
      for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
        records.add(r.key() + "=" + r.value());
      }
    }
    return records;
  }
}
