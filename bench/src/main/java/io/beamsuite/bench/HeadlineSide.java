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
      List.of("beam-flink", "beam-direct", "native-flink", "plain-java", "flink-empty", "beam-flink-empty");

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
    Files.writeString(Path.of(a.get("result")), result.toString(), StandardCharsets.UTF_8);
    System.out.println("RESULT " + result);
    // Embedded runners may leave non-daemon threads behind; the run is over.
    System.exit(0);
  }

  /** {@code lambda-batch} over the master dataset, through the launcher, with {@code runner} flags. */
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
        Launcher.run(argv.toArray(new String[0]), new PrintStream(captured, true, StandardCharsets.UTF_8), System.err);
    String output = captured.toString(StandardCharsets.UTF_8);
    System.out.print(output);
    if (exit != 0) {
      throw new IllegalStateException("lambda-batch exit " + exit + " for " + argv + ":\n" + output);
    }
  }

  /** A Beam pipeline with one element and nothing to do, on embedded Flink (p=2). */
  private static void beamEmptyJob() {
    Pipeline p =
        Pipeline.create(PipelineOptionsFactory.fromArgs(BeamSide.flinkEmbedded().toArray(new String[0])).create());
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
