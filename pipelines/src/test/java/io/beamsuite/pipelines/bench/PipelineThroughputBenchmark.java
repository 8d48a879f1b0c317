package io.beamsuite.pipelines.bench;

import io.beamsuite.fixtures.generator.GeneratorConfig;
import io.beamsuite.fixtures.services.EmbeddedPostgres;
import io.beamsuite.fixtures.services.FlinkCluster;
import io.beamsuite.pipelines.launcher.Launcher;
import io.beamsuite.pipelines.launcher.RunnerArtifacts;
import io.beamsuite.pipelines.testing.Workload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Record throughput of each pipeline on each runner over the same generated input, in one run:
 * {@code java -jar beamsuite-<runner>.jar <pipeline> --runner=...} exactly as a user runs it (JVM
 * start, pipeline construction and job submission included), bounded, from JSON-lines files, into a
 * fresh database per run. Throughput = input records / wall time of the process.
 *
 * <p>Not a test. Run with the runner jars built (command below); the Direct vs Flink comparison of
 * docs/benchmarks.md is bench's DirectRunnerBenchmark.
 *
 * <pre>
 * java -cp ... io.beamsuite.pipelines.bench.PipelineThroughputBenchmark [events] [repeats]
 * </pre>
 */
public final class PipelineThroughputBenchmark {
  private static final Pattern RECORDS_IN = Pattern.compile("records in\\s+([0-9,]+)");

  private PipelineThroughputBenchmark() {}

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    Path artifacts = Path.of("pipelines/target").toAbsolutePath();
    if (!Files.isRegularFile(artifacts.resolve(RunnerArtifacts.LOCAL))) {
      throw new IllegalStateException(
          "build the runner jars first (pipelines/runners): " + artifacts);
    }
    Path work = Files.createTempDirectory("beamsuite-bench");
    GeneratorConfig config =
        Workload.realisticMix(20261123L, events).timeSpan(java.time.Duration.ofHours(1)).build();
    Workload workload = Workload.write(config, work);

    try (EmbeddedPostgres postgres = new EmbeddedPostgres().start();
        FlinkCluster cluster = new FlinkCluster().start()) {
      Map<String, List<String>> pipelines = new LinkedHashMap<>();
      pipelines.put("clickstream", List.of("--source=" + workload.fileSource("clicks")));
      pipelines.put(
          "fraud",
          List.of(
              "--source=" + workload.fileSource("transactions"),
              "--customersSource=" + workload.customersFileSource(),
              "--alertsTopic="));
      pipelines.put("sensors", List.of("--source=" + workload.fileSource("sensor-readings")));
      Map<String, List<String>> runners = new LinkedHashMap<>();
      runners.put("Direct", List.of("--runner=DirectRunner"));
      runners.put(
          "Flink embedded",
          List.of("--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2"));
      runners.put(
          "Flink cluster",
          List.of(
              "--runner=FlinkRunner", "--flinkMaster=" + cluster.restAddress(), "--parallelism=2"));
      runners.put("Spark local[2]", List.of("--runner=SparkRunner", "--sparkMaster=local[2]"));

      System.out.printf(
          Locale.ROOT,
          "| pipeline | runner | input records | wall time (s) | records/s |%n|---|---|---|---|---|%n");
      int run = 0;
      for (Map.Entry<String, List<String>> pipeline : pipelines.entrySet()) {
        for (Map.Entry<String, List<String>> runner : runners.entrySet()) {
          for (int r = 0; r < repeats; r++) {
            String database = "bench_" + run++;
            try (Connection c = postgres.connection();
                Statement s = c.createStatement()) {
              s.execute("CREATE DATABASE " + database);
            }
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-Xmx2g");
            if (runner.getKey().startsWith("Spark")) {
              cmd.addAll(SparkJvm.FLAGS);
            }
            List<String> carriers = RunnerArtifacts.carriers(runner.getValue());
            Path jar = artifacts.resolve(carriers.get(0));
            if (carriers.get(0).equals(RunnerArtifacts.FLINK)) {
              // The job jar runs with Flink's jars next to it, as under a Flink installation.
              String flink =
                  Files.readString(artifacts.resolve("beamsuite-flink-client.classpath")).strip();
              cmd.addAll(
                  List.of(
                      "-cp", jar + java.io.File.pathSeparator + flink, Launcher.class.getName()));
            } else {
              cmd.add("-jar");
              cmd.add(jar.toString());
            }
            cmd.add(pipeline.getKey());
            cmd.addAll(runner.getValue());
            cmd.addAll(pipeline.getValue());
            cmd.add("--jdbcUrl=" + postgres.jdbcUrl().replace("/postgres", "/" + database));
            Path log = work.resolve(database + ".log");
            long start = System.nanoTime();
            Process process =
                new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            int exit = process.waitFor();
            double seconds = (System.nanoTime() - start) / 1e9;
            String output = Files.readString(log);
            Matcher m = RECORDS_IN.matcher(output);
            if (exit != 0 || !m.find()) {
              System.out.printf(
                  "| %s | %s | failed (exit %d, log %s) | | |%n",
                  pipeline.getKey(), runner.getKey(), exit, log);
              continue;
            }
            long records = Long.parseLong(m.group(1).replace(",", ""));
            System.out.printf(
                Locale.ROOT,
                "| %s | %s | %,d | %.1f | %,.0f |%n",
                pipeline.getKey(),
                runner.getKey(),
                records,
                seconds,
                records / seconds);
          }
        }
      }
    }
  }

  /**
   * The JVM flags Spark needs on Java 17 (docs/architecture.md, Platform notes), as
   * run-scripts/run-spark.sh passes them.
   */
  private static final class SparkJvm {
    static final List<String> FLAGS = new ArrayList<>();

    static {
      for (String pkg :
          new String[] {
            "java.lang",
            "java.lang.invoke",
            "java.lang.reflect",
            "java.io",
            "java.net",
            "java.nio",
            "java.util",
            "java.util.concurrent",
            "java.util.concurrent.atomic",
            "sun.nio.ch",
            "sun.nio.cs",
            "sun.security.action",
            "sun.util.calendar"
          }) {
        FLAGS.add("--add-opens=java.base/" + pkg + "=ALL-UNNAMED");
      }
      FLAGS.add("-Djdk.reflect.useDirectMethodHandle=false");
      FLAGS.add("-Dspark.driver.host=127.0.0.1");
      FLAGS.add("-Dspark.driver.bindAddress=127.0.0.1");
    }
  }
}
