package io.beamsuite.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamsuite.fixtures.EmbeddedKafka;
import io.beamsuite.fixtures.EmbeddedPostgres;
import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.pipelines.fraud.FraudOptions;
import io.beamsuite.pipelines.fraud.FraudPipeline;
import io.beamsuite.pipelines.testing.Workload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Section 6: end-to-end latency of the {@code fraud} pipeline on embedded Flink streaming, from
 * producing a transaction into a real Kafka topic ({@link EmbeddedKafka}) to its {@code
 * amount_over_limit} row being inserted into {@code fraud_alerts} of a real PostgreSQL ({@link
 * EmbeddedPostgres}). The bench creates {@code fraud_alerts} beforehand with the sink's columns
 * plus {@code inserted_at timestamptz DEFAULT clock_timestamp()} (the sink's {@code CREATE TABLE IF
 * NOT EXISTS} then keeps it; its upsert never touches the extra column). The feeder sends at a
 * fixed rate, with {@code event_time} = now and an amount over every credit limit, and records the
 * wall-clock time just before each send; latency = inserted_at - that time, same machine clock.
 */
public final class LatencyBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();

  private LatencyBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchArgs a = BenchArgs.parse(args, "rate", "seconds", "trials");
    int rate = a.intArg("rate", 200, 100);
    int seconds = a.intArg("seconds", 20, 8);
    int trials = a.intArg("trials", 3, 3);
    Results out = Results.forSection("latency", "Latency");
    Path work = Files.createTempDirectory("beamsuite-bench-latency");
    Workload workload = Workload.write(Workload.realisticMix(BenchEvents.SEED, 200).build(), work);
    List<String> customers = new ArrayList<>();
    workload.customerSnapshot().forEach(c -> customers.add(c.customerId()));
    try (EmbeddedPostgres postgres = new EmbeddedPostgres().start();
        EmbeddedKafka kafka = new EmbeddedKafka(Map.of("log.retention.ms", "-1")).start()) {
      kafka.createTopic("transactions", 1);
      createAlertsTable(postgres);
      FraudOptions options = PipelineOptionsFactory.fromArgs(
              "--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2", "--streaming=true",
              "--attachedMode=false", "--bootstrapServers=" + kafka.bootstrapServers(), "--source=kafka",
              "--transactionsTopic=transactions", "--customersSource=" + workload.customersFileSource(),
              "--alertsTopic=", "--maxOutOfOrdernessSeconds=1", "--jdbcUrl=" + postgres.jdbcUrl(),
              "--jdbcUser=" + postgres.user())
          .as(FraudOptions.class);
      Pipeline p = Pipeline.create(options);
      FraudPipeline.build(p, options);
      PipelineResult result = p.run();
      Map<String, Long> producedAt = new ConcurrentHashMap<>();
      try (KafkaProducer<String, byte[]> producer = producer(kafka.bootstrapServers())) {
        // Until the job is up and the first alert arrives (MiniCluster start, Kafka assignment).
        long upBy = System.currentTimeMillis() + TimeUnit.SECONDS.toMillis(180);
        int probe = 0;
        while (alerts(postgres) == 0) {
          if (System.currentTimeMillis() > upBy) {
            throw new IllegalStateException("no alert within 180 s; the pipeline did not start");
          }
          send(producer, "probe-" + probe++, customers, producedAt);
          Thread.sleep(500);
        }
        List<List<String>> rows = new ArrayList<>();
        double[] p50s = new double[trials];
        double[] p99s = new double[trials];
        for (int trial = 0; trial < trials; trial++) {
          List<String> ids = feed(producer, "t" + trial, rate, seconds, customers, producedAt);
          double[] latencies = waitForAlerts(postgres, ids, producedAt);
          Arrays.sort(latencies);
          p50s[trial] = percentile(latencies, 0.50);
          p99s[trial] = percentile(latencies, 0.99);
          rows.add(List.of(String.valueOf(trial + 1), String.format("%,d", ids.size()),
              String.format("%,d", latencies.length), String.format("%,.0f", p50s[trial]),
              String.format("%,.0f", p99s[trial]), String.format("%,.0f", latencies[latencies.length - 1])));
          System.out.printf("trial %d: %d sent, %d alerts, p50 %.0f ms, p99 %.0f ms%n",
              trial + 1, ids.size(), latencies.length, p50s[trial], p99s[trial]);
        }
        out.note(String.format("`fraud` (`FraudPipeline.build`) on `--runner=FlinkRunner --flinkMaster=[local]"
                + " --parallelism=2 --streaming=true --maxOutOfOrdernessSeconds=1` (other options default:"
                + " dedup, as-of enrichment with customers from a change file, the three rules, JDBC upsert"
                + " sink), reading topic `transactions` (1 partition) of an embedded Kafka %s broker and"
                + " writing `fraud_alerts` into embedded PostgreSQL. Fixed input rate %d transactions/s for"
                + " %d s per trial, every one over its customer's credit limit, so each must yield one"
                + " `amount_over_limit` row; trials run back to back in one job after a warm-up until the"
                + " first alert appeared. Latency = `inserted_at` (`clock_timestamp()` default of a column"
                + " the bench adds) − wall time before `send`.",
            org.apache.kafka.common.utils.AppInfoParser.getVersion(), rate, seconds));
        out.table("event → fraud_alerts row latency (ms) per trial",
            List.of("trial", "sent", "rows", "p50 ms", "p99 ms", "max ms"), rows);
        out.note(String.format("Median over trials: **p50 %.0f ms, p99 %.0f ms** at %d events/s.",
            FlinkVsNativeBenchmark.median(p50s), FlinkVsNativeBenchmark.median(p99s), rate));
      } finally {
        result.cancel();
      }
    } finally {
      JdbcConnectionSpec.closeAllPools();
    }
  }

  private static void createAlertsTable(EmbeddedPostgres postgres) throws Exception {
    try (Connection c = postgres.connection(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE " + FraudPipeline.ALERTS_TABLE + " (rule text, alert_key text, customer_id text,"
          + " event_time timestamptz, observed bigint, threshold bigint,"
          + " inserted_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (rule, alert_key))");
    }
  }

  private static KafkaProducer<String, byte[]> producer(String bootstrap) {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.ACKS_CONFIG, "1"),
        new StringSerializer(), new ByteArraySerializer());
  }

  private static void send(KafkaProducer<String, byte[]> producer, String id, List<String> customers,
      Map<String, Long> producedAt) throws Exception {
    String customer = customers.get(Math.floorMod(id.hashCode(), customers.size()));
    ObjectNode t = JSON.createObjectNode();
    t.put("event_id", id);
    t.put("customer_id", customer);
    t.put("merchant_id", "m-00001");
    t.put("amount_cents", 1_000_000_000_000L);
    t.put("currency", "USD");
    t.put("country", "US");
    long now = System.currentTimeMillis();
    t.put("event_time", Instant.ofEpochMilli(now).toString());
    producedAt.put(id, now);
    producer.send(new ProducerRecord<>("transactions", customer, JSON.writeValueAsBytes(t)));
  }

  /** Sends {@code rate} events per second for {@code seconds}, evenly paced. */
  private static List<String> feed(KafkaProducer<String, byte[]> producer, String prefix, int rate, int seconds,
      List<String> customers, Map<String, Long> producedAt) throws Exception {
    List<String> ids = new ArrayList<>();
    long start = System.nanoTime();
    long intervalNanos = 1_000_000_000L / rate;
    for (int i = 0; i < rate * seconds; i++) {
      long due = start + i * intervalNanos;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      String id = prefix + "-" + i;
      send(producer, id, customers, producedAt);
      ids.add(id);
    }
    producer.flush();
    return ids;
  }

  private static long alerts(EmbeddedPostgres postgres) throws Exception {
    try (Connection c = postgres.connection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM " + FraudPipeline.ALERTS_TABLE
            + " WHERE rule = '" + FraudPipeline.AMOUNT_OVER_LIMIT + "'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Waits (up to 120 s) for an alert row per id; returns the latencies found (ms). */
  private static double[] waitForAlerts(EmbeddedPostgres postgres, List<String> ids, Map<String, Long> producedAt)
      throws Exception {
    long deadline = System.currentTimeMillis() + 120_000;
    Map<String, Double> found = new java.util.HashMap<>();
    while (true) {
      found.clear();
      try (Connection c = postgres.connection(); Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT alert_key, (extract(epoch from inserted_at) * 1000)::float8 FROM "
              + FraudPipeline.ALERTS_TABLE + " WHERE rule = '" + FraudPipeline.AMOUNT_OVER_LIMIT + "'")) {
        while (rs.next()) {
          found.put(rs.getString(1), rs.getDouble(2));
        }
      }
      long missing = ids.stream().filter(id -> !found.containsKey(id)).count();
      if (missing == 0 || System.currentTimeMillis() > deadline) {
        if (missing > 0) {
          System.out.println("WARNING: " + missing + " of " + ids.size() + " alerts missing after 120 s");
        }
        return ids.stream().filter(found::containsKey)
            .mapToDouble(id -> found.get(id) - producedAt.get(id)).toArray();
      }
      Thread.sleep(500);
    }
  }

  private static double percentile(double[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }
}
