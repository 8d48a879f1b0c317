package io.beamsuite.kappa;

import static org.junit.Assert.assertTrue;

import io.beamsuite.fixtures.generator.GeneratedRecord;
import io.beamsuite.fixtures.generator.RecordLabel;
import io.beamsuite.fixtures.oracle.ClickstreamOracle;
import io.beamsuite.fixtures.oracle.LatePolicy;
import io.beamsuite.fixtures.oracle.PageViewRow;
import io.beamsuite.fixtures.oracle.RawInput;
import io.beamsuite.fixtures.oracle.RevenueOracle;
import io.beamsuite.fixtures.oracle.RevenueRow;
import io.beamsuite.pipelines.testing.SandboxProcess;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One test's Kafka topics and database on a shared {@link SandboxProcess}, plus what the Kappa
 * tests compare: the replayed tables, the late records, and the oracle's rows for the same input.
 */
final class KappaFixture {
  /** The views' watermark delay in these tests (the default, 60 s). */
  static final Duration MAX_DELAY = Duration.ofSeconds(60);

  final SandboxProcess sandbox;
  final String name;
  final String transactionsTopic;
  final String clicksTopic;
  final String jdbcUrl;

  /** Everything written to the topics so far, as the oracle reads it (original topic names). */
  final List<RawInput> written = new ArrayList<>();

  /** Generated records written so far, by event id (first copy). */
  final Map<String, GeneratedRecord> byEventId = new HashMap<>();

  KappaFixture(SandboxProcess sandbox, String name) throws Exception {
    this.sandbox = sandbox;
    this.name = name;
    this.transactionsTopic = "transactions-" + name;
    this.clicksTopic = "clicks-" + name;
    String url = sandbox.setting("postgres.jdbcUrl");
    try (Connection c = DriverManager.getConnection(url, user(), "");
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE kappa_" + name);
    }
    this.jdbcUrl = url.substring(0, url.lastIndexOf('/') + 1) + "kappa_" + name;
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    try (AdminClient admin = AdminClient.create(props)) {
      // One partition each: the arrival order is the read order.
      admin
          .createTopics(
              List.of(
                  new NewTopic(transactionsTopic, 1, (short) 1)
                      .configs(Map.of("max.message.bytes", String.valueOf(8 << 20))),
                  new NewTopic(clicksTopic, 1, (short) 1)
                      .configs(Map.of("max.message.bytes", String.valueOf(8 << 20)))))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
  }

  String bootstrap() {
    return sandbox.setting("kafka.bootstrap");
  }

  String user() {
    return sandbox.setting("postgres.user");
  }

  /** Options of a replay of this fixture's topics into {@code version}. */
  KappaReplayOptions replayOptions(int version, String... extra) {
    List<String> args = new ArrayList<>(connectionArgs());
    args.add("--version=" + version);
    args.addAll(List.of(extra));
    return PipelineOptionsFactory.fromArgs(args.toArray(new String[0]))
        .as(KappaReplayOptions.class);
  }

  /** The arguments of the launcher commands, for this fixture's topics and database. */
  String[] commandArgs(String command, String... extra) {
    List<String> args = new ArrayList<>();
    args.add(command);
    args.addAll(connectionArgs());
    args.addAll(List.of(extra));
    return args.toArray(new String[0]);
  }

  private List<String> connectionArgs() {
    return List.of(
        "--bootstrapServers=" + bootstrap(),
        "--transactionsTopic=" + transactionsTopic,
        "--clicksTopic=" + clicksTopic,
        "--jdbcUrl=" + jdbcUrl,
        "--jdbcUser=" + user());
  }

  /** Writes transactions and clicks (others are skipped) to this fixture's topics, in order. */
  void write(List<GeneratedRecord> records) {
    try (KafkaProducer<String, byte[]> producer = producer()) {
      for (GeneratedRecord r : records) {
        String topic = topicFor(r.topic());
        if (topic == null) {
          continue;
        }
        producer.send(
            new ProducerRecord<>(topic, 0, r.arrivalTime().toEpochMilli(), r.key(), r.payload()));
        written.add(RawInput.of(r));
        if (r.eventId() != null) {
          byEventId.putIfAbsent(r.eventId(), r);
        }
      }
      producer.flush();
    }
  }

  /**
   * Appends one valid transaction and one valid click at {@code eventTime}: they move the
   * event-time watermark past every earlier window (a streaming replay closes a window only when
   * event time moves on). They are input like any other, so the oracle sees them too.
   */
  void writeSentinels(Instant eventTime) {
    String tx =
        "{\"event_id\":\"sentinel-tx-"
            + eventTime.toEpochMilli()
            + "\",\"customer_id\":\"c-sentinel\","
            + "\"merchant_id\":\"m-sentinel\",\"amount_cents\":1,\"currency\":\"EUR\","
            + "\"country\":\"NL\",\"event_time\":\""
            + eventTime
            + "\"}";
    String click =
        "{\"event_id\":\"sentinel-click-"
            + eventTime.toEpochMilli()
            + "\",\"user_id\":\"u-sentinel\","
            + "\"page\":\"/sentinel\",\"event_time\":\""
            + eventTime
            + "\"}";
    try (KafkaProducer<String, byte[]> producer = producer()) {
      producer.send(
          new ProducerRecord<>(
              transactionsTopic, 0, eventTime.toEpochMilli(), "c-sentinel", tx.getBytes()));
      producer.send(
          new ProducerRecord<>(
              clicksTopic, 0, eventTime.toEpochMilli(), "u-sentinel", click.getBytes()));
      producer.flush();
    }
    written.add(RawInput.ofJson(RevenueOracle.TOPIC, tx));
    written.add(RawInput.ofJson(ClickstreamOracle.TOPIC, click));
  }

  private KafkaProducer<String, byte[]> producer() {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(8 << 20));
    return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
  }

  private String topicFor(String generatedTopic) {
    if (generatedTopic.equals(RevenueOracle.TOPIC)) {
      return transactionsTopic;
    }
    if (generatedTopic.equals(ClickstreamOracle.TOPIC)) {
      return clicksTopic;
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Expected and actual rows

  /** The views' rows, both sorted the same way. */
  record Views(List<RevenueRow> revenue, List<PageViewRow> pageViews) {}

  /**
   * The oracle's views over everything written, leaving out the records the replay reported late
   * for version {@code version}, and only windows that end at or before {@code closedBefore} (the
   * ones a streaming replay has closed).
   */
  Views expected(int version, Instant closedBefore) throws SQLException {
    Map<String, Set<String>> late = lateByView(version);
    LatePolicy policy = LatePolicy.observed(late);
    List<RevenueRow> revenue =
        RevenueOracle.compute(written, policy).rows().stream()
            .filter(r -> !r.windowEnd().isAfter(closedBefore))
            .sorted(Comparator.comparing(Object::toString))
            .collect(Collectors.toList());
    List<PageViewRow> pageViews =
        ClickstreamOracle.compute(written, policy).pageViews().stream()
            .filter(r -> !r.windowEnd().isAfter(closedBefore))
            .sorted(Comparator.comparing(Object::toString))
            .collect(Collectors.toList());
    return new Views(revenue, pageViews);
  }

  /** Rows of version {@code version}'s tables (or of the serving views with {@code "kappa"}). */
  Views actual(String suffix, Instant closedBefore) throws SQLException {
    List<RevenueRow> revenue = new ArrayList<>();
    List<PageViewRow> pageViews = new ArrayList<>();
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      try (ResultSet rs =
          s.executeQuery(
              "SELECT merchant_id, window_start, window_end, revenue_cents FROM revenue_per_merchant_hour_"
                  + suffix)) {
        while (rs.next()) {
          RevenueRow row =
              new RevenueRow(rs.getString(1), instant(rs, 2), instant(rs, 3), rs.getLong(4));
          if (!row.windowEnd().isAfter(closedBefore)) {
            revenue.add(row);
          }
        }
      }
      try (ResultSet rs =
          s.executeQuery(
              "SELECT page, window_start, window_end, views FROM page_views_per_minute_"
                  + suffix)) {
        while (rs.next()) {
          PageViewRow row =
              new PageViewRow(rs.getString(1), instant(rs, 2), instant(rs, 3), rs.getLong(4));
          if (!row.windowEnd().isAfter(closedBefore)) {
            pageViews.add(row);
          }
        }
      }
    }
    revenue.sort(Comparator.comparing(Object::toString));
    pageViews.sort(Comparator.comparing(Object::toString));
    return new Views(revenue, pageViews);
  }

  /** Event ids the replay of {@code version} routed late, per oracle view name. */
  Map<String, Set<String>> lateByView(int version) throws SQLException {
    Map<String, Set<String>> late = new TreeMap<>();
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      try (ResultSet exists =
          s.executeQuery("SELECT to_regclass('public.late_records') IS NOT NULL")) {
        exists.next();
        if (!exists.getBoolean(1)) {
          return late;
        }
      }
      try (ResultSet rs = s.executeQuery("SELECT view, event_id FROM late_records")) {
        while (rs.next()) {
          String view = rs.getString(1);
          String suffix = "_v" + version;
          if (view.endsWith(suffix)) {
            late.computeIfAbsent(
                    view.substring(0, view.length() - suffix.length()), k -> new HashSet<>())
                .add(rs.getString(2));
          }
        }
      }
    }
    return late;
  }

  /** Every record the replay reported late must be one the generator made late. */
  void assertLateOnesAreGeneratorLate(int version) throws SQLException {
    for (Map.Entry<String, Set<String>> e : lateByView(version).entrySet()) {
      for (String id : e.getValue()) {
        GeneratedRecord r = byEventId.get(id);
        assertTrue(
            e.getKey()
                + ": "
                + id
                + " was routed late but is "
                + (r == null ? "unknown" : r.label()),
            r != null && r.label() == RecordLabel.LATE);
      }
    }
  }

  long lateCount(int version) throws SQLException {
    return lateByView(version).values().stream().mapToLong(Set::size).sum();
  }

  Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl, user(), "");
  }

  private static Instant instant(ResultSet rs, int column) throws SQLException {
    return rs.getObject(column, OffsetDateTime.class).toInstant();
  }
}
