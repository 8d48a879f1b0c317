package io.beamsuite.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.beamsuite.fixtures.services.EmbeddedPostgres;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
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
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BEAM_FLINK = "beam-flink";
  private static final String NATIVE = "native-flink";
  private static final String PLAIN = "plain-java";
  private static final String DIRECT = "beam-direct";
  private static final Map<String, String> LABEL =
      Map.of(
          BEAM_FLINK,
          "lambda-batch on Flink (p=2)",
          NATIVE,
          "native Flink (p=2)",
          PLAIN,
          "plain Java (1 thread)",
          DIRECT,
          "lambda-batch on Direct",
          "flink-empty",
          "native Flink, empty job",
          "beam-flink-empty",
          "Beam on Flink, empty job");

  private FlinkVsNativeBenchmark() {}

  /** One run of one side in its own JVM. */
  record Run(
      String side,
      String input,
      int trial,
      long records,
      double wallSeconds,
      double cpuSeconds,
      double postgresCpuSeconds,
      long peakRssBytes,
      String rows,
      JsonNode result) {}

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
        Children children = new Children(postgres, work, logs, List.of());
        // Start-up: an empty job, native and through Beam.
        List<Run> startup =
            children.trials(
                List.of("flink-empty", "beam-flink-empty"),
                null,
                0,
                trials,
                warmup,
                null,
                deadline,
                failures);
        int startupTrials = rounds(startup);
        double nativeStartup = median(startup, "flink-empty", Run::wallSeconds);
        double beamStartup = median(startup, "beam-flink-empty", Run::wallSeconds);
        head.table(
            String.format(
                "Start-up: an empty job on embedded Flink (p=2), wall seconds, %d trial(s)",
                startupTrials),
            List.of("trial", LABEL.get("flink-empty"), LABEL.get("beam-flink-empty")),
            perTrial(
                startup,
                startupTrials,
                List.of("flink-empty", "beam-flink-empty"),
                r -> String.format("%.1f", r.wallSeconds())));
        Map<String, Double> startupOf =
            Map.of(BEAM_FLINK, beamStartup, NATIVE, nativeStartup, PLAIN, 0.0, DIRECT, 0.0);

        // The small input first: the deadline, if any, then cuts the headline's last rounds, not
        // all of these.
        List<Run> direct =
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
        List<Run> headline =
            children.trials(
                List.of(BEAM_FLINK, NATIVE, PLAIN),
                big,
                big.records(),
                trials,
                warmup,
                small,
                deadline,
                failures);
        int headlineTrials = rounds(headline);
        int directTrials = rounds(direct);
        if (headlineTrials < trials) {
          head.note(
              String.format(
                  "**Only %d of %d trials** of the headline sides fit the time budget of this run"
                      + " (--max-minutes).",
                  headlineTrials, trials));
        }

        double[] beamVsNative = ratios(headline, headlineTrials, BEAM_FLINK, NATIVE);
        double[] beamVsPlain = ratios(headline, headlineTrials, BEAM_FLINK, PLAIN);
        head.ratio(
            "revenue + page views: lambda-batch on Flink / native Flink (whole run)",
            beamVsNative,
            Results.Goal.atLeast(0.6, "≥ 0.6×"));
        head.table(
            String.format(
                "Per run, %,d records (%d trial(s)%s, rotating order)",
                big.records(), headlineTrials, warmup ? " after a warm-up" : ", no warm-up"),
            RUN_HEADER,
            runRows(headline, startupOf));
        head.table(
            "Median per side",
            SUMMARY_HEADER,
            summaryRows(headline, startupOf, List.of(BEAM_FLINK, NATIVE, PLAIN)));
        head.ratio(
            "steady state (start-up excluded): lambda-batch on Flink / native Flink",
            steadyRatios(headline, headlineTrials, BEAM_FLINK, NATIVE, startupOf),
            null);
        head.ratio(
            "CPU-s per million records (side JVM): native Flink / lambda-batch on Flink (higher = Beam cheaper)",
            cpuRatios(headline, headlineTrials, NATIVE, BEAM_FLINK),
            null);
        head.table(
            String.format(
                "lambda-batch on the Direct runner, %,d records (smaller input), plain Java on the same"
                    + " files for reference",
                small.records()),
            RUN_HEADER,
            runRows(direct, startupOf));
        head.rate(
            "lambda-batch on Direct, whole pipeline (smaller input), rec/s",
            direct.stream()
                .filter(r -> r.side().equals(DIRECT))
                .mapToDouble(r -> r.records() / r.wallSeconds())
                .toArray(),
            Results.Goal.atLeast(10_000, "≥ 10,000 rec/s"));
        head.note(rowsCheck(headline, "headline") + " " + rowsCheck(direct, "Direct runner input"));

        plain.ratio(
            "revenue + page views: lambda-batch on Flink / plain Java (whole run)",
            beamVsPlain,
            Results.Goal.atLeast(0.2, "≥ 0.2× (1/5)"));
        plain.ratio(
            "native Flink / plain Java (whole run)",
            ratios(headline, headlineTrials, NATIVE, PLAIN),
            null);
        plain.ratio(
            "lambda-batch on Direct / plain Java, smaller input (whole run)",
            ratios(direct, directTrials, DIRECT, PLAIN),
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

  static final List<String> RUN_HEADER =
      List.of(
          "trial",
          "side",
          "wall s",
          "rec/s",
          "steady rec/s",
          "JVM CPU-s/M",
          "PostgreSQL CPU-s/M",
          "peak RSS MiB");
  static final List<String> SUMMARY_HEADER =
      List.of(
          "side",
          "wall s",
          "rec/s",
          "steady rec/s",
          "JVM CPU-s/M",
          "PostgreSQL CPU-s/M",
          "peak RSS MiB");

  /** The side JVM running now: stopped with this JVM (bench.sh stops this JVM on Ctrl-C). */
  private static volatile Process running;

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  Process p = running;
                  if (p != null && p.isAlive()) {
                    p.destroyForcibly();
                  }
                }));
  }

  /** Starts side JVMs and checks the rows they wrote. */
  static final class Children {
    private final EmbeddedPostgres postgres;
    private final Path work;
    private final Path logs;
    private final List<String> extraArgs;
    private final Map<String, String> referenceRows = new LinkedHashMap<>();
    private int databases;

    /** {@code extraArgs} go to every side JVM (e.g. the Kafka broker's address). */
    Children(EmbeddedPostgres postgres, Path work, Path logs, List<String> extraArgs) {
      this.postgres = postgres;
      this.work = work;
      this.logs = logs;
      this.extraArgs = extraArgs;
    }

    /**
     * With {@code warmup}, a run of each side on {@code warmupInput} (not kept), then up to {@code
     * trials} rounds over {@code workload} in rotating order; no round starts when the previous
     * one's duration would end it after {@code deadline} ({@link System#nanoTime}). Returns
     * complete rounds.
     */
    List<Run> trials(
        List<String> sides,
        HeadlineWorkload workload,
        long records,
        int trials,
        boolean warmup,
        HeadlineWorkload warmupInput,
        long deadline,
        List<String> failures)
        throws Exception {
      if (warmup) {
        for (String side : sides) {
          Run r =
              run(side, 0, warmupInput, warmupInput == null ? 0 : warmupInput.records(), failures);
          System.out.printf(
              "warm-up %-18s %-6s %.1f s%n", side, name(warmupInput), r.wallSeconds());
        }
      }
      List<Run> runs = new ArrayList<>();
      long lastRound = 0;
      for (int t = 0; t < trials; t++) {
        long roundStart = System.nanoTime();
        if (t > 0 && roundStart + lastRound > deadline) {
          System.out.printf("time budget: %d of %d rounds of %s%n", t, trials, sides);
          break;
        }
        for (int i = 0; i < sides.size(); i++) {
          String side = sides.get((t + i) % sides.size());
          Run r = run(side, t + 1, workload, records, failures);
          runs.add(r);
          System.out.printf(
              "trial %d %-18s %-6s %.1f s, %,.0f rec/s, JVM CPU %.1f s, PostgreSQL CPU %.1f s,"
                  + " peak RSS %d MiB%n",
              t + 1,
              side,
              name(workload),
              r.wallSeconds(),
              r.records() / r.wallSeconds(),
              r.cpuSeconds(),
              r.postgresCpuSeconds(),
              r.peakRssBytes() >> 20);
        }
        lastRound = System.nanoTime() - roundStart;
      }
      return runs;
    }

    private Run run(
        String side, int trial, HeadlineWorkload workload, long records, List<String> failures)
        throws Exception {
      String input = name(workload);
      String database = "bench_headline_" + (++databases);
      try (Connection c = postgres.connection();
          Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + database);
      }
      String jdbcUrl = postgres.jdbcUrl().replace("/postgres", "/" + database);
      Path result = work.resolve("result-" + databases + ".json");
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
        if (flag.startsWith("-Xm") || flag.startsWith("-XX:")) {
          command.add(flag);
        }
      }
      command.addAll(
          List.of(
              "-Djava.awt.headless=true",
              "-cp",
              System.getProperty("java.class.path"),
              HeadlineSide.class.getName(),
              "--side=" + side,
              "--jdbcUrl=" + jdbcUrl,
              "--result=" + result));
      if (workload != null) {
        command.add("--events=" + workload.events());
      }
      command.addAll(extraArgs);
      Path log =
          logs.resolve(
              String.format("%s-%s-%s.log", side, input, trial == 0 ? "warmup" : "trial" + trial));
      double postgresBefore = postgresCpuSeconds(jdbcUrl);
      Process child =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      running = child;
      if (!child.waitFor(2, TimeUnit.HOURS) || child.exitValue() != 0) {
        child.destroyForcibly();
        throw new IllegalStateException(
            side
                + " failed (exit "
                + (child.isAlive() ? "timeout" : child.exitValue())
                + "); log: "
                + log);
      }
      Thread.sleep(300); // backends of the child's connections exit and are reaped
      double postgresCpu = postgresCpuSeconds(jdbcUrl) - postgresBefore;
      JsonNode r = JSON.readTree(Files.readString(result));
      String rows = workload == null ? "" : rows(jdbcUrl);
      if (workload != null) {
        String reference = referenceRows.putIfAbsent(input, rows);
        if (reference != null && !reference.equals(rows)) {
          failures.add(
              String.format(
                  "%s (%s input, trial %d) wrote %s, the first run on this input wrote %s",
                  side, input, trial, rows, reference));
          System.err.println("MISMATCH " + failures.get(failures.size() - 1));
        }
      }
      try (Connection c = postgres.connection();
          Statement s = c.createStatement()) {
        s.execute("DROP DATABASE " + database + " WITH (FORCE)");
      }
      return new Run(
          side,
          input,
          trial,
          records,
          r.get("wallSeconds").asDouble(),
          r.get("cpuSeconds").asDouble(),
          postgresCpu,
          r.get("peakRssBytes").asLong(),
          rows,
          r);
    }

    /** Both views' batch tables: row count, sum of values and an md5 of every row in key order. */
    private static String rows(String jdbcUrl) throws Exception {
      List<String> parts = new ArrayList<>();
      try (Connection c = java.sql.DriverManager.getConnection(jdbcUrl, ViewRowsWriter.USER, "");
          Statement s = c.createStatement()) {
        for (View view : View.values()) {
          String sql =
              "SELECT count(*), coalesce(sum(v), 0), md5(coalesce(string_agg(k || '|' ||"
                  + " (extract(epoch FROM ws) * 1000)::bigint || '|' || (extract(epoch FROM we) * 1000)::bigint"
                  + " || '|' || v, ',' ORDER BY k, ws), '')) FROM (SELECT "
                  + view.keyColumn
                  + " AS k, window_start"
                  + " AS ws, window_end AS we, "
                  + view.valueColumn
                  + " AS v FROM "
                  + view.batchTable()
                  + ") t";
          try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            parts.add(
                String.format(
                    "%s: %,d rows, sum %,d, md5 %s",
                    view.table, rs.getLong(1), rs.getLong(2), rs.getString(3).substring(0, 12)));
          }
        }
      }
      return String.join("; ", parts);
    }

    /**
     * CPU seconds of the PostgreSQL server so far: the postmaster's user + system time including
     * its reaped children (exited backends), plus its live children's. Clock ticks of 1/100 s
     * (Linux).
     */
    private static double postgresCpuSeconds(String jdbcUrl) throws Exception {
      String dataDir;
      try (Connection c = java.sql.DriverManager.getConnection(jdbcUrl, ViewRowsWriter.USER, "");
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SHOW data_directory")) {
        rs.next();
        dataDir = rs.getString(1);
      }
      long postmaster =
          Long.parseLong(Files.readAllLines(Path.of(dataDir, "postmaster.pid")).get(0).trim());
      long ticks = ticks(postmaster, true);
      for (ProcessHandle child :
          ProcessHandle.of(postmaster).map(p -> p.children().toList()).orElse(List.of())) {
        ticks += ticks(child.pid(), true);
      }
      return ticks / 100.0;
    }

    private static long ticks(long pid, boolean withChildren) {
      try {
        String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // Fields after "(comm) ": state=0 ... utime=11 stime=12 cutime=13 cstime=14.
        long t = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        return withChildren ? t + Long.parseLong(f[13]) + Long.parseLong(f[14]) : t;
      } catch (IOException | RuntimeException e) {
        return 0; // the process exited meanwhile: its time is in the postmaster's children time
      }
    }
  }

  private static String name(HeadlineWorkload workload) {
    return workload == null ? "none" : workload.root.getFileName().toString();
  }

  /** Complete trial rounds in {@code runs}. */
  static int rounds(List<Run> runs) {
    return runs.stream().mapToInt(Run::trial).max().orElse(0);
  }

  static double median(List<Run> runs, String side, java.util.function.ToDoubleFunction<Run> f) {
    double[] v = runs.stream().filter(r -> r.side().equals(side)).mapToDouble(f).toArray();
    return v.length == 0 ? Double.NaN : median(v);
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static Run find(List<Run> runs, String side, int trial) {
    return runs.stream()
        .filter(r -> r.side().equals(side) && r.trial() == trial)
        .findFirst()
        .orElseThrow();
  }

  static double[] ratios(List<Run> runs, int trials, String numerator, String denominator) {
    double[] out = new double[trials];
    for (int t = 1; t <= trials; t++) {
      out[t - 1] =
          find(runs, denominator, t).wallSeconds()
              / find(runs, numerator, t).wallSeconds()
              * find(runs, numerator, t).records()
              / find(runs, denominator, t).records();
    }
    return out;
  }

  static double[] steadyRatios(
      List<Run> runs,
      int trials,
      String numerator,
      String denominator,
      Map<String, Double> startup) {
    double[] out = new double[trials];
    for (int t = 1; t <= trials; t++) {
      out[t - 1] =
          steadyRate(find(runs, numerator, t), startup)
              / steadyRate(find(runs, denominator, t), startup);
    }
    return out;
  }

  static double[] cpuRatios(List<Run> runs, int trials, String numerator, String denominator) {
    double[] out = new double[trials];
    for (int t = 1; t <= trials; t++) {
      out[t - 1] = find(runs, numerator, t).cpuSeconds() / find(runs, denominator, t).cpuSeconds();
    }
    return out;
  }

  static double steadyRate(Run r, Map<String, Double> startup) {
    return r.records() / Math.max(1e-3, r.wallSeconds() - startup.getOrDefault(r.side(), 0.0));
  }

  private static List<String> cells(Run r, Map<String, Double> startup) {
    return List.of(
        String.format("%.1f", r.wallSeconds()),
        String.format("%,.0f", r.records() / r.wallSeconds()),
        startup.getOrDefault(r.side(), 0.0) <= 0
            ? "="
            : r.wallSeconds() <= startup.get(r.side())
                ? "n/a (wall ≤ start-up)"
                : String.format("%,.0f", steadyRate(r, startup)),
        String.format("%.1f", r.cpuSeconds() / r.records() * 1e6),
        String.format("%.1f", r.postgresCpuSeconds() / r.records() * 1e6),
        String.valueOf(r.peakRssBytes() >> 20));
  }

  static List<List<String>> runRows(List<Run> runs, Map<String, Double> startup) {
    List<List<String>> rows = new ArrayList<>();
    runs.stream()
        .sorted(Comparator.comparingInt(Run::trial))
        .forEach(
            r -> {
              List<String> row =
                  new ArrayList<>(List.of(String.valueOf(r.trial()), LABEL.get(r.side())));
              row.addAll(cells(r, startup));
              rows.add(row);
            });
    return rows;
  }

  static List<List<String>> summaryRows(
      List<Run> runs, Map<String, Double> startup, List<String> sides) {
    List<List<String>> rows = new ArrayList<>();
    for (String side : sides) {
      List<Run> mine = runs.stream().filter(r -> r.side().equals(side)).toList();
      double wall = median(mine.stream().mapToDouble(Run::wallSeconds).toArray());
      long records = mine.get(0).records();
      Run median =
          new Run(
              side,
              "",
              0,
              records,
              wall,
              median(mine.stream().mapToDouble(Run::cpuSeconds).toArray()),
              median(mine.stream().mapToDouble(Run::postgresCpuSeconds).toArray()),
              (long) median(mine.stream().mapToDouble(Run::peakRssBytes).toArray()),
              "",
              null);
      List<String> row = new ArrayList<>(List.of(LABEL.get(side)));
      row.addAll(cells(median, startup));
      rows.add(row);
    }
    return rows;
  }

  static List<List<String>> perTrial(
      List<Run> runs,
      int trials,
      List<String> sides,
      java.util.function.Function<Run, String> cell) {
    List<List<String>> rows = new ArrayList<>();
    for (int t = 1; t <= trials; t++) {
      List<String> row = new ArrayList<>(List.of(String.valueOf(t)));
      for (String side : sides) {
        row.add(cell.apply(find(runs, side, t)));
      }
      rows.add(row);
    }
    return rows;
  }

  private static String rowsCheck(List<Run> runs, String what) {
    String first = runs.get(0).rows();
    boolean same = runs.stream().allMatch(r -> r.rows().equals(first));
    return same
        ? String.format(
            "Rows check (%s): every trial of every side wrote the same rows (%s); warm-up runs are"
                + " checked against the same rows and fail the benchmark too.",
            what, first)
        : String.format(
            "Rows check (%s) **FAILED**: the sides' rows differ (see the failures below).", what);
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
