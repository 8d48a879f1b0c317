package io.beamsuite.io.kafka;

import io.beamsuite.fixtures.bench.Ratios;
import io.beamsuite.fixtures.generator.EventGenerator;
import io.beamsuite.fixtures.generator.GeneratedRecord;
import io.beamsuite.fixtures.generator.GeneratorConfig;
import io.beamsuite.fixtures.services.EmbeddedKafka;
import io.beamsuite.transforms.records.RawRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.ExperimentalOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
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
 * Throughput of {@link KafkaJsonSource} on the DirectRunner against a plain {@link KafkaConsumer}
 * poll loop over the same topic of a real in-process broker ({@link EmbeddedKafka}). Not a JUnit
 * test and not run by {@code mvn verify}.
 *
 * <p>Run from the repository root (after {@code mvn -B -ntp -q install -DskipTests -pl
 * transforms,test-fixtures}):
 *
 * <pre>
 * mvn -q -B -o -pl io-adapters test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=target/test.cp -Dmdep.includeScope=test
 * CP=io-adapters/target/test-classes:io-adapters/target/classes:$(cat io-adapters/target/test.cp)
 * java -cp "$CP" io.beamsuite.io.kafka.KafkaJsonSourceBenchmark
 * </pre>
 *
 * <p>System properties: {@code bench.records} (default 300,000), {@code bench.trials} (default 3),
 * {@code bench.partitions} (default {@code 1,2}), {@code bench.sides} (default {@code
 * plain,legacy-nochecks,legacy-sdf}; {@code legacy} and {@code offsets} are slow enough on the
 * DirectRunner to need a smaller {@code bench.records}, e.g. 30,000), {@code bench.maxReadSeconds}
 * (the legacy reads' {@code withMaxReadTime} safety net, default 120), {@code bench.verbose}.
 * Remaining arguments are DirectRunner options for every Beam side.
 *
 * <p>Each topic is filled once with the same N valid click records (JSON with {@code event_time},
 * from the fixtures' {@link EventGenerator}), spread round-robin over its partitions. Sides:
 *
 * <ul>
 *   <li>{@code plain}: a {@code KafkaConsumer<byte[], byte[]>} with default settings, assigned to
 *       every partition from the beginning, polling until N records were read.
 *   <li>{@code legacy}: {@code KafkaJsonSource.withMaxNumRecords(N)} (KafkaIO's legacy unbounded
 *       reader wrapped as a bounded read) and a ParDo counting records, default DirectRunner
 *       checks.
 *   <li>{@code legacy-nochecks}: the same with {@code --enforceImmutability=false
 *       --enforceEncodability=false}.
 *   <li>{@code legacy-sdf}: the same as {@code legacy-nochecks} with {@code
 *       --experiments=use_sdf_read}.
 *   <li>{@code offsets}: {@code KafkaJsonSource.withOffsetRange(p, 0, N/partitions)} for every
 *       partition (KafkaIO's SDF reader), checks off.
 * </ul>
 *
 * <p>Beam time runs from {@code Pipeline.create} to the end of {@code waitUntilFinish}: graph
 * construction, runner start-up, consumer creation and partition metadata look-ups are included.
 * The plain time includes creating the consumer and its first metadata fetch. The sides of a trial
 * run one after the other in a rotating order; every side must count exactly N records.
 */
public final class KafkaJsonSourceBenchmark {
  private KafkaJsonSourceBenchmark() {}

  public static void main(String[] args) throws Exception {
    int n = Integer.getInteger("bench.records", 300_000);
    int trials = Integer.getInteger("bench.trials", 3);
    List<Integer> partitionCounts = new ArrayList<>();
    for (String p : System.getProperty("bench.partitions", "1,2").split(",")) {
      partitionCounts.add(Integer.parseInt(p.trim()));
    }
    List<String> sides =
        List.of(System.getProperty("bench.sides", "plain,legacy-nochecks,legacy-sdf").split(","));
    if (!"plain".equals(sides.get(0))) {
      throw new IllegalArgumentException("the first side must be plain (the baseline)");
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

    // No fsync per message (the fixture's default): filling 600k records should take seconds.
    // No time-based retention: the records carry 2024 arrival timestamps, and with the default 7
    // days the broker's retention check (every 5 min) deletes the whole log mid-benchmark.
    try (EmbeddedKafka kafka =
        new EmbeddedKafka(
            Map.of(
                "log.flush.interval.messages",
                String.valueOf(Long.MAX_VALUE),
                "log.retention.ms",
                "-1"))) {
      kafka.start();
      for (int partitions : partitionCounts) {
        kafka.createTopic(topic(partitions), partitions);
        fill(kafka.bootstrapServers(), topic(partitions), partitions, clicks);
      }
      System.out.printf(
          Locale.ROOT,
          "records=%,d (avg %d bytes) trials=%d cores=%d sides=%s args=%s%n",
          n,
          bytes / n,
          trials,
          Runtime.getRuntime().availableProcessors(),
          sides,
          Arrays.toString(args));

      for (int partitions : partitionCounts) {
        String topic = topic(partitions);
        // Warm-up on a tenth of the records, numbers discarded.
        for (String side : sides) {
          run(
              side,
              kafka.bootstrapServers(),
              topic,
              partitions,
              n / 10 / partitions * partitions,
              args);
        }
        double[][] ratios = new double[sides.size()][trials];
        for (int t = 0; t < trials; t++) {
          double[] rate = new double[sides.size()];
          for (int i = 0; i < sides.size(); i++) {
            int s = (t + i) % sides.size();
            long nanos = run(sides.get(s), kafka.bootstrapServers(), topic, partitions, n, args);
            rate[s] = n / (nanos / 1e9);
          }
          StringBuilder line =
              new StringBuilder(
                  String.format(
                      Locale.ROOT,
                      "partitions=%d trial %d: plain %,9.0f rec/s",
                      partitions,
                      t + 1,
                      rate[0]));
          for (int s = 1; s < sides.size(); s++) {
            ratios[s][t] = rate[s] / rate[0];
            line.append(
                String.format(
                    Locale.ROOT,
                    " | %s %,9.0f rec/s (%.2fx)",
                    sides.get(s),
                    rate[s],
                    ratios[s][t]));
          }
          System.out.println(line);
        }
        for (int s = 1; s < sides.size(); s++) {
          System.out.println(
              Ratios.summary(
                  "partitions=" + partitions + " " + sides.get(s) + " / plain", ratios[s]));
        }
      }
    }
  }

  private static String topic(int partitions) {
    return "bench-clicks-p" + partitions;
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
                topic,
                i % partitions,
                r.arrivalTime().toEpochMilli(),
                r.key().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                r.payload()));
      }
      producer.flush();
    }
  }

  private static long run(
      String side, String bootstrap, String topic, int partitions, int n, String[] args) {
    switch (side) {
      case "plain":
        return plain(bootstrap, topic, partitions, n);
      case "legacy":
        return beam(options(args, true, false), legacy(bootstrap, topic, n), n);
      case "legacy-nochecks":
        return beam(options(args, false, false), legacy(bootstrap, topic, n), n);
      case "legacy-sdf":
        return beam(options(args, false, true), legacy(bootstrap, topic, n), n);
      case "offsets":
        KafkaJsonSource ranged = source(bootstrap, topic);
        for (int p = 0; p < partitions; p++) {
          ranged = ranged.withOffsetRange(p, 0, n / partitions);
        }
        return beam(options(args, false, false), ranged, n);
      default:
        throw new IllegalArgumentException("unknown side " + side);
    }
  }

  private static KafkaJsonSource source(String bootstrap, String topic) {
    return KafkaJsonSource.of(bootstrap, topic);
  }

  /** Legacy reads also stop after this long (a safety net; a short count then fails the run). */
  private static final org.joda.time.Duration MAX_READ =
      org.joda.time.Duration.standardSeconds(Long.getLong("bench.maxReadSeconds", 120));

  private static KafkaJsonSource legacy(String bootstrap, String topic, int n) {
    return source(bootstrap, topic).withMaxNumRecords(n).withMaxReadTime(MAX_READ);
  }

  private static DirectOptions options(String[] args, boolean checks, boolean sdfRead) {
    DirectOptions options = PipelineOptionsFactory.fromArgs(args).as(DirectOptions.class);
    options.setRunner(DirectRunner.class);
    options.setEnforceImmutability(checks);
    options.setEnforceEncodability(checks);
    if (sdfRead) {
      ExperimentalOptions.addExperiment(options.as(ExperimentalOptions.class), "use_sdf_read");
    }
    return options;
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
          // Only the first n records per topic: the same set the Beam sides read.
          if (r.offset() < n / partitions) {
            count++;
            sum += r.value().length;
          }
        }
      }
    }
    long nanos = System.nanoTime() - start;
    if (count != n || sum <= 0) {
      throw new IllegalStateException("plain consumer read " + count + " records, wanted " + n);
    }
    return nanos;
  }

  /** A Beam side: the source and a counting ParDo. Returns nanoseconds. */
  private static long beam(DirectOptions options, KafkaJsonSource source, long n) {
    CountFn.COUNT.set(0);
    long start = System.nanoTime();
    Pipeline p = Pipeline.create(options);
    p.apply("Read", source).apply("Count", ParDo.of(new CountFn()));
    p.run().waitUntilFinish();
    long nanos = System.nanoTime() - start;
    if (Boolean.getBoolean("bench.verbose")) {
      System.out.printf(
          Locale.ROOT, "  %s: %,d records in %.2f s%n", source, CountFn.COUNT.get(), nanos / 1e9);
    }
    if (CountFn.COUNT.get() != n) {
      throw new IllegalStateException("pipeline counted " + CountFn.COUNT.get() + ", wanted " + n);
    }
    return nanos;
  }

  /** Counts records in a static counter (metrics can land after waitUntilFinish). */
  static final class CountFn extends DoFn<RawRecord, Void> {
    static final AtomicLong COUNT = new AtomicLong();

    @ProcessElement
    public void process(@Element RawRecord record) {
      COUNT.incrementAndGet();
    }
  }
}
