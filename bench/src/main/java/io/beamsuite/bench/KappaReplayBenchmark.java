package io.beamsuite.bench;

import io.beamsuite.fixtures.generator.EventGenerator;
import io.beamsuite.fixtures.generator.EventTopic;
import io.beamsuite.fixtures.generator.GeneratedRecord;
import io.beamsuite.fixtures.generator.GeneratorConfig;
import io.beamsuite.fixtures.services.EmbeddedKafka;
import io.beamsuite.fixtures.services.EmbeddedPostgres;
import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Section "Kappa replay": {@code records} records (transactions and clicks, half each, generated as
 * for the headline: 5% duplicates, 1% malformed, up to 10 min of disorder; Kafka timestamp = event
 * time) in an embedded Kafka broker, topics of 2 partitions (= the parallelism), replayed by {@code
 * kappa-replay --exitWhenCaughtUp=true} on embedded Flink (p=2, checkpoints every 2 s) into
 * embedded PostgreSQL, against a plain {@code KafkaConsumer} reading the same topics from the start
 * to the end offsets. Each run is a JVM of its own ({@link HeadlineSide}); warm-up, then trials in
 * rotating order.
 *
 * <pre>{@code
 * java -cp ... io.beamsuite.bench.KappaReplayBenchmark --records=2000000 --trials=3
 * }</pre>
 */
public final class KappaReplayBenchmark {
  static final List<String> TOPICS = List.of("transactions", "clicks");
  static final int PARTITIONS = 2;
  private static final String REPLAY = "kappa-replay";
  private static final String REPLAY_BUNDLED = "kappa-replay-bundled";
  private static final String CONSUMER = "kafka-consumer";

  private KappaReplayBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchArgs a = BenchArgs.parse(args, "records", "trials");
    int records = a.intArg("records", 2_000_000, 20_000);
    // One trial by default: a replay of 2,000,000 records takes ~15 minutes at the last measured
    // rate.
    int trials = a.intArg("trials", 1, 1);
    Results out = Results.forSection("kappa-replay", "Kappa replay");
    Path work = Files.createTempDirectory("beamsuite-bench-kappa");
    Path logs =
        Path.of(System.getProperty("bench.out", "target/bench/x"))
            .toAbsolutePath()
            .getParent()
            .resolve("kappa-logs");
    Files.createDirectories(logs);
    List<String> failures = new ArrayList<>();
    try (EmbeddedKafka kafka = new EmbeddedKafka().start();
        EmbeddedPostgres postgres = new EmbeddedPostgres().start()) {
      for (String topic : TOPICS) {
        kafka.createTopic(topic, PARTITIONS);
      }
      long produceStart = System.nanoTime();
      long sent = produce(kafka.bootstrapServers(), records);
      out.note(
          String.format(
              "%,d records (transactions and clicks, about half each; generated as for section 1:"
                  + " 5%% duplicates, 1%% malformed, up to 10 min of disorder; Kafka timestamp = event time) produced"
                  + " in %.0f s into an embedded Kafka %s broker, topics of %d partitions (= the parallelism)."
                  + " **kappa-replay** = `Launcher.run(kappa-replay --version=1 --exitWhenCaughtUp=true"
                  + " --runner=FlinkRunner --flinkMaster=[local] --parallelism=2 --checkpointingInterval=2000 ...)`"
                  + " into a fresh embedded PostgreSQL database per run: the command reports the catch-up time (every"
                  + " partition's committed offset at the live point; offsets are committed on checkpoints, so it is"
                  + " exact to about 2 s). **Plain consumer** = one `KafkaConsumer` assigned every partition of both"
                  + " topics, from the beginning to the end offsets (records read, nothing parsed). Each run is a JVM"
                  + " of its own; rec/s = records / wall time of the run (start-up included) and, for the replay,"
                  + " records / catch-up time. **kappa-replay-bundled** = the same with `--maxBundleSize=1000`"
                  + " instead of the launcher's default of 1 on Flink: one-element bundles keep the watermark"
                  + " moving under a steady input (the Flink runner drops a watermark that arrives while a bundle"
                  + " is open) at the price of per-bundle work (metrics updates, finishing every step's bundle)"
                  + " per record; the bundled run is the throughput a replay that only catches up could have.",
              sent,
              (System.nanoTime() - produceStart) / 1e9,
              org.apache.kafka.common.utils.AppInfoParser.getVersion(),
              PARTITIONS));
      ChildRuns children =
          new ChildRuns(
              postgres, work, logs, List.of("--bootstrapServers=" + kafka.bootstrapServers()));
      List<ChildRun> runs =
          children.trials(
              List.of(REPLAY, REPLAY_BUNDLED, CONSUMER),
              null,
              sent,
              trials,
              // No warm-up run: it would be one more full replay (~15 min); every run is a fresh
              // JVM.
              false,
              null,
              Long.MAX_VALUE,
              failures);
      int rounds = ChildRun.rounds(runs);
      double[] replayRate = new double[rounds];
      double[] caughtUpRate = new double[rounds];
      double[] bundledRate = new double[rounds];
      double[] vsConsumer = new double[rounds];
      List<List<String>> rows = new ArrayList<>();
      for (ChildRun r : runs) {
        int t = r.trial() - 1;
        double rate = sent / r.wallSeconds();
        boolean replay = !r.side().equals(CONSUMER);
        if (r.side().equals(REPLAY)) {
          replayRate[t] = rate;
          caughtUpRate[t] = sent / r.result().get("caughtUpSeconds").asDouble();
        } else if (r.side().equals(REPLAY_BUNDLED)) {
          bundledRate[t] = rate;
        } else {
          long read = (long) r.result().get("recordsRead").asDouble();
          if (read != sent) {
            failures.add(
                String.format("the plain consumer read %,d records, %,d were sent", read, sent));
          }
        }
        rows.add(
            List.of(
                String.valueOf(r.trial()),
                r.side(),
                String.format("%.1f", r.wallSeconds()),
                String.format("%,.0f", rate),
                replay ? String.format("%.1f", r.result().get("caughtUpSeconds").asDouble()) : "—",
                String.format("%.1f", r.cpuSeconds() / sent * 1e6),
                String.valueOf(r.peakRssBytes() >> 20)));
      }
      for (int t = 0; t < rounds; t++) {
        final int trial = t + 1;
        ChildRun consumer =
            runs.stream()
                .filter(r -> r.side().equals(CONSUMER) && r.trial() == trial)
                .findFirst()
                .orElseThrow();
        vsConsumer[t] = replayRate[t] / (sent / consumer.wallSeconds());
      }
      out.table(
          String.format(
              "Per run, %,d records (%d trial(s), no warm-up: each run is a fresh JVM, rotating order)",
              sent, rounds),
          List.of(
              "trial",
              "side",
              "wall s",
              "rec/s (whole run)",
              "catch-up s",
              "JVM CPU-s/M",
              "peak RSS MiB"),
          rows);
      out.rate(
          "kappa replay rate (whole run, start-up included), rec/s",
          replayRate,
          Results.Goal.atLeast(20_000, "≥ 20,000 rec/s"));
      out.rate(
          "kappa replay rate from the catch-up time the command reports, rec/s",
          caughtUpRate,
          null);
      out.rate(
          "replay with --maxBundleSize=1000 (whole run, start-up included), rec/s",
          bundledRate,
          null);
      out.ratio(
          "kappa replay / plain consumer (whole runs)",
          vsConsumer,
          Results.Goal.atLeast(0.3, "≥ 0.3×"));
    } finally {
      JdbcConnectionSpec.closeAllPools();
    }
    if (!failures.isEmpty()) {
      out.note("**FAILED**: " + String.join("; ", failures));
      System.err.println("FAILED: " + failures);
      System.exit(1);
    }
  }

  /**
   * Generates about {@code records} records, half per topic, and sends them; returns how many were
   * sent.
   */
  private static long produce(String bootstrapServers, int records) throws Exception {
    Map<String, Object> config =
        Map.of(
            "bootstrap.servers", bootstrapServers,
            "key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer",
            "value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer",
            "acks", "all",
            "linger.ms", "20",
            "batch.size", String.valueOf(256 * 1024));
    long sent = 0;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config)) {
      for (EventTopic topic : List.of(EventTopic.TRANSACTIONS, EventTopic.CLICKS)) {
        // eventCount × (1 + 5% duplicates + 1% malformed) records per topic.
        int events =
            (int)
                Math.round(
                    records
                        / 2.0
                        / (1 + HeadlineWorkload.DUPLICATE_RATE + HeadlineWorkload.MALFORMED_RATE));
        GeneratorConfig generatorConfig = HeadlineWorkload.config(topic, events);
        for (GeneratedRecord r : EventGenerator.of(generatorConfig).generate()) {
          long timestamp = (r.eventTime() != null ? r.eventTime() : r.arrivalTime()).toEpochMilli();
          producer.send(
              new ProducerRecord<>(
                  r.topic(),
                  null,
                  timestamp,
                  r.key() == null ? null : r.key().getBytes(StandardCharsets.UTF_8),
                  r.payload()));
          sent++;
        }
      }
      producer.flush();
    }
    return sent;
  }
}
