package io.beamsuite.bench;

import io.beamsuite.fixtures.services.EmbeddedKafka;
import io.beamsuite.fixtures.services.EmbeddedPostgres;
import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.pipelines.fraud.FraudPipeline;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Section 6: end-to-end latency of the {@code fraud} and {@code clickstream} pipelines on embedded
 * Flink streaming ({@code --parallelism=2}, {@code --maxOutOfOrdernessSeconds=2}), from producing
 * an event into a real Kafka topic ({@link EmbeddedKafka}, 2 partitions) to its row being inserted
 * into a real PostgreSQL ({@link EmbeddedPostgres}).
 *
 * <p><b>Open loop.</b> The feeder sends on a fixed schedule (event {@code i} of a phase is due at
 * {@code start + i / rate}); a send is never delayed by the system under test, and a send that the
 * feeder itself could only make late still counts from its due time, which is also its {@code
 * event_time}. The bench creates the result tables beforehand with the sinks' columns plus {@code
 * inserted_at timestamptz DEFAULT clock_timestamp()} (the sinks' {@code CREATE TABLE IF NOT EXISTS}
 * keeps them; their upserts never touch the extra column, so it holds the first insert). Latency =
 * {@code inserted_at} − due time, same machine clock.
 *
 * <p><b>fraud, by construction.</b> Every block of {@value #BLOCK} consecutive transactions holds:
 * one fresh customer with 5 transactions in one country ({@code velocity} fires on the 5th, nothing
 * else), one fresh customer with 3 transactions in 3 countries ({@code many_countries} fires on the
 * 3rd), two transactions over their customer's credit limit ({@code amount_over_limit}); the other
 * 42 are under the limit: at the base rate ({@code --rate}) from a pool of {@code 16 × rate}
 * customers used in rotation, so a pool customer's transactions are more than 18 s apart (at most 4
 * in a 1-minute velocity window, one country); above it the over-limit ones still come from the
 * pool and the others from {@code 16 × phase rate} customers without a CDC row (unmatched), so the
 * number of active customers grows with the rate, as in a real stream. The pool is the customers
 * CDC snapshot, in the customers topic before the job starts. So the expected rows are known per
 * phase; the alert's key is the transaction that made it deserved (for the window rules, the last
 * of its window to be sent).
 *
 * <p>The bench runs fraud with {@code --customerVersionRetentionMinutes=10} ({@code
 * --retentionMinutes}; default 1440): the as-of join learns the watermark per customer from
 * event-time timers one minute apart, starting one retention before the customer's first record, so
 * at the default every snapshot row and every new customer costs thousands of timer firings before
 * the job keeps up (the page note says more).
 *
 * <p><b>Sustainable rate.</b> One job runs a ladder of rates; after each step the bench waits for
 * the step's alerts. A step holds when every expected alert arrived within {@value #DRAIN_SECONDS}
 * s of the step's last send, the p99 latency of the window-rule alerts due in the step's last third
 * is at most {@value #LAG_BOUND_MS} ms (those rules wait for no watermark, so their latency is the
 * pipeline's processing lag: a job that falls behind shows it as latency growing with the step),
 * and the feeder kept its schedule within {@value #FEEDER_SLACK_MS} ms. The ladder stops at the
 * first step that does not hold. Kafka consumer-group offsets are not used: the pipeline commits
 * them only when Flink finalizes a checkpoint, which this job does not take.
 */
public final class LatencyBenchmark {
  static final int BLOCK = 50;
  static final int[] VELOCITY_SLOTS = {1, 11, 21, 31, 41};
  static final int[] COUNTRY_SLOTS = {3, 19, 35};
  static final String[] HOP_COUNTRIES = {"GB", "FR", "DE"};
  static final int[] OVER_LIMIT_SLOTS = {5, 30};
  static final long LAG_BOUND_MS = 5_000;
  static final long FEEDER_SLACK_MS = 1_000;
  static final int DRAIN_SECONDS = 30;
  static final String[] RULES = {
    FraudPipeline.MANY_COUNTRIES, FraudPipeline.VELOCITY, FraudPipeline.AMOUNT_OVER_LIMIT
  };

  private LatencyBenchmark() {}

  public static void main(String[] args) {
    // System.exit: the Direct runner leaves its Kafka readers' threads running after cancel(),
    // which would keep this JVM alive after the last result is written.
    try {
      run(args);
    } catch (Throwable t) {
      t.printStackTrace();
      System.exit(1);
    }
    System.exit(0);
  }

  private static void run(String[] args) throws Exception {
    BenchArgs a =
        BenchArgs.parse(
            args,
            "rate",
            "seconds",
            "fastRate",
            "steps",
            "stepSeconds",
            "clickRate",
            "clickWindows",
            "warmupSeconds",
            "retentionMinutes",
            "directBaseRate",
            "directSteps",
            "directStepSeconds");
    int rate = a.intArg("rate", 1000, 1000);
    int seconds = a.intArg("seconds", 60, 10);
    int fastRate = a.intArg("fastRate", 5000, 5000);
    List<Integer> steps = a.intList("steps", "1000,2000,5000,10000,20000", "1000,5000");
    int stepSeconds = a.intArg("stepSeconds", 30, 10);
    int clickRate = a.intArg("clickRate", 1000, 1000);
    int clickWindows = a.intArg("clickWindows", 2, 1);
    int warmupSeconds = a.intArg("warmupSeconds", 10, 5);
    int retentionMinutes = a.intArg("retentionMinutes", 10, 10);
    int directBaseRate = a.intArg("directBaseRate", 200, 100);
    List<Integer> directSteps = a.intList("directSteps", "200,500,1000,2000", "100,200");
    int directStepSeconds = a.intArg("directStepSeconds", 20, 10);
    TreeSet<Integer> ladder = new TreeSet<>(steps);
    ladder.add(rate);
    ladder.add(fastRate);

    Results out = Results.forSection("latency", "Latency");
    List<String> failures = new ArrayList<>();
    try (EmbeddedPostgres postgres = new EmbeddedPostgres().start();
        EmbeddedKafka kafka = new EmbeddedKafka(Map.of("log.retention.ms", "-1")).start()) {
      out.meta(
          "Kafka (embedded broker and clients)",
          org.apache.kafka.common.utils.AppInfoParser.getVersion());
      FraudLatency.run(
          out,
          postgres,
          kafka,
          rate,
          seconds,
          fastRate,
          ladder,
          stepSeconds,
          warmupSeconds,
          retentionMinutes,
          failures);
      ClickstreamLatency.run(
          out, postgres, kafka, clickRate, clickWindows, warmupSeconds, failures);
      DirectStreamingFraud.run(
          out, postgres, kafka, directBaseRate, directSteps, directStepSeconds);
    } finally {
      JdbcConnectionSpec.closeAllPools();
    }
    if (!failures.isEmpty()) {
      throw new IllegalStateException("latency: " + String.join("; ", failures));
    }
  }

  /** The rule that row {@code slot} of a block deserves, or null. */
  static String ruleOf(int slot) {
    if (slot == VELOCITY_SLOTS[VELOCITY_SLOTS.length - 1]) {
      return FraudPipeline.VELOCITY;
    }
    if (slot == COUNTRY_SLOTS[COUNTRY_SLOTS.length - 1]) {
      return FraudPipeline.MANY_COUNTRIES;
    }
    return Arrays.binarySearch(OVER_LIMIT_SLOTS, slot) >= 0
        ? FraudPipeline.AMOUNT_OVER_LIMIT
        : null;
  }

  // ---------------------------------------------------------------------------------------------

  static void createTable(EmbeddedPostgres postgres, String ddl) throws Exception {
    try (Connection c = postgres.connection();
        Statement s = c.createStatement()) {
      s.execute(ddl);
    }
  }

  static KafkaProducer<String, String> producer(String bootstrap) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrap,
            ProducerConfig.LINGER_MS_CONFIG,
            0,
            ProducerConfig.ACKS_CONFIG,
            "1"),
        new StringSerializer(),
        new StringSerializer());
  }

  static long count(EmbeddedPostgres postgres, String where) throws Exception {
    try (Connection c = postgres.connection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM " + FraudPipeline.ALERTS_TABLE + " WHERE " + where)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static long deadLetters(EmbeddedPostgres postgres) throws Exception {
    try (Connection c = postgres.connection();
        Statement s = c.createStatement()) {
      try (ResultSet exists = s.executeQuery("SELECT to_regclass('public.dead_letters')")) {
        exists.next();
        if (exists.getString(1) == null) {
          return 0;
        }
      }
      try (ResultSet rs = s.executeQuery("SELECT count(*) FROM dead_letters")) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  static double[] sorted(List<Double> values) {
    double[] a = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(a);
    return a;
  }

  static String ms(double v) {
    return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%,.0f", v);
  }

  static double percentile(double[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }
}
