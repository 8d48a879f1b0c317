package io.beamsuite.bench;

import io.beamsuite.fixtures.services.EmbeddedPostgres;
import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.pipelines.launcher.Launcher;
import io.beamsuite.pipelines.testing.Workload;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whole pipelines: clickstream, fraud and sensors, each run the way the demo runs it — the launcher
 * ({@link Launcher#run}, in this JVM) over its topic's events written as JSON-lines files (the
 * realistic mix of {@link Workload#realisticMix}: 3% duplicates, 2% late, 2% malformed, 20% schema
 * v2, one topic per workload), into a fresh database of one {@link EmbeddedPostgres} per run — on
 * embedded Flink (p=2) at {@code --events} events per pipeline and on the Direct runner at {@code
 * --direct-events} (smaller: the Direct runner's rate on this machine makes the full size an hour
 * per run). Per run: records in / wall time of {@code Launcher.run} (construction, run, upserts and
 * summary included), and this JVM's process CPU time during the run per million records (one run at
 * a time in this JVM; PostgreSQL's server CPU not included).
 */
public final class DirectRunnerBenchmark {
  private static final Pattern RECORDS_IN = Pattern.compile("records in\\s+([0-9,]+)");

  private DirectRunnerBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchArgs a = BenchArgs.parse(args, "events", "direct-events", "trials");
    int events = a.intArg("events", 500_000, 5_000);
    int directEvents = a.intArg("direct-events", 100_000, 1_000);
    int trials = a.intArg("trials", 3, 1);
    Results out = Results.forSection("direct-runner", "Whole pipelines on Direct and Flink");
    Path work = Files.createTempDirectory("beamsuite-bench-pipelines");
    Map<String, int[]> weights = new LinkedHashMap<>();
    weights.put("clickstream", new int[] {1, 0, 0});
    weights.put("fraud", new int[] {0, 1, 0});
    weights.put("sensors", new int[] {0, 0, 1});
    Map<String, String> topic =
        Map.of("clickstream", "clicks", "fraud", "transactions", "sensors", "sensor-readings");
    out.note(
        String.format(
            "Workload per pipeline: `Workload.realisticMix(seed %d, N events)` restricted to the"
                + " pipeline's topic, written as hour-partitioned JSON-lines files; N = %,d on embedded Flink"
                + " (`--runner=FlinkRunner --flinkMaster=[local] --parallelism=2`), %,d on the Direct runner (at the"
                + " Direct runner's rate on this machine, the Flink input would take tens of minutes per run; the"
                + " Direct rate below is judged on the smaller input). Each run is `Launcher.run(<pipeline>, <runner"
                + " flags>, --source=file:..., --jdbcUrl=<fresh database>)` in this JVM, one run at a time; rec/s ="
                + " the launcher's \"records in\" / the wall time of `Launcher.run`; CPU-s/M = this JVM's process CPU"
                + " time during the run (`OperatingSystemMXBean.getProcessCpuTime` delta) per million records in."
                + " Warm-up once per runner and pipeline, then %d trial(s) in rotating order.",
            BenchEvents.SEED, events, directEvents, trials));
    AtomicInteger databases = new AtomicInteger();
    List<List<String>> rows = new ArrayList<>();
    try (EmbeddedPostgres postgres = new EmbeddedPostgres().start()) {
      for (Map.Entry<String, int[]> pipeline : weights.entrySet()) {
        String p = pipeline.getKey();
        int[] w = pipeline.getValue();
        Map<String, Workload> workloads = new LinkedHashMap<>();
        workloads.put(
            "Flink embedded",
            Workload.write(
                Workload.realisticMix(BenchEvents.SEED, events)
                    .topicWeights(w[0], w[1], w[2])
                    .build(),
                work.resolve(p + "-flink")));
        workloads.put(
            "Direct",
            Workload.write(
                Workload.realisticMix(BenchEvents.SEED, directEvents)
                    .topicWeights(w[0], w[1], w[2])
                    .build(),
                work.resolve(p + "-direct")));
        Trials runs = Trials.of(trials);
        for (Map.Entry<String, Workload> runner : workloads.entrySet()) {
          Workload workload = runner.getValue();
          List<String> argv = new ArrayList<>();
          argv.add(p);
          argv.addAll(
              runner.getKey().equals("Direct")
                  ? List.of("--runner=DirectRunner")
                  : BeamSide.flinkEmbedded());
          argv.add("--source=" + workload.fileSource(topic.get(p)));
          if (p.equals("fraud")) {
            argv.add("--customersSource=" + workload.customersFileSource());
            argv.add("--alertsTopic=");
          }
          String key = p + "|" + runner.getKey();
          runs.side(
              runner.getKey(),
              () -> {
                String database = "bench_pipelines_" + databases.incrementAndGet();
                try (Connection c = postgres.connection();
                    Statement s = c.createStatement()) {
                  s.execute("CREATE DATABASE " + database);
                }
                List<String> run = new ArrayList<>(argv);
                run.add("--jdbcUrl=" + postgres.jdbcUrl().replace("/postgres", "/" + database));
                long cpuBefore = processCpuNanos();
                long records = launch(run);
                double cpu = (processCpuNanos() - cpuBefore) / 1e9;
                try (Connection c = postgres.connection();
                    Statement s = c.createStatement()) {
                  s.execute("DROP DATABASE " + database + " WITH (FORCE)");
                }
                lastCpu.put(key, cpu / records * 1e6);
                return records;
              });
        }
        Trials.Timings t = runs.run(cpuPerTrial(p));
        for (int trial = 0; trial < t.trials(); trial++) {
          for (String runner : t.names()) {
            rows.add(
                List.of(
                    p,
                    runner,
                    String.valueOf(trial + 1),
                    String.format("%,d", t.records(runner, trial)),
                    String.format("%.1f", t.seconds(runner, trial)),
                    String.format("%,.0f", t.rate(runner, trial)),
                    String.format("%.0f", CPU.get(p + "|" + runner).get(trial))));
          }
        }
        double[] directRates = new double[t.trials()];
        for (int trial = 0; trial < t.trials(); trial++) {
          directRates[trial] = t.rate("Direct", trial);
        }
        out.rate(
            "Direct whole pipeline, "
                + p
                + " ("
                + String.format("%,d", directEvents)
                + " events), rec/s",
            directRates,
            Results.Goal.atLeast(10_000, "≥ 10,000 rec/s"));
        if (p.equals("fraud")) {
          double[] flinkRates = new double[t.trials()];
          for (int trial = 0; trial < t.trials(); trial++) {
            flinkRates[trial] = t.rate("Flink embedded", trial);
          }
          out.rate(
              String.format("fraud from files on embedded Flink (%,d events), rec/s", events),
              flinkRates,
              Results.Goal.atLeast(20_000, "≥ 20,000 rec/s"));
        }
        out.ratio(
            p + ": Flink embedded rec/s / Direct rec/s (different input sizes)",
            t.ratios("Flink embedded", "Direct"),
            null);
      }
      out.table(
          "Per run",
          List.of("pipeline", "runner", "trial", "records in", "wall s", "rec/s", "JVM CPU-s/M"),
          rows);
    } finally {
      JdbcConnectionSpec.closeAllPools();
    }
  }

  /** CPU-s per million records of each trial run, by "pipeline|runner", in trial order. */
  private static final Map<String, List<Double>> CPU = new java.util.HashMap<>();

  private static final Map<String, Double> lastCpu = new java.util.HashMap<>();

  /** After each kept trial run of {@code pipeline}, files its CPU-s/M under "pipeline|runner". */
  private static Trials.AfterRun cpuPerTrial(String pipeline) {
    return (name, trial) ->
        CPU.computeIfAbsent(pipeline + "|" + name, k -> new ArrayList<>())
            .add(lastCpu.get(pipeline + "|" + name));
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** Runs the launcher; returns its "records in" (fails if the run failed). */
  private static long launch(List<String> argv) {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream outStream = new PrintStream(captured, true, StandardCharsets.UTF_8);
    int exit = Launcher.run(argv.toArray(new String[0]), outStream, System.err);
    String output = captured.toString(StandardCharsets.UTF_8);
    Matcher m = RECORDS_IN.matcher(output);
    if (exit != 0 || !m.find()) {
      throw new IllegalStateException("launcher exit " + exit + " for " + argv + ":\n" + output);
    }
    return Long.parseLong(m.group(1).replace(",", ""));
  }
}
