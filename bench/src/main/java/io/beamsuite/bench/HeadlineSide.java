package io.beamsuite.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.pipelines.launcher.Launcher;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;

/**
 * One run of one side of the headline, in a JVM of its own (started by {@link
 * FlinkVsNativeBenchmark}), so that its CPU time and peak RSS are its own. Writes one JSON object
 * to {@code --result}: {@code wallSeconds} (from the start of {@code main} to the last row written
 * and the job stopped; JVM start-up before {@code main} excluded, the same for every side), {@code
 * cpuSeconds} (this JVM's process CPU time at the end, JVM start-up, JIT and GC included, from
 * {@code OperatingSystemMXBean.getProcessCpuTime}) and {@code peakRssBytes} ({@code VmHWM} of
 * {@code /proc/self/status}).
 *
 * <pre>{@code
 * java -cp ... io.beamsuite.bench.HeadlineSide --side=native-flink --events=/tmp/w/events \
 *     --jdbcUrl=jdbc:postgresql://127.0.0.1:5432/bench_3 --result=/tmp/w/r.json
 * }</pre>
 */
public final class HeadlineSide {
  /** The sides, by the name {@code --side} takes. */
  static final List<String> SIDES =
      List.of(
          "beam-flink",
          "beam-direct",
          "native-flink",
          "plain-java",
          "flink-empty",
          "beam-flink-empty",
          "kappa-replay",
          "kappa-replay-bundled",
          "kafka-consumer");

  /** Side-specific numbers added to the result (e.g. the replay's catch-up time). */
  private static final Map<String, Double> EXTRA = new java.util.LinkedHashMap<>();

  private HeadlineSide() {}

  public static void main(String[] args) throws Exception {
    long start = System.nanoTime();
    Map<String, String> a = new java.util.HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (!arg.startsWith("--") || eq < 0) {
        throw new IllegalArgumentException("expected --name=value, got " + arg);
      }
      a.put(arg.substring(2, eq), arg.substring(eq + 1));
    }
    String side = a.get("side");
    if (!SIDES.contains(side)) {
      throw new IllegalArgumentException("--side: one of " + SIDES + ", got " + side);
    }
    Path events = a.containsKey("events") ? Path.of(a.get("events")) : null;
    String jdbcUrl = a.get("jdbcUrl");
    switch (side) {
      case "beam-flink" -> lambdaBatch(events, jdbcUrl, BeamSide.flinkEmbedded());
      case "beam-direct" -> lambdaBatch(events, jdbcUrl, List.of("--runner=DirectRunner"));
      case "native-flink" -> NativeFlinkSide.run(events, jdbcUrl);
      case "plain-java" -> PlainJavaSide.run(events, jdbcUrl);
      case "flink-empty" -> NativeFlinkSide.runEmptyJob();
      case "beam-flink-empty" -> beamEmptyJob();
      case "kappa-replay" -> kappaReplay(a.get("bootstrapServers"), jdbcUrl);
      case "kappa-replay-bundled" ->
          kappaReplay(a.get("bootstrapServers"), jdbcUrl, "--maxBundleSize=1000");
      case "kafka-consumer" ->
          EXTRA.put("recordsRead", (double) readToEnd(a.get("bootstrapServers")));
      default -> throw new AssertionError(side);
    }
    JdbcConnectionSpec.closeAllPools();
    double wall = (System.nanoTime() - start) / 1e9;
    long cpuNanos =
        ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime();
    ObjectNode result = new ObjectMapper().createObjectNode();
    result.put("side", side);
    result.put("wallSeconds", wall);
    result.put("cpuSeconds", cpuNanos / 1e9);
    result.put("peakRssBytes", peakRssBytes());
    EXTRA.forEach(result::put);
    Files.writeString(Path.of(a.get("result")), result.toString(), StandardCharsets.UTF_8);
    System.out.println("RESULT " + result);
    // Embedded runners may leave non-daemon threads behind; the run is over.
    System.exit(0);
  }

  /**
   * {@code lambda-batch} over the master dataset, through the launcher, with {@code runner} flags.
   */
  private static void lambdaBatch(Path events, String jdbcUrl, List<String> runner) {
    List<String> argv = new ArrayList<>();
    argv.add("lambda-batch");
    argv.addAll(runner);
    argv.add("--source=file:" + events);
    argv.add("--cutoff=" + HeadlineWorkload.cutoff());
    argv.add("--batchVersion=1");
    argv.add("--jdbcUrl=" + jdbcUrl);
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int exit =
        Launcher.run(
            argv.toArray(new String[0]),
            new PrintStream(captured, true, StandardCharsets.UTF_8),
            System.err);
    String output = captured.toString(StandardCharsets.UTF_8);
    System.out.print(output);
    if (exit != 0) {
      throw new IllegalStateException(
          "lambda-batch exit " + exit + " for " + argv + ":\n" + output);
    }
  }

  private static final java.util.regex.Pattern CAUGHT_UP =
      java.util.regex.Pattern.compile("caught up with the live point after ([0-9.]+) s");

  /**
   * {@code kappa-replay --version=1 --exitWhenCaughtUp=true} on embedded Flink (p=2, checkpoints
   * every 2 s: the replay's offsets are committed on checkpoints, and caught-up is judged on them)
   * with {@code flags} added; records the catch-up time the command reports.
   */
  private static void kappaReplay(String bootstrapServers, String jdbcUrl, String... flags) {
    List<String> argv = new ArrayList<>();
    argv.add("kappa-replay");
    List<String> runner = new ArrayList<>(List.of("--checkpointingInterval=2000"));
    runner.addAll(List.of(flags));
    argv.addAll(BeamSide.flinkEmbedded(runner.toArray(new String[0])));
    argv.addAll(
        List.of(
            "--bootstrapServers=" + bootstrapServers,
            "--jdbcUrl=" + jdbcUrl,
            "--version=1",
            "--exitWhenCaughtUp=true",
            "--replayProgressSeconds=1"));
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int exit =
        Launcher.run(
            argv.toArray(new String[0]),
            new PrintStream(captured, true, StandardCharsets.UTF_8),
            System.err);
    String output = captured.toString(StandardCharsets.UTF_8);
    System.out.print(output);
    java.util.regex.Matcher m = CAUGHT_UP.matcher(output);
    if (exit != 0 || !m.find()) {
      throw new IllegalStateException(
          "kappa-replay exit " + exit + ", no catch-up line:\n" + output);
    }
    EXTRA.put("caughtUpSeconds", Double.parseDouble(m.group(1)));
  }

  /**
   * A plain {@code KafkaConsumer} reading every partition of both topics from the start to the end
   * offsets.
   */
  private static long readToEnd(String bootstrapServers) {
    Map<String, Object> config =
        Map.of(
            "bootstrap.servers", bootstrapServers,
            "key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer",
            "value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer",
            "enable.auto.commit", "false",
            "max.poll.records", "5000");
    long read = 0;
    try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> consumer =
        new org.apache.kafka.clients.consumer.KafkaConsumer<>(config)) {
      List<org.apache.kafka.common.TopicPartition> partitions = new ArrayList<>();
      for (String topic : KappaReplayBenchmark.TOPICS) {
        consumer
            .partitionsFor(topic)
            .forEach(
                p ->
                    partitions.add(
                        new org.apache.kafka.common.TopicPartition(p.topic(), p.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<org.apache.kafka.common.TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (var record : consumer.poll(java.time.Duration.ofMillis(500))) {
          read++;
          if (record.value() == null) {
            throw new IllegalStateException(
                "null value at " + record.topic() + "@" + record.offset());
          }
        }
      }
    }
    return read;
  }

  /** A Beam pipeline with one element and nothing to do, on embedded Flink (p=2). */
  private static void beamEmptyJob() {
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs(BeamSide.flinkEmbedded().toArray(new String[0]))
                .create());
    p.apply(Create.of(1L)).apply(ParDo.of(new NothingFn()));
    p.run().waitUntilFinish();
  }

  static final class NothingFn extends DoFn<Long, Void> {
    @ProcessElement
    public void process(@Element Long element) {}
  }

  /** Peak resident set size of this process ({@code VmHWM}), or -1 where /proc is missing. */
  static long peakRssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (java.io.IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
