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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts side JVMs and checks the rows they wrote: each run's CPU time and peak RSS are then its
 * own, and a side that writes different rows from the first run on the same input fails the
 * benchmark.
 */
final class ChildRuns {
  private static final ObjectMapper JSON = new ObjectMapper();

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

  private final EmbeddedPostgres postgres;
  private final Path work;
  private final Path logs;
  private final List<String> extraArgs;
  private final Map<String, String> referenceRows = new LinkedHashMap<>();
  private int databases;

  /** {@code extraArgs} go to every side JVM (e.g. the Kafka broker's address). */
  ChildRuns(EmbeddedPostgres postgres, Path work, Path logs, List<String> extraArgs) {
    this.postgres = postgres;
    this.work = work;
    this.logs = logs;
    this.extraArgs = extraArgs;
  }

  /**
   * With {@code warmup}, a run of each side on {@code warmupInput} (not kept), then up to {@code
   * trials} rounds over {@code workload} in rotating order; no round starts when the previous one's
   * duration would end it after {@code deadline} ({@link System#nanoTime}). Returns complete
   * rounds.
   */
  List<ChildRun> trials(
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
        ChildRun r =
            run(side, 0, warmupInput, warmupInput == null ? 0 : warmupInput.records(), failures);
        System.out.printf("warm-up %-18s %-6s %.1f s%n", side, name(warmupInput), r.wallSeconds());
      }
    }
    List<ChildRun> runs = new ArrayList<>();
    long lastRound = 0;
    for (int t = 0; t < trials; t++) {
      long roundStart = System.nanoTime();
      if (t > 0 && roundStart + lastRound > deadline) {
        System.out.printf("time budget: %d of %d rounds of %s%n", t, trials, sides);
        break;
      }
      for (int i = 0; i < sides.size(); i++) {
        String side = sides.get((t + i) % sides.size());
        ChildRun r = run(side, t + 1, workload, records, failures);
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

  private ChildRun run(
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
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
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
    return new ChildRun(
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
   * CPU seconds of the PostgreSQL server so far: the postmaster's user + system time including its
   * reaped children (exited backends), plus its live children's. Clock ticks of 1/100 s (Linux).
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

  private static String name(HeadlineWorkload workload) {
    return workload == null ? "none" : workload.root.getFileName().toString();
  }
}
