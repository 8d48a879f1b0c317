package io.beamsuite.pipelines.cdc;

import static io.beamsuite.pipelines.testing.CommittedCounters.of;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.beamsuite.fixtures.services.CustomersTable;
import io.beamsuite.pipelines.testing.SandboxProcess;
import io.beamsuite.transforms.cdc.ApplyChanges;
import io.beamsuite.transforms.cdc.DebeziumJson;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@code cdc-replication} end to end: the real {@code public.customers} table of a {@link
 * SandboxProcess} (PostgreSQL, Kafka, Debezium with the table's DEFAULT replica identity) is
 * mutated in multi-statement transactions, and the pipeline on the DirectRunner replicates the
 * change stream of {@code cdc.public.customers} into a replica table in the same database, which
 * must equal the source once quiet.
 *
 * <p>One sandbox serves the class, so the topic accumulates the changes of every test: each test
 * reads the whole topic and compares against the whole source table. Junk records a test produces
 * are remembered in {@link #JUNK}, so every test knows exactly which dead letters to expect,
 * whatever order the tests run in.
 */
public class CdcReplicationPipelineTest {
  private static final String TOPIC = "cdc.public.customers";
  private static final String LIVE_COLUMNS =
      "customer_id, name, tier, home_country, credit_limit_cents, updated_at";
  private static final Duration QUIESCE_TIMEOUT = Duration.ofSeconds(90);

  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static SandboxProcess sandbox;
  private static PGSimpleDataSource db;
  private static String bootstrap;

  /** Junk records produced on the CDC topic so far: offset and payload. */
  private static final List<Junk> JUNK = new CopyOnWriteArrayList<>();

  private record Junk(long offset, byte[] payload, String reason) {}

  @BeforeClass
  public static void startSandbox() throws Exception {
    sandbox = SandboxProcess.start(TMP.newFolder("sandbox").toPath());
    bootstrap = sandbox.setting("kafka.bootstrap");
    db = new PGSimpleDataSource();
    db.setURL(sandbox.setting("postgres.jdbcUrl"));
    db.setUser(sandbox.setting("postgres.user"));
  }

  @AfterClass
  public static void stopSandbox() throws Exception {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  @Before
  public void clearDeadLetters() throws Exception {
    // Emptied, not dropped: the sinks create a table once per JVM and would not see it dropped.
    if (tableExists("dead_letters")) {
      execute("DELETE FROM dead_letters");
    }
  }

  @Test
  public void streamingReplicaEqualsSourceAfterTransactionalInsertsUpdatesAndDeletes()
      throws Exception {
    String table = "customers_replica"; // the pipeline's default
    // Debezium started on an empty table when the sandbox came up, so these rows arrive as
    // streamed inserts (op=c), committed before the pipeline starts: it must read them from the
    // beginning of the topic.
    new CustomersTable(db)
        .insert(
            customer("s-001", "Ada", "gold", "GB", 500_000, "2026-01-05T09:00:00.123456Z"),
            customer("s-002", "Grace", "silver", "US", 250_000, "2026-01-05T09:00:01Z"),
            customer("s-003", "Alan", "bronze", "GB", 100_000, "2026-01-05T09:00:02Z"),
            customer("s-004", "Edsger", "silver", "NL", 300_000, "2026-01-05T09:00:03Z"),
            customer("s-005", "Barbara", "gold", "US", 900_000, "2026-01-05T09:00:04.000001Z"));

    CdcReplicationOptions options = options();
    options.as(DirectOptions.class).setBlockOnRun(false);
    Pipeline p = Pipeline.create(options);
    CdcReplicationPipeline.build(p, options);
    PipelineResult result = p.run();
    try {
      try (Connection c = db.getConnection()) {
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
          // One transaction: an insert, three updates of the same row, a delete (DEFAULT replica
          // identity: the delete's old image is the key only).
          s.executeUpdate(
              insertSql("s-006", "Linus", "bronze", "FI", 50_000, "2026-01-05T10:00:00Z"));
          s.executeUpdate(
              "UPDATE customers SET credit_limit_cents = 510000,"
                  + " updated_at = '2026-01-05T10:00:01Z' WHERE customer_id = 's-001'");
          s.executeUpdate(
              "UPDATE customers SET tier = 'platinum',"
                  + " updated_at = '2026-01-05T10:00:02Z' WHERE customer_id = 's-001'");
          s.executeUpdate(
              "UPDATE customers SET name = 'Ada L.', credit_limit_cents = 520000,"
                  + " updated_at = '2026-01-05T10:00:03.654321Z' WHERE customer_id = 's-001'");
          s.executeUpdate("DELETE FROM customers WHERE customer_id = 's-003'");
        }
        c.commit();
        try (Statement s = c.createStatement()) {
          // Delete then re-insert the same key, then update it, in one transaction.
          s.executeUpdate("DELETE FROM customers WHERE customer_id = 's-002'");
          s.executeUpdate(
              insertSql("s-002", "Grace H.", "gold", "US", 750_000, "2026-01-05T10:01:00Z"));
          s.executeUpdate(
              "UPDATE customers SET home_country = 'CA',"
                  + " updated_at = '2026-01-05T10:01:01Z' WHERE customer_id = 's-002'");
          // Insert then delete in the same transaction: the row never existed for anyone else.
          s.executeUpdate(insertSql("s-007", "Ghost", "bronze", "DE", 1, "2026-01-05T10:01:02Z"));
          s.executeUpdate("DELETE FROM customers WHERE customer_id = 's-007'");
          // A primary-key update: Debezium emits a delete of the old key and an insert of the new.
          s.executeUpdate(
              "UPDATE customers SET customer_id = 's-004b',"
                  + " updated_at = '2026-01-05T10:01:03Z' WHERE customer_id = 's-004'");
        }
        c.commit();

        // A few hundred rows: a bulk insert, then updates and deletes across them.
        try (PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO customers (" + LIVE_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?)")) {
          for (int i = 0; i < 300; i++) {
            ps.setString(1, String.format("b-%03d", i));
            ps.setString(2, "Bulk " + i);
            ps.setString(3, i % 3 == 0 ? "gold" : "silver");
            ps.setString(4, i % 2 == 0 ? "GB" : "FR");
            ps.setLong(5, 1_000L * i);
            ps.setObject(
                6, Instant.parse("2026-01-05T11:00:00Z").plusMillis(i).atOffset(ZoneOffset.UTC));
            ps.addBatch();
          }
          ps.executeBatch();
        }
        c.commit();
        try (Statement s = c.createStatement()) {
          s.executeUpdate(
              "UPDATE customers SET credit_limit_cents = credit_limit_cents + 7,"
                  + " updated_at = updated_at + interval '1 hour' WHERE customer_id LIKE 'b-%'"
                  + " AND substr(customer_id, 3)::int % 4 = 0");
          s.executeUpdate(
              "DELETE FROM customers WHERE customer_id LIKE 'b-%'"
                  + " AND substr(customer_id, 3)::int % 5 = 0");
          s.executeUpdate(
              "UPDATE customers SET tier = 'gold-' || tier, updated_at = updated_at"
                  + " + interval '1 minute' WHERE customer_id LIKE 'b-%'"
                  + " AND substr(customer_id, 3)::int % 4 = 0");
        }
        c.commit();
        try (Statement s = c.createStatement()) {
          // Re-insert some of the deleted bulk rows with new values.
          s.executeUpdate(
              "INSERT INTO customers ("
                  + LIVE_COLUMNS
                  + ") SELECT"
                  + " 'b-' || lpad(g::text, 3, '0'), 'Again ' || g, 'bronze', 'IT', g,"
                  + " timestamptz '2026-01-05T12:00:00.000007Z' FROM generate_series(0, 299, 10) g");
          s.executeUpdate("DELETE FROM customers WHERE customer_id = 's-005'");
        }
        c.commit();
      }

      List<String> source = rows("customers", "");
      List<String> replica = awaitReplica("customers_replica", source);
      assertEquals(source, replica);
      // This test's rows (other tests add their own): 5 + 1 (s-006) - 1 (s-003) - 1 (s-004
      // renamed) + 1 (s-004b) - 1 (s-005) + 300 bulk - 60 deleted + 30 re-inserted.
      assertEquals(
          5 + 1 - 1 - 1 + 1 - 1 + 300 - 60 + 30,
          source.stream().filter(r -> r.startsWith("s-") || r.startsWith("b-")).count());
    } finally {
      result.cancel();
    }

    // After cancel, one more comparison: nothing moved the replica away from the source.
    List<String> source = rows("customers", "");
    assertEquals(source, rows(table, "WHERE NOT _deleted"));
    // Deletes are tombstones in the replica table, gone from its live view: s-003, s-004 (its key
    // was changed), s-005, s-007 (inserted and deleted in one transaction) and the bulk rows
    // deleted (every 5th) and not re-inserted (every 10th).
    List<String> expectedDeleted = new ArrayList<>();
    for (int i = 5; i < 300; i += 10) {
      expectedDeleted.add(String.format("b-%03d", i));
    }
    expectedDeleted.addAll(List.of("s-003", "s-004", "s-005", "s-007"));
    List<String> deleted = deletedKeys(table);
    assertEquals(
        expectedDeleted,
        deleted.stream().filter(k -> k.startsWith("s-") || k.startsWith("b-")).toList());
    for (String key : deleted) {
      assertFalse(
          key + " deleted but live", source.stream().anyMatch(r -> r.startsWith(key + "|")));
    }
    assertEquals(expectedDeadLetters(), deadLetters());

    // Counters of one step are committed together, so they reconcile (unlike across steps).
    long recordsIn = of(result, DebeziumJson.class, "records_in");
    long changes = of(result, DebeziumJson.class, "changes");
    long tombstones = of(result, DebeziumJson.class, "tombstones");
    long parseDeadLetters = of(result, DebeziumJson.class, "dead_letters");
    if (recordsIn > 0) {
      assertEquals(recordsIn, changes + tombstones + parseDeadLetters);
      assertTrue(recordsIn + " > topic size", recordsIn <= topicRecords());
    }
    long changesIn = of(result, ApplyChanges.class, "changes_in");
    if (changesIn > 0) {
      assertEquals(
          changesIn,
          of(result, ApplyChanges.class, "applied")
              + of(result, ApplyChanges.class, "stale_changes")
              + of(result, ApplyChanges.class, "dead_letters"));
    }
  }

  @Test
  public void boundedReplayTwiceIntoTheSameReplicaIsIdempotent() throws Exception {
    String table = "customers_replica_replayed";
    long before = awaitQuietTopic();
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.executeUpdate(
            insertSql("r-1", "Rosalind", "silver", "GB", 10_000, "2026-01-06T08:00:00Z"));
        s.executeUpdate(insertSql("r-2", "Dorothy", "gold", "GB", 20_000, "2026-01-06T08:00:01Z"));
        s.executeUpdate(insertSql("r-3", "Lise", "bronze", "AT", 30_000, "2026-01-06T08:00:02Z"));
        s.executeUpdate(
            "UPDATE customers SET credit_limit_cents = 11000,"
                + " updated_at = '2026-01-06T08:01:00Z' WHERE customer_id = 'r-1'");
        s.executeUpdate(
            "UPDATE customers SET credit_limit_cents = 12000,"
                + " updated_at = '2026-01-06T08:02:00.000500Z' WHERE customer_id = 'r-1'");
        s.executeUpdate("DELETE FROM customers WHERE customer_id = 'r-2'");
      }
      c.commit();
    }
    // 3 inserts + 2 updates + 1 delete and its tombstone.
    long records = awaitTopicRecords(before + 7);

    runBounded(table, records);
    List<String> afterFirst = wholeReplica(table);
    assertEquals(rows("customers", ""), rows(table, "WHERE NOT _deleted"));
    assertTrue(deletedKeys(table).contains("r-2"));
    assertEquals(expectedDeadLetters(), deadLetters());

    // Dead letters are appended, so a replay would add its own copies: start the table afresh.
    execute("DELETE FROM dead_letters");
    runBounded(table, records);
    assertEquals(afterFirst, wholeReplica(table));
    assertEquals(rows("customers", ""), rows(table, "WHERE NOT _deleted"));
    assertEquals(expectedDeadLetters(), deadLetters());
  }

  @Test
  public void malformedRecordOnTheChangeTopicIsADeadLetterWithItsCoordinates() throws Exception {
    String table = "customers_replica_after_junk";
    long before = awaitQuietTopic();
    byte[] notUtf8 = {(byte) 0xff, (byte) 0xfe, 'j', 'u', 'n', 'k'};
    byte[] truncated =
        "{\"before\":null,\"after\":{\"customer_id\":\"m-9\"".getBytes(StandardCharsets.UTF_8);
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      RecordMetadata m1 = producer.send(new ProducerRecord<>(TOPIC, null, notUtf8)).get();
      JUNK.add(new Junk(m1.offset(), notUtf8, "invalid_utf8"));
      RecordMetadata m2 =
          producer
              .send(new ProducerRecord<>(TOPIC, "junk".getBytes(StandardCharsets.UTF_8), truncated))
              .get();
      JUNK.add(new Junk(m2.offset(), truncated, "malformed_json"));
    }
    // Real changes after the junk: the stream goes on past it.
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.executeUpdate(insertSql("m-1", "Marie", "gold", "PL", 40_000, "2026-01-07T08:00:00Z"));
        s.executeUpdate(
            "UPDATE customers SET tier = 'platinum',"
                + " updated_at = '2026-01-07T08:00:01Z' WHERE customer_id = 'm-1'");
      }
      c.commit();
    }
    long records = awaitTopicRecords(before + 2 + 2);

    PipelineResult result = runBounded(table, records);
    List<String> expected = expectedDeadLetters();
    assertEquals(expected, deadLetters());
    assertTrue(
        expected.stream()
            .anyMatch(
                d ->
                    d.startsWith(
                        "parse-customer-changes|invalid_utf8|"
                            + TOPIC
                            + "|0|"
                            + JUNK.get(JUNK.size() - 2).offset()
                            + "|")));
    assertEquals(rows("customers", ""), rows(table, "WHERE NOT _deleted"));
    assertTrue(
        rows(table, "WHERE NOT _deleted")
            .contains("m-1|Marie|platinum|PL|40000|2026-01-07T08:00:01Z"));
    assertEquals(JUNK.size(), of(result, DebeziumJson.class, "dead_letters"));
    assertEquals(records, of(result, DebeziumJson.class, "records_in"));
  }

  /** Runs the pipeline bounded over the first {@code records} records of the topic. */
  private static PipelineResult runBounded(String table, long records) {
    CdcReplicationOptions options = options();
    options.setMaxRecords(records);
    options.setReplicaTable(table);
    Pipeline p = Pipeline.create(options);
    CdcReplicationPipeline.build(p, options);
    PipelineResult result = p.run();
    assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
    return result;
  }

  /** Waits until the topic has not grown for a second (Debezium done); returns its size. */
  private static long awaitQuietTopic() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    long last = topicRecords();
    long stableSince = System.nanoTime();
    while (System.nanoTime() < deadline) {
      Thread.sleep(200);
      long now = topicRecords();
      if (now != last) {
        last = now;
        stableSince = System.nanoTime();
      } else if (System.nanoTime() - stableSince > Duration.ofSeconds(1).toNanos()) {
        return now;
      }
    }
    throw new AssertionError(TOPIC + " keeps growing");
  }

  /** Waits until the topic holds exactly {@code count} records and stays there. */
  private static long awaitTopicRecords(long count) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    long n = topicRecords();
    while (n < count && System.nanoTime() < deadline) {
      Thread.sleep(100);
      n = topicRecords();
    }
    assertEquals("records on " + TOPIC, count, n);
    long quiet = awaitQuietTopic();
    assertEquals("records on " + TOPIC + " after a quiet second", count, quiet);
    return quiet;
  }

  private static String insertSql(
      String id, String name, String tier, String country, long limit, String updatedAt) {
    return "INSERT INTO customers ("
        + LIVE_COLUMNS
        + ") VALUES ('"
        + id
        + "', '"
        + name
        + "', '"
        + tier
        + "', '"
        + country
        + "', "
        + limit
        + ", '"
        + updatedAt
        + "')";
  }

  private static CustomersTable.Customer customer(
      String id, String name, String tier, String country, long limit, String updatedAt) {
    return new CustomersTable.Customer(id, name, tier, country, limit, Instant.parse(updatedAt));
  }

  private static CdcReplicationOptions options() {
    CdcReplicationOptions options = PipelineOptionsFactory.create().as(CdcReplicationOptions.class);
    options.setJdbcUrl(db.getURL());
    options.setJdbcUser(db.getUser());
    options.setBootstrapServers(bootstrap);
    return options;
  }

  /** Polls until the replica's live view equals {@code source}; returns the last one read. */
  private static List<String> awaitReplica(String table, List<String> source) throws Exception {
    long deadline = System.nanoTime() + QUIESCE_TIMEOUT.toNanos();
    List<String> replica = List.of();
    while (System.nanoTime() < deadline) {
      if (tableExists(table)) {
        replica = rows(table, "WHERE NOT _deleted");
        if (replica.equals(source)) {
          return replica;
        }
      }
      Thread.sleep(500);
    }
    return replica;
  }

  /** The live columns of {@code table}, one {@code a|b|...} string per row, by key. */
  private static List<String> rows(String table, String where) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection c = db.getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT "
                    + LIVE_COLUMNS
                    + " FROM "
                    + table
                    + " "
                    + where
                    + " ORDER BY customer_id")) {
      while (rs.next()) {
        OffsetDateTime updated = rs.getObject(6, OffsetDateTime.class);
        rows.add(
            String.join(
                "|",
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                updated == null ? "null" : updated.toInstant().toString()));
      }
    }
    return rows;
  }

  /** Every column of every row of the replica table, tombstones and positions included. */
  private static List<String> wholeReplica(String table) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection c = db.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT * FROM " + table + " ORDER BY customer_id")) {
      ResultSetMetaData meta = rs.getMetaData();
      while (rs.next()) {
        StringBuilder row = new StringBuilder();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          row.append(i == 1 ? "" : "|")
              .append(meta.getColumnName(i))
              .append('=')
              .append(rs.getString(i));
        }
        rows.add(row.toString());
      }
    }
    return rows;
  }

  private static List<String> deletedKeys(String table) throws SQLException {
    List<String> keys = new ArrayList<>();
    try (Connection c = db.getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT customer_id, name, credit_limit_cents, updated_at"
                    + " FROM "
                    + table
                    + " WHERE _deleted ORDER BY customer_id")) {
      while (rs.next()) {
        // A tombstone keeps the key and nothing else.
        assertEquals(null, rs.getString(2));
        assertEquals(null, rs.getString(3));
        assertEquals(null, rs.getString(4));
        keys.add(rs.getString(1));
      }
    }
    return keys;
  }

  /** {@code stage|reason|topic|partition|offset|payload} of every dead letter. */
  private static List<String> deadLetters() throws SQLException {
    List<String> rows = new ArrayList<>();
    if (!tableExists("dead_letters")) {
      return rows;
    }
    try (Connection c = db.getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT stage, reason, source_topic, source_partition,"
                    + " source_offset, payload FROM dead_letters ORDER BY source_offset")) {
      while (rs.next()) {
        rows.add(
            String.join(
                "|",
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                hex(rs.getBytes(6))));
      }
    }
    return rows;
  }

  private static List<String> expectedDeadLetters() {
    List<String> rows = new ArrayList<>();
    for (Junk j : JUNK) {
      rows.add(
          String.join(
              "|",
              "parse-customer-changes",
              j.reason(),
              TOPIC,
              "0",
              Long.toString(j.offset()),
              hex(j.payload())));
    }
    return rows;
  }

  private static String hex(byte[] bytes) {
    StringBuilder s = new StringBuilder();
    for (byte b : bytes) {
      s.append(String.format("%02x", b));
    }
    return s.toString();
  }

  private static boolean tableExists(String table) throws SQLException {
    try (Connection c = db.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT to_regclass('public." + table + "')")) {
      rs.next();
      return rs.getString(1) != null;
    }
  }

  private static void execute(String sql) throws SQLException {
    try (Connection c = db.getConnection();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static KafkaConsumer<byte[], byte[]> consumer() {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    return new KafkaConsumer<>(props);
  }

  /**
   * Records on the topic's one partition (tombstones included; nothing is compacted or expired).
   */
  private static long topicRecords() {
    TopicPartition tp = new TopicPartition(TOPIC, 0);
    try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
      assertEquals("partitions of " + TOPIC, 1, consumer.partitionsFor(TOPIC).size());
      Map<TopicPartition, Long> begin = consumer.beginningOffsets(List.of(tp));
      Map<TopicPartition, Long> end = consumer.endOffsets(List.of(tp));
      return end.get(tp) - begin.get(tp);
    }
  }
}
