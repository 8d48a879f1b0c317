package io.beamsuite.pipelines.bench;

import io.beamsuite.fixtures.bench.Ratios;
import io.beamsuite.fixtures.generator.EventGenerator;
import io.beamsuite.fixtures.generator.GeneratedRecord;
import io.beamsuite.fixtures.generator.GeneratorConfig;
import io.beamsuite.io.kafka.KafkaJsonSource;
import io.beamsuite.pipelines.testing.SandboxProcess;
import io.beamsuite.transforms.records.RawRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Throughput of {@link KafkaJsonSource} on embedded Flink ({@code --runner=FlinkRunner
 * --flinkMaster=[local]}) against a plain {@link KafkaConsumer} poll loop over the same topic: the
 * Flink counterpart of io-adapters' {@code KafkaJsonSourceBenchmark} (DirectRunner). Not a test.
 *
 * <p>The broker runs in a child JVM ({@link SandboxProcess}: this module's classpath carries
 * Spark's Scala 2.12, Kafka needs 2.13). Run from the repository root:
 *
 * <pre>
 * mvn -B -ntp -q -pl pipelines test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=target/test.cp -Dmdep.includeScope=test
 * CP=pipelines/target/test-classes:pipelines/target/classes:$(cat pipelines/target/test.cp)
 * java -Xmx2g -cp "$CP" io.beamsuite.pipelines.bench.KafkaSourceOnFlinkBenchmark
 * </pre>
 *
 * <p>System properties: {@code bench.records} (default 300,000), {@code bench.trials} (default 3),
 * {@code bench.partitions} (default {@code 1,2}), {@code bench.reuse} (default true: also run the
 * Flink side with {@code --objectReuse=true --fasterCopy=true}).
 *
 * <p>Each topic is filled once with the same N click records (JSON with {@code event_time}, from
 * the fixtures' {@link EventGenerator}), round-robin over its partitions. Sides:
 *
 * <ul>
 *   <li>{@code plain}: {@code KafkaConsumer<byte[], byte[]>}, assign + seekToBeginning, poll until
 *       N records. Time includes creating the consumer.
 *   <li>{@code flink}: a pipeline reading {@code KafkaJsonSource.of(bootstrap,
 *       topic).withMaxNumRecords(N)} and counting in a ParDo, on {@code --flinkMaster=[local]
 *       --parallelism=<partitions>}. Time runs from {@code Pipeline.run} to the end of {@code
 *       waitUntilFinish}, so it includes starting and stopping the embedded MiniCluster.
 *   <li>{@code flink-reuse}: the same with {@code --objectReuse=true --fasterCopy=true}.
 * </ul>
 *
 * <p>Fixed costs are measured separately on a 10-record topic (first run cold, then three warm
 * runs): the {@code flink} side (MiniCluster start/stop, job submission, splitting, consumer
 * creation) and the {@code plain} side (consumer creation, metadata). The "minus fixed cost"
 * columns subtract the warm medians from each measured time: an estimate of the steady-state read
 * rates. Sides of a trial run in a rotating order; every run must count exactly N records.
 */
public final class KafkaSourceOnFlinkBenchmark {
  private static final String TINY_TOPIC = "bench-flink-tiny";
  private static final int TINY_RECORDS = 10;

  private KafkaSourceOnFlinkBenchmark() {}

  public static void main(String[] args) throws Exception {
    int n = Integer.getInteger("bench.records", 300_000);
    int trials = Integer.getInteger("bench.trials", 3);
    List<Integer> partitionCounts = new ArrayList<>();
    for (String p : System.getProperty("bench.partitions", "1,2").split(",")) {
      partitionCounts.add(Integer.parseInt(p.trim()));
    }
    List<String> sides = new ArrayList<>(List.of("plain", "flink"));
    if (Boolean.parseBoolean(System.getProperty("bench.reuse", "true"))) {
      sides.add("flink-reuse");
    }

    List<GeneratedRecord> clicks =
        EventGenerator.of(
                GeneratorConfig.builder()
                    .seed(7)
                    .eventCount(n)
                    .topicWeights(1, 0, 0)
                    .userCount(10_000)
                    .includeOversizedMalformed(false)
                    .build())
            .generate();
    if (clicks.size() != n) {
      throw new IllegalStateException("generated " + clicks.size() + " records, wanted " + n);
    }
    long bytes = clicks.stream().mapToLong(GeneratedRecord::payloadLength).sum();

    Path work = Files.createTempDirectory("beamsuite-kafka-flink-bench");
    try (SandboxProcess sandbox = SandboxProcess.start(work)) {
      String bootstrap = sandbox.setting("kafka.bootstrap");
      try (AdminClient admin =
          AdminClient.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        List<NewTopic> topics = new ArrayList<>();
        // No time-based retention, so the broker's retention check never deletes the log mid-run.
        topics.add(new NewTopic(TINY_TOPIC, 1, (short) 1).configs(Map.of("retention.ms", "-1")));
        for (int partitions : partitionCounts) {
          topics.add(
              new NewTopic(topic(partitions), partitions, (short) 1)
                  .configs(Map.of("retention.ms", "-1")));
        }
        admin.createTopics(topics).all().get();
      }
      long fillStart = System.nanoTime();
      fill(bootstrap, TINY_TOPIC, 1, clicks.subList(0, TINY_RECORDS));
      for (int partitions : partitionCounts) {
        fill(bootstrap, topic(partitions), partitions, clicks);
      }
      System.out.printf(
          Locale.ROOT,
          "records=%,d (avg %d bytes) trials=%d cores=%d maxHeap=%dm sides=%s (filled in %.1f s)%n",
          n,
          bytes / n,
          trials,
          Runtime.getRuntime().availableProcessors(),
          Runtime.getRuntime().maxMemory() >> 20,
          sides,
          (System.nanoTime() - fillStart) / 1e9);

      // Fixed cost of one embedded-Flink job: a 10-record topic. The first run is cold (class
      // loading, JIT), the following ones are what every measured Flink run pays on top of reading.
      double[] plainTiny = new double[4];
      for (int i = 0; i < plainTiny.length; i++) {
        plainTiny[i] = plain(bootstrap, TINY_TOPIC, 1, TINY_RECORDS) / 1e9;
      }
      double plainFixed = median(Arrays.copyOfRange(plainTiny, 1, plainTiny.length));
      double[] tiny = new double[4];
      for (int i = 0; i < tiny.length; i++) {
        tiny[i] = flink(bootstrap, TINY_TOPIC, 1, TINY_RECORDS, false) / 1e9;
      }
      double[] warmTiny = Arrays.copyOfRange(tiny, 1, tiny.length);
      double fixed = median(warmTiny);
      System.out.printf(
          Locale.ROOT,
          "%nEmbedded Flink fixed cost (%d-record topic, parallelism 1): cold %.2f s, warm %s s"
              + " (median %.2f s)%n",
          TINY_RECORDS,
          tiny[0],
          fmt(warmTiny),
          fixed);
      System.out.printf(
          Locale.ROOT,
          "Plain consumer fixed cost (same topic): cold %.2f s, warm median %.2f s%n",
          plainTiny[0],
          plainFixed);

      for (int partitions : partitionCounts) {
        String topic = topic(partitions);
        System.out.printf(
            Locale.ROOT,
            "%n### %d partition(s), N = %,d, --parallelism=%d%n%n",
            partitions,
            n,
            partitions);
        StringBuilder header =
            new StringBuilder("| trial | order | plain rec/s | Flink rec/s | ratio |");
        StringBuilder rule = new StringBuilder("|---|---|---:|---:|---:|");
        header.append(" plain rec/s minus fixed cost | Flink rec/s minus fixed cost | ratio |");
        rule.append("---:|---:|---:|");
        if (sides.contains("flink-reuse")) {
          header.append(" Flink objectReuse+fasterCopy rec/s | ratio |");
          rule.append("---:|---:|");
        }
        System.out.println(header);
        System.out.println(rule);
        double[][] ratio = new double[sides.size()][trials];
        double[] steadyRatio = new double[trials];
        for (int t = 0; t < trials; t++) {
          double[] seconds = new double[sides.size()];
          List<String> order = new ArrayList<>();
          for (int i = 0; i < sides.size(); i++) {
            int s = (t + i) % sides.size();
            order.add(sides.get(s));
            long nanos;
            switch (sides.get(s)) {
              case "plain":
                nanos = plain(bootstrap, topic, partitions, n);
                break;
              case "flink":
                nanos = flink(bootstrap, topic, partitions, n, false);
                break;
              default:
                nanos = flink(bootstrap, topic, partitions, n, true);
                break;
            }
            seconds[s] = nanos / 1e9;
          }
          double plainRate = n / seconds[0];
          double flinkRate = n / seconds[1];
          double plainSteadyRate = n / Math.max(1e-3, seconds[0] - plainFixed);
          double steadyRate = n / Math.max(1e-3, seconds[1] - fixed);
          ratio[1][t] = flinkRate / plainRate;
          steadyRatio[t] = steadyRate / plainSteadyRate;
          StringBuilder line =
              new StringBuilder(
                  String.format(
                      Locale.ROOT,
                      "| %d | %s | %,.0f (%.2f s) | %,.0f (%.2f s) | %.2fx | %,.0f | %,.0f | %.2fx |",
                      t + 1,
                      String.join(" ", order),
                      plainRate,
                      seconds[0],
                      flinkRate,
                      seconds[1],
                      ratio[1][t],
                      plainSteadyRate,
                      steadyRate,
                      steadyRatio[t]));
          if (sides.contains("flink-reuse")) {
            double reuseRate = n / seconds[2];
            ratio[2][t] = reuseRate / plainRate;
            line.append(
                String.format(
                    Locale.ROOT, " %,.0f (%.2f s) | %.2fx |", reuseRate, seconds[2], ratio[2][t]));
          }
          System.out.println(line);
        }
        System.out.println();
        System.out.println(Ratios.summary(partitions + " partition(s): Flink / plain", ratio[1]));
        System.out.println(
            Ratios.summary(partitions + " partition(s): both minus their fixed cost", steadyRatio));
        if (sides.contains("flink-reuse")) {
          System.out.println(
              Ratios.summary(
                  partitions + " partition(s): Flink objectReuse+fasterCopy / plain", ratio[2]));
        }
      }
    }
  }

  private static String topic(int partitions) {
    return "bench-flink-clicks-p" + partitions;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static String fmt(double[] values) {
    StringBuilder out = new StringBuilder();
    for (double v : values) {
      out.append(out.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", v));
    }
    return out.toString();
  }

  /** Writes the records round-robin over the partitions, in order, and waits for every ack. */
  private static void fill(
      String bootstrap, String topic, int partitions, List<GeneratedRecord> records) {
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.LINGER_MS_CONFIG,
                "20",
                ProducerConfig.BATCH_SIZE_CONFIG,
                String.valueOf(256 * 1024)),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      for (int i = 0; i < records.size(); i++) {
        GeneratedRecord r = records.get(i);
        producer.send(
            new ProducerRecord<>(
                topic, i % partitions, r.key().getBytes(StandardCharsets.UTF_8), r.payload()));
      }
      producer.flush();
    }
  }

  /** The baseline: poll byte arrays until n records were read. Returns nanoseconds. */
  private static long plain(String bootstrap, String topic, int partitions, int n) {
    long start = System.nanoTime();
    long count = 0;
    long sum = 0;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                "false"),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        tps.add(new TopicPartition(topic, p));
      }
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (count < n) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("plain consumer read only " + count + " of " + n);
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          count++;
          sum += r.value().length;
        }
      }
    }
    long nanos = System.nanoTime() - start;
    if (count != n || sum <= 0) {
      throw new IllegalStateException("plain consumer read " + count + " records, wanted " + n);
    }
    return nanos;
  }

  /**
   * The Beam side on embedded Flink. Returns nanoseconds from {@code Pipeline.run} to the end of
   * {@code waitUntilFinish}.
   */
  private static long flink(String bootstrap, String topic, int partitions, int n, boolean reuse) {
    FlinkPipelineOptions options = PipelineOptionsFactory.create().as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    options.setFlinkMaster("[local]");
    options.setParallelism(partitions);
    if (reuse) {
      options.setObjectReuse(true);
      options.setFasterCopy(true);
    }
    CountFn.COUNT.set(0);
    Pipeline p = Pipeline.create(options);
    p.apply("Read", KafkaJsonSource.of(bootstrap, topic).withMaxNumRecords(n))
        .apply("Count", ParDo.of(new CountFn()));
    long start = System.nanoTime();
    p.run().waitUntilFinish();
    long nanos = System.nanoTime() - start;
    if (CountFn.COUNT.get() != n) {
      throw new IllegalStateException("pipeline counted " + CountFn.COUNT.get() + ", wanted " + n);
    }
    return nanos;
  }

  /** Counts records in a static counter: the embedded MiniCluster runs in this JVM. */
  static final class CountFn extends DoFn<RawRecord, Void> {
    private static final long serialVersionUID = 1L;
    static final AtomicLong COUNT = new AtomicLong();

    @ProcessElement
    public void process(@Element RawRecord record) {
      COUNT.incrementAndGet();
    }
  }
}
