package io.beamsuite.pipelines.fraud;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.beamsuite.fixtures.generator.CustomerRow;
import io.beamsuite.fixtures.generator.EventGenerator;
import io.beamsuite.fixtures.generator.GeneratorConfig;
import io.beamsuite.fixtures.oracle.CustomerVersions;
import io.beamsuite.fixtures.oracle.FraudAlertRow;
import io.beamsuite.fixtures.oracle.FraudOracle;
import io.beamsuite.fixtures.oracle.FraudParams;
import io.beamsuite.fixtures.oracle.LatePolicy;
import io.beamsuite.fixtures.oracle.RawInput;
import io.beamsuite.fixtures.oracle.ResultTables;
import io.beamsuite.pipelines.testing.SandboxProcess;
import io.beamsuite.pipelines.testing.Workload;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Fraud alerts arrive within seconds of their transaction, not when a window closes: the fraud
 * pipeline on embedded Flink (streaming, its own latency defaults) reads transactions sent in real
 * time (event time = send time, every 40th 20 s older: out of order) and a customers change topic
 * that receives its snapshot before the run and nothing after (an idle change stream must not hold
 * the as-of join back). A malformed record and a customer without a version ride along. Every alert
 * the oracle expects must reach {@code fraud_alerts}, none later than {@link #BOUND} after its
 * transaction was sent (a regression to window-close latency would take a minute or more), and the
 * table must equal the oracle exactly. Not a benchmark: a few hundred transactions, about a minute.
 */
public class FraudLatencyOnFlinkTest {
  private static final Duration BOUND = Duration.ofSeconds(15);
  private static final int TRANSACTIONS = 300;
  private static final int PER_SECOND = 10;
  private static final int CUSTOMERS = 30;
  private static final FraudParams PARAMS = new FraudParams(10, 3, 1, 8);
  private static final String[] COUNTRIES = {"GB", "FR", "DE", "US", "JP", "BR"};

  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static SandboxProcess sandbox;

  @BeforeClass
  public static void startSandbox() throws Exception {
    sandbox = SandboxProcess.start(TMP.newFolder("sandbox").toPath());
  }

  @AfterClass
  public static void stopSandbox() throws Exception {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  @Test
  public void everyAlertArrivesWithinSecondsOfItsTransaction() throws Exception {
    String bootstrap = sandbox.setting("kafka.bootstrap");
    String jdbcUrl = sandbox.createDatabase("fraud_latency");
    String user = sandbox.setting("postgres.user");
    EventGenerator customers =
        EventGenerator.of(
            GeneratorConfig.builder()
                .seed(7)
                .eventCount(10)
                .customerCount(CUSTOMERS)
                .customerUpdateCount(0)
                .build());
    List<CustomerRow> snapshot = customers.customerSnapshot();
    Properties admin = new Properties();
    admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin client = Admin.create(admin)) {
      client
          .createTopics(
              List.of(
                  new NewTopic("transactions-latency", 1, (short) 1),
                  new NewTopic("customers-latency", 1, (short) 1)))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
    try (KafkaProducer<String, String> producer = producer(bootstrap)) {
      for (String envelope : Workload.customerChanges(customers)) {
        producer.send(new ProducerRecord<>("customers-latency", envelope)).get();
      }
    }

    FraudOptions options =
        PipelineOptionsFactory.fromArgs(
                "--runner=FlinkRunner",
                "--flinkMaster=[local]",
                "--parallelism=1",
                "--streaming=true",
                "--attachedMode=false",
                "--bootstrapServers=" + bootstrap,
                "--transactionsTopic=transactions-latency",
                "--customersTopic=customers-latency",
                "--alertsTopic=",
                "--jdbcUrl=" + jdbcUrl,
                "--jdbcUser=" + user,
                "--countryWindowMinutes=" + PARAMS.countryWindowMinutes(),
                "--minCountries=" + PARAMS.minCountries(),
                "--velocityWindowMinutes=" + PARAMS.velocityWindowMinutes(),
                "--velocityCount=" + PARAMS.velocityCount())
            .as(FraudOptions.class);
    Pipeline p = Pipeline.create(options);
    FraudPipeline.build(p, options);
    PipelineResult run = p.run();
    Map<String, Sent> sentAt = new HashMap<>();
    List<RawInput> sent = new ArrayList<>();
    Map<String, Long> firstSeen = new TreeMap<>();
    Random random = new Random(20261206L);
    try (KafkaProducer<String, String> producer = producer(bootstrap)) {
      // Warm-up: one over-limit transaction every half second until the job answers, so the
      // measured phase does not include the job's start.
      int warmups = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (alertKeys(jdbcUrl, user).isEmpty()) {
        assertTrue("the job raised no alert within 120 s", System.nanoTime() < deadline);
        send(producer, sent, sentAt, "w" + warmups++, "c-00000", 1_000_000_000L, "GB", 0);
        Thread.sleep(500);
      }
      long started = System.currentTimeMillis();
      for (int i = 0; i < TRANSACTIONS; i++) {
        sleepUntil(started + i * 1000L / PER_SECOND);
        String customer = String.format("c-%05d", 1 + random.nextInt(CUSTOMERS - 1));
        if (i % 50 == 7) {
          customer = "nobody"; // no version: unmatched, still in the trailing-window rules
        }
        String country =
            random.nextInt(5) == 0 ? COUNTRIES[random.nextInt(COUNTRIES.length)] : "GB";
        long amount = random.nextInt(10) == 0 ? 6_000_000L : 1_000L + random.nextInt(50_000);
        // Every 40th is 20 s old: out of order, it re-evaluates the later ones it joins.
        long age = i % 40 == 39 ? 20_000 : 0;
        send(producer, sent, sentAt, "t" + i, customer, amount, country, age);
        if (i % 100 == 42) {
          producer.send(new ProducerRecord<>("transactions-latency", "{\"event_id\":")).get();
          sent.add(RawInput.ofJson("transactions", "{\"event_id\":"));
        }
        recordArrivals(jdbcUrl, user, firstSeen);
      }

      List<FraudAlertRow> expected =
          FraudOracle.compute(
                  sent, CustomerVersions.of(snapshot, List.of()), PARAMS, LatePolicy.none())
              .alerts();
      assertTrue("every rule fires", rulesIn(expected).size() == 3);
      ResultTables tables = new ResultTables(jdbcUrl, user);
      long until = System.nanoTime() + BOUND.toNanos();
      // Polled while the job runs: the table appears with its first alert.
      ResultTables polled = tables.allowingMissingTables();
      while (System.nanoTime() < until && !expected.equals(polled.fraudAlerts())) {
        recordArrivals(jdbcUrl, user, firstSeen);
        Thread.sleep(100);
      }
      recordArrivals(jdbcUrl, user, firstSeen);
      assertEquals(expected, tables.fraudAlerts());
      assertEquals("nothing is late", 0, tables.lateRecords());

      Map<String, List<Long>> latencies = new TreeMap<>();
      for (FraudAlertRow alert : expected) {
        if (alert.alertKey().startsWith("w")) {
          continue;
        }
        long seen = firstSeen.get(alert.rule() + "|" + alert.alertKey());
        long latency = seen - deservedAt(alert, sentAt);
        latencies.computeIfAbsent(alert.rule(), r -> new ArrayList<>()).add(latency);
      }
      latencies.forEach(
          (rule, values) -> {
            Collections.sort(values);
            System.out.printf(
                "fraud latency %s: %d alerts, p50 %d ms, p99 %d ms, max %d ms%n",
                rule,
                values.size(),
                values.get(values.size() / 2),
                values.get(Math.min(values.size() - 1, values.size() * 99 / 100)),
                values.get(values.size() - 1));
            assertTrue(
                rule + " alert later than " + BOUND + ": " + values.get(values.size() - 1) + " ms",
                values.get(values.size() - 1) <= BOUND.toMillis());
          });
      assertEquals(latencies.keySet(), rulesIn(expected));
    } finally {
      run.cancel();
    }
  }

  private static void send(
      KafkaProducer<String, String> producer,
      List<RawInput> sent,
      Map<String, Sent> sentAt,
      String id,
      String customer,
      long amount,
      String country,
      long ageMillis)
      throws Exception {
    long now = System.currentTimeMillis();
    long eventTime = now - ageMillis;
    String json =
        String.format(
            "{\"event_id\":\"%s\",\"customer_id\":\"%s\",\"merchant_id\":\"m-1\","
                + "\"amount_cents\":%d,\"currency\":\"EUR\",\"country\":\"%s\","
                + "\"event_time\":\"%s\"}",
            id, customer, amount, country, Instant.ofEpochMilli(eventTime));
    producer.send(new ProducerRecord<>("transactions-latency", customer, json)).get();
    sentAt.put(id, new Sent(customer, eventTime, now));
    sent.add(RawInput.ofJson("transactions", json));
  }

  /** A transaction sent: its customer, event time and when it was sent. */
  private record Sent(String customer, long eventTime, long sentAt) {}

  /**
   * When the alert could first be raised: its transaction was sent, and for a trailing-window rule
   * also every transaction of its window (one sent later, out of order, may be what completes it).
   */
  private static long deservedAt(FraudAlertRow alert, Map<String, Sent> sent) {
    Sent t = sent.get(alert.alertKey());
    long window =
        alert.rule().equals(FraudOracle.MANY_COUNTRIES)
            ? Duration.ofMinutes(PARAMS.countryWindowMinutes()).toMillis()
            : alert.rule().equals(FraudOracle.VELOCITY)
                ? Duration.ofMinutes(PARAMS.velocityWindowMinutes()).toMillis()
                : -1;
    long deserved = t.sentAt();
    for (Sent u : sent.values()) {
      boolean inWindow =
          u.customer().equals(t.customer())
              && u.eventTime() <= t.eventTime()
              && u.eventTime() >= t.eventTime() - window;
      if (inWindow) {
        deserved = Math.max(deserved, u.sentAt());
      }
    }
    return deserved;
  }

  private static Set<String> rulesIn(List<FraudAlertRow> alerts) {
    Set<String> rules = new TreeSet<>();
    alerts.forEach(a -> rules.add(a.rule()));
    return rules;
  }

  /** Notes the first time each {@code rule|alert_key} is seen in the table. */
  private static void recordArrivals(String jdbcUrl, String user, Map<String, Long> firstSeen)
      throws SQLException {
    long now = System.currentTimeMillis();
    for (String key : alertKeys(jdbcUrl, user)) {
      firstSeen.putIfAbsent(key, now);
    }
  }

  private static List<String> alertKeys(String jdbcUrl, String user) throws SQLException {
    List<String> keys = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(jdbcUrl, user, "");
        Statement s = c.createStatement()) {
      try (ResultSet exists = s.executeQuery("SELECT to_regclass('public.fraud_alerts')")) {
        exists.next();
        if (exists.getString(1) == null) {
          return keys;
        }
      }
      try (ResultSet rs = s.executeQuery("SELECT rule, alert_key FROM fraud_alerts")) {
        while (rs.next()) {
          keys.add(rs.getString(1) + "|" + rs.getString(2));
        }
      }
    }
    return keys;
  }

  private static void sleepUntil(long epochMillis) throws InterruptedException {
    long wait = epochMillis - System.currentTimeMillis();
    if (wait > 0) {
      Thread.sleep(wait);
    }
  }

  private static KafkaProducer<String, String> producer(String bootstrap) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    return new KafkaProducer<>(props);
  }
}
