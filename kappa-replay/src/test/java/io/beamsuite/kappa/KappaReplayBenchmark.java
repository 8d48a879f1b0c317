package io.beamsuite.kappa;

import io.beamsuite.fixtures.generator.EventGenerator;
import io.beamsuite.fixtures.generator.GeneratedRecord;
import io.beamsuite.pipelines.testing.SandboxProcess;
import io.beamsuite.pipelines.testing.Workload;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Replay throughput, not a test: records/s of a Kappa replay on embedded Flink (start of the
 * command to caught up, so Flink's start and the checkpoint interval are included) against a plain
 * {@code KafkaConsumer} reading the same two topics from the beginning to the same end offsets, in
 * the same run, alternating, {@code runs} times each. Prints median, min and max.
 *
 * <pre>
 * mvn -B -ntp -o -q install -DskipTests -pl kappa-replay -am
 * mvn -B -ntp -o -pl kappa-replay exec:java ... (or run the main from an IDE) [events] [runs]
 * </pre>
 */
public final class KappaReplayBenchmark {
  private KappaReplayBenchmark() {}

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Path workDir = Files.createTempDirectory("kappa-bench");
    try (SandboxProcess sandbox = SandboxProcess.start(workDir)) {
      KappaFixture f = new KappaFixture(sandbox, "bench");
      List<GeneratedRecord> records =
          EventGenerator.of(Workload.realisticMix(42, events).topicWeights(1, 1, 0).build())
              .generate();
      f.write(records);
      long total;
      try (KafkaPositions kafka = KafkaPositions.connect(f.bootstrap())) {
        total =
            kafka.endOffsets(List.of(f.transactionsTopic, f.clicksTopic)).values().stream()
                .mapToLong(Long::longValue)
                .sum();
      }
      System.out.printf(Locale.ROOT, "records in the two topics: %d%n", total);
      List<Double> consumer = new ArrayList<>();
      List<Double> consumerSteady = new ArrayList<>();
      List<Double> replay = new ArrayList<>();
      List<Double> steady = new ArrayList<>();
      List<Double> ratio = new ArrayList<>();
      List<Double> steadyRatio = new ArrayList<>();
      for (int run = 1; run <= runs; run++) {
        double[] plain = plainRead(f, total);
        double[] flink = flinkReplay(f, run, total);
        consumer.add(plain[0]);
        consumerSteady.add(plain[1]);
        replay.add(flink[0]);
        steady.add(flink[1]);
        ratio.add(flink[0] / plain[0]);
        steadyRatio.add(flink[1] / plain[1]);
        System.out.printf(
            Locale.ROOT,
            "run %d: end to end: KafkaConsumer %.0f, replay %.0f records/s (%.3fx);"
                + " after the first records/commit: KafkaConsumer %.0f, replay %.0f records/s (%.4fx)%n",
            run,
            plain[0],
            flink[0],
            flink[0] / plain[0],
            plain[1],
            flink[1],
            flink[1] / plain[1]);
      }
      System.out.printf(Locale.ROOT, "KafkaConsumer, end to end   records/s %s%n", stats(consumer));
      System.out.printf(Locale.ROOT, "replay, end to end          records/s %s%n", stats(replay));
      System.out.printf(Locale.ROOT, "ratio, end to end           %s%n", stats(ratio));
      System.out.printf(
          Locale.ROOT, "KafkaConsumer, after start  records/s %s%n", stats(consumerSteady));
      System.out.printf(Locale.ROOT, "replay, after 1st commit    records/s %s%n", stats(steady));
      System.out.printf(Locale.ROOT, "ratio, after start-up       %s%n", stats(steadyRatio));
    }
    System.exit(0);
  }

  /**
   * Records/s of a plain consumer reading both topics from offset 0 to the end: from creating it
   * (index 0), and from its first non-empty poll on (index 1, without its start-up).
   */
  private static double[] plainRead(KappaFixture f, long total) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, f.bootstrap());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
    long start = System.nanoTime();
    long firstNanos = 0;
    long firstCount = 0;
    long read = 0;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          List.of(new TopicPartition(f.transactionsTopic, 0), new TopicPartition(f.clicksTopic, 0));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long bytes = 0;
      while (read < total) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          read++;
          bytes += r.value() == null ? 0 : r.value().length;
        }
        if (firstNanos == 0 && read > 0) {
          firstNanos = System.nanoTime();
          firstCount = read;
        }
      }
      if (bytes < 0) {
        throw new AssertionError();
      }
    }
    long end = System.nanoTime();
    return new double[] {
      read / ((end - start) / 1e9), (read - firstCount) / ((end - firstNanos) / 1e9)
    };
  }

  /**
   * Records/s of kappa-replay on embedded Flink: from the command's start to caught up (index 0),
   * and from the first committed progress to caught up (index 1, without Flink's start-up).
   */
  private static double[] flinkReplay(KappaFixture f, int version, long total) throws Exception {
    KappaReplayOptions options =
        f.replayOptions(
            version,
            "--runner=FlinkRunner",
            "--streaming=true",
            "--attachedMode=false",
            "--checkpointingInterval=1000",
            "--parallelism=2");
    long start = System.nanoTime();
    try (KappaReplay.Running replay =
        KappaReplay.start(options, new PrintStream(OutputStream.nullOutputStream()))) {
      long firstNanos = 0;
      long firstLag = 0;
      while (true) {
        ReplayProgress p = replay.poll();
        if (firstNanos == 0 && p.totalLag() < total) {
          firstNanos = System.nanoTime();
          firstLag = p.totalLag();
        }
        if (p.caughtUp()) {
          break;
        }
        if (replay.failure() != null) {
          throw new IllegalStateException("replay failed", replay.failure());
        }
        if (System.nanoTime() - start > TimeUnit.MINUTES.toNanos(10)) {
          throw new IllegalStateException("not caught up: " + p.line());
        }
        Thread.sleep(100);
      }
      long end = System.nanoTime();
      double steady = firstLag / ((end - firstNanos) / 1e9);
      return new double[] {total / ((end - start) / 1e9), steady};
    }
  }

  private static String stats(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    double median =
        sorted.size() % 2 == 1
            ? sorted.get(sorted.size() / 2)
            : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
    return String.format(
        Locale.ROOT,
        "median %.3f, min %.3f, max %.3f over %d runs",
        median,
        sorted.get(0),
        sorted.get(sorted.size() - 1),
        sorted.size());
  }
}
