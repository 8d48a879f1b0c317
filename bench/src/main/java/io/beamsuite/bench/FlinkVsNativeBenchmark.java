package io.beamsuite.bench;

import io.beamsuite.fixtures.services.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Sections 1 and 2 of docs/benchmarks.md, the headline: {@code lambda-batch} (the pipelines' real
 * {@code RevenueAndPageViews}: file read, parse, dedup, 1 h revenue per merchant and 1 min page
 * views, JDBC upserts into embedded PostgreSQL) on embedded Flink (p=2) vs a hand-written native
 * Flink DataStream job ({@link NativeFlinkSide}, p=2) vs a single-threaded plain Java loop ({@link
 * PlainJavaSide}), all over the same generated files ({@link HeadlineWorkload}) and writing the
 * same rows; {@code lambda-batch} on the Direct runner over a smaller set of files; and the
 * start-up cost of an empty job on embedded Flink, native and through Beam.
 *
 * <p>Every run is a JVM of its own ({@link HeadlineSide}): its CPU time and peak RSS are its own.
 * PostgreSQL runs once (one fresh database per run) and its server CPU time during each run is read
 * from {@code /proc}. After every run the two tables are checksummed; a run whose rows differ from
 * the first run on the same input fails the benchmark (exit status 1, after the results are
 * written).
 *
 * <pre>{@code
 * java -cp ... io.beamsuite.bench.FlinkVsNativeBenchmark --events=2000000 --direct-events=200000 --trials=3
 * }</pre>
 */
public final class FlinkVsNativeBenchmark {
  static final String BEAM_FLINK = "beam-flink";
  static final String NATIVE = "native-flink";
  static final String PLAIN = "plain-java";
  static final String DIRECT = "beam-direct";

  private FlinkVsNativeBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchArgs a = BenchArgs.parse(args, "events", "direct-events", "trials", "max-minutes");
    int events = a.intArg("events", 2_000_000, 20_000);
    int directEvents = a.intArg("direct-events", 200_000, 1_000);
    int trials = a.intArg("trials", 3, 1);
    // No new trial round starts when the last round's time would end it beyond this budget.
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(a.intArg("max-minutes", 70, 10));
    boolean warmup = !a.quick(); // --quick checks the plumbing: no warm-up runs
    Results head =
        Results.forSection("flink-vs-native", "Headline: lambda-batch on Flink vs native Flink");
    Results plain = Results.forSection("framework-cost", "Framework cost vs plain Java");
    Path work = Files.createTempDirectory("beamsuite-bench-headline");
    Path logs =
        Path.of(System.getProperty("bench.out", "target/bench/x"))
            .toAbsolutePath()
            .getParent()
            .resolve("headline-logs");
    Files.createDirectories(logs);
    List<String> failures = new ArrayList<>();
    try {
      long generateStart = System.nanoTime();
      HeadlineWorkload big = HeadlineWorkload.write(work.resolve("big"), events);
      HeadlineWorkload small = HeadlineWorkload.write(work.resolve("small"), directEvents);
      double generateSeconds = (System.nanoTime() - generateStart) / 1e9;
      head.note(
          String.format(
              "Workload (generated once, %.0f s, seed %d): %,d transactions and %,d clicks events, each topic"
                  + " with %.0f%% duplicates and %.0f%% malformed records, up to %d min between event time and"
                  + " arrival order, over %d h of event time, written as the Lambda master dataset"
                  + " (hour-partitioned JSON-lines files): %,d records in all (%,d duplicates, %,d malformed)."
                  + " The Direct runner reads a smaller dataset generated the same way: %,d records (%,d events"
                  + " per topic).",
              generateSeconds,
              BenchEvents.SEED,
              events,
              events,
              HeadlineWorkload.DUPLICATE_RATE * 100,
              HeadlineWorkload.MALFORMED_RATE * 100,
              HeadlineWorkload.DISORDER.toMinutes(),
              HeadlineWorkload.SPAN.toHours(),
              big.records(),
              big.duplicates,
              big.malformed,
              small.records(),
              directEvents));
      head.note(
          "Sides: **lambda-batch** = `Launcher.run(lambda-batch --source=file:<dataset> --cutoff=<after"
              + " the last event> --batchVersion=1 --jdbcUrl=<fresh database>)` with `--runner=FlinkRunner"
              + " --flinkMaster=[local] --parallelism=2` (bounded, so the FlinkRunner's batch mode) or"
              + " `--runner=DirectRunner`: the pipelines' `RevenueAndPageViews` (file read, `ParseJson`, `Dedup`,"
              + " `RevenuePerMerchantHour` and `PageViewsPerMinute`, `JdbcUpsertSink`, dead letters into their"
              + " table), then publishing the version. **Native Flink**: one DataStream job, `BATCH` runtime"
              + " mode, parallelism 2: files by index → read and split lines → the same Jackson reader and"
              + " checks → keyed `ValueState` dedup by event id → `TumblingEventTimeWindows` (1 h / 1 min) +"
              + " `aggregate` → batched JDBC upserts of the same rows into tables created with the pipelines'"
              + " DDL. **Plain Java**: one thread, the same parse, a `HashSet` of ids, `HashMap` sums, the same"
              + " batched upserts. Every run is a JVM of its own (the parent's heap flags), writing into a"
              + " fresh database of one embedded PostgreSQL, as a `lambda-batch` command runs in a JVM of its own:"
              + " the JIT starts cold in every run of every side. The warm-up is one run of each side on the"
              + " smaller dataset (not counted): it loads the jars, the PostgreSQL catalog and the files into the"
              + " OS caches. The order of the sides rotates from trial to trial.");
      head.note(
          "Measured per run: **wall** = from the side's `main` to its last row written and its job"
              + " stopped (JVM boot before `main` excluded: ~0.1 s, the same for every side); **rec/s** ="
              + " records in the files / wall (the whole run, start-up included); **steady rec/s** = records /"
              + " (wall − the median empty-job time of the same framework), start-up excluded; **CPU-s/M** ="
              + " the side JVM's process CPU time (`OperatingSystemMXBean.getProcessCpuTime` at the end of"
              + " `main`: JIT, GC and start-up included) per million records, and separately PostgreSQL's server"
              + " CPU time during the run (postmaster and backends from `/proc/<pid>/stat`, children included)"
              + " per million records; **peak RSS** = `VmHWM` of the side's JVM (PostgreSQL not included).");

      try (EmbeddedPostgres postgres = new EmbeddedPostgres().start()) {
        ChildRuns children = new ChildRuns(postgres, work, logs, List.of());
        // Start-up: an empty job, native and through Beam.
        List<ChildRun> startup =
            children.trials(
                List.of("flink-empty", "beam-flink-empty"),
                null,
                0,
                trials,
                warmup,
                null,
                deadline,
                failures);
        int startupTrials = ChildRun.rounds(startup);
        double nativeStartup = ChildRun.median(startup, "flink-empty", ChildRun::wallSeconds);
        double beamStartup = ChildRun.median(startup, "beam-flink-empty", ChildRun::wallSeconds);
        head.table(
            String.format(
                "Start-up: an empty job on embedded Flink (p=2), wall seconds, %d trial(s)",
                startupTrials),
            List.of(
                "trial",
                HeadlineTables.LABEL.get("flink-empty"),
                HeadlineTables.LABEL.get("beam-flink-empty")),
            HeadlineTables.perTrial(
                startup,
                startupTrials,
                List.of("flink-empty", "beam-flink-empty"),
                r -> String.format("%.1f", r.wallSeconds())));
        Map<String, Double> startupOf =
            Map.of(BEAM_FLINK, beamStartup, NATIVE, nativeStartup, PLAIN, 0.0, DIRECT, 0.0);

        // The small input first: the deadline, if any, then cuts the headline's last rounds, not
        // all of these.
        List<ChildRun> direct =
            children.trials(
                List.of(DIRECT, PLAIN),
                small,
                small.records(),
                trials,
                warmup,
                small,
                deadline,
                failures);
        // Warm-up of the headline sides: one run each on the small input (a side JVM's JIT starts
        // cold
        // in every run anyway, as a lambda-batch command's does; the warm-up loads the jars, the
        // PostgreSQL catalog and the files into the OS caches).
        List<ChildRun> headline =
            children.trials(
                List.of(BEAM_FLINK, NATIVE, PLAIN),
                big,
                big.records(),
                trials,
                warmup,
                small,
                deadline,
                failures);
        int headlineTrials = ChildRun.rounds(headline);
        int directTrials = ChildRun.rounds(direct);
        if (headlineTrials < trials) {
          head.note(
              String.format(
                  "**Only %d of %d trials** of the headline sides fit the time budget of this run"
                      + " (--max-minutes).",
                  headlineTrials, trials));
        }

        double[] beamVsNative = ChildRun.ratios(headline, headlineTrials, BEAM_FLINK, NATIVE);
        double[] beamVsPlain = ChildRun.ratios(headline, headlineTrials, BEAM_FLINK, PLAIN);
        head.ratio(
            "revenue + page views: lambda-batch on Flink / native Flink (whole run)",
            beamVsNative,
            Results.Goal.atLeast(0.6, "≥ 0.6×"));
        head.table(
            String.format(
                "Per run, %,d records (%d trial(s)%s, rotating order)",
                big.records(), headlineTrials, warmup ? " after a warm-up" : ", no warm-up"),
            HeadlineTables.RUN_HEADER,
            HeadlineTables.runRows(headline, startupOf));
        head.table(
            "Median per side",
            HeadlineTables.SUMMARY_HEADER,
            HeadlineTables.summaryRows(headline, startupOf, List.of(BEAM_FLINK, NATIVE, PLAIN)));
        head.ratio(
            "steady state (start-up excluded): lambda-batch on Flink / native Flink",
            ChildRun.steadyRatios(headline, headlineTrials, BEAM_FLINK, NATIVE, startupOf),
            null);
        head.ratio(
            "CPU-s per million records (side JVM): native Flink / lambda-batch on Flink (higher = Beam cheaper)",
            ChildRun.cpuRatios(headline, headlineTrials, NATIVE, BEAM_FLINK),
            null);
        head.table(
            String.format(
                "lambda-batch on the Direct runner, %,d records (smaller input), plain Java on the same"
                    + " files for reference",
                small.records()),
            HeadlineTables.RUN_HEADER,
            HeadlineTables.runRows(direct, startupOf));
        head.rate(
            "lambda-batch on Direct, whole pipeline (smaller input), rec/s",
            direct.stream()
                .filter(r -> r.side().equals(DIRECT))
                .mapToDouble(r -> r.records() / r.wallSeconds())
                .toArray(),
            Results.Goal.atLeast(10_000, "≥ 10,000 rec/s"));
        head.note(
            HeadlineTables.rowsCheck(headline, "headline")
                + " "
                + HeadlineTables.rowsCheck(direct, "Direct runner input"));

        plain.ratio(
            "revenue + page views: lambda-batch on Flink / plain Java (whole run)",
            beamVsPlain,
            Results.Goal.atLeast(0.2, "≥ 0.2× (1/5)"));
        plain.ratio(
            "native Flink / plain Java (whole run)",
            ChildRun.ratios(headline, headlineTrials, NATIVE, PLAIN),
            null);
        plain.ratio(
            "lambda-batch on Direct / plain Java, smaller input (whole run)",
            ChildRun.ratios(direct, directTrials, DIRECT, PLAIN),
            null);
        plain.note("Same runs as section 1 (see its per-run table for wall time, CPU and memory).");
      }
    } finally {
      deleteTree(work);
    }
    if (!failures.isEmpty()) {
      head.note("**FAILED**: " + String.join("; ", failures));
      System.err.println("FAILED: " + failures);
      System.exit(1);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
