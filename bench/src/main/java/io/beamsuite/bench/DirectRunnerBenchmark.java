package io.beamsuite.bench;

import io.beamsuite.fixtures.EmbeddedPostgres;
import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.pipelines.launcher.Launcher;
import io.beamsuite.pipelines.testing.Workload;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
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
 * Section 5: each pipeline run the way the demo runs it — the launcher ({@link Launcher#run}, in
 * this JVM) over the realistic mix written as JSON-lines files ({@link Workload#realisticMix}: 3%
 * duplicates, 2% late, 2% malformed, 20% schema v2), into a fresh database of one {@link
 * EmbeddedPostgres} per run — on the DirectRunner with its defaults, with {@code
 * --enforceImmutability=false --enforceEncodability=false}, and on embedded Flink. Throughput is
 * the launcher's "records in" over the wall time of {@code Launcher.run} (pipeline construction,
 * run, PostgreSQL upserts and the summary included).
 */
public final class DirectRunnerBenchmark {
  private static final Pattern RECORDS_IN = Pattern.compile("records in\\s+([0-9,]+)");

  private DirectRunnerBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchArgs a = BenchArgs.parse(args, "events", "trials");
    int events = a.intArg("events", 4_000, 2_000);
    int trials = a.intArg("trials", 3, 3);
    Results out = Results.forSection("direct-runner", "Direct runner");
    Path work = Files.createTempDirectory("beamsuite-bench-direct");
    Workload workload = Workload.write(Workload.realisticMix(BenchEvents.SEED, events).build(), work);
    Map<String, List<String>> pipelines = new LinkedHashMap<>();
    pipelines.put("clickstream", List.of("--source=" + workload.fileSource("clicks")));
    pipelines.put("fraud", List.of("--source=" + workload.fileSource("transactions"),
        "--customersSource=" + workload.customersFileSource(), "--alertsTopic="));
    pipelines.put("sensors", List.of("--source=" + workload.fileSource("sensor-readings")));
    Map<String, List<String>> runners = new LinkedHashMap<>();
    runners.put("Direct (defaults)", List.of("--runner=DirectRunner"));
    runners.put("Direct, checks off",
        List.of("--runner=DirectRunner", "--enforceImmutability=false", "--enforceEncodability=false"));
    runners.put("Flink embedded", BeamSide.flinkEmbedded());
    AtomicInteger databases = new AtomicInteger();
    out.note(String.format("Workload: `Workload.realisticMix(seed %d, %,d events)` written as hour-partitioned"
        + " JSON-lines files; each run is `Launcher.run(<pipeline>, <runner flags>, --source=file:..., --jdbcUrl=<fresh"
        + " database>)` in this JVM, writing its results and dead letters into one embedded PostgreSQL. Warm-up"
        + " once per runner and pipeline, then %d trials in rotating order.", BenchEvents.SEED, events, trials));
    try (EmbeddedPostgres postgres = new EmbeddedPostgres().start()) {
      for (Map.Entry<String, List<String>> pipeline : pipelines.entrySet()) {
        Trials runs = Trials.of(trials);
        for (Map.Entry<String, List<String>> runner : runners.entrySet()) {
          runs.side(runner.getKey(), () -> {
            String database = "bench_direct_" + databases.incrementAndGet();
            try (Connection c = postgres.connection(); Statement s = c.createStatement()) {
              s.execute("CREATE DATABASE " + database);
            }
            List<String> argv = new ArrayList<>();
            argv.add(pipeline.getKey());
            argv.addAll(runner.getValue());
            argv.addAll(pipeline.getValue());
            argv.add("--jdbcUrl=" + postgres.jdbcUrl().replace("/postgres", "/" + database));
            return launch(argv);
          });
        }
        Trials.Timings t = runs.run();
        String p = pipeline.getKey();
        out.ratio(p + ": Direct checks off / Direct defaults", t.ratios("Direct, checks off", "Direct (defaults)"), null);
        out.ratio(p + ": Flink embedded / Direct defaults", t.ratios("Flink embedded", "Direct (defaults)"), null);
        out.ratio(p + ": Flink embedded / Direct checks off", t.ratios("Flink embedded", "Direct, checks off"), null);
        out.table(p + ": records in per second, per trial", t.rateHeader(), t.rateRows());
      }
    } finally {
      JdbcConnectionSpec.closeAllPools();
    }
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
