package io.beamsuite.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The headline's tables (per run, per side, per trial) and its rows check, from {@link ChildRun}s:
 * what the report shows of each run, kept apart from how the runs are made.
 */
final class HeadlineTables {
  /** Display names of the sides. */
  static final Map<String, String> LABEL =
      Map.of(
          FlinkVsNativeBenchmark.BEAM_FLINK,
          "lambda-batch on Flink (p=2)",
          FlinkVsNativeBenchmark.NATIVE,
          "native Flink (p=2)",
          FlinkVsNativeBenchmark.PLAIN,
          "plain Java (1 thread)",
          FlinkVsNativeBenchmark.DIRECT,
          "lambda-batch on Direct",
          "flink-empty",
          "native Flink, empty job",
          "beam-flink-empty",
          "Beam on Flink, empty job");

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

  private HeadlineTables() {}

  private static List<String> cells(ChildRun r, Map<String, Double> startup) {
    return List.of(
        String.format("%.1f", r.wallSeconds()),
        String.format("%,.0f", r.records() / r.wallSeconds()),
        startup.getOrDefault(r.side(), 0.0) <= 0
            ? "="
            : r.wallSeconds() <= startup.get(r.side())
                ? "n/a (wall ≤ start-up)"
                : String.format("%,.0f", ChildRun.steadyRate(r, startup)),
        String.format("%.1f", r.cpuSeconds() / r.records() * 1e6),
        String.format("%.1f", r.postgresCpuSeconds() / r.records() * 1e6),
        String.valueOf(r.peakRssBytes() >> 20));
  }

  static List<List<String>> runRows(List<ChildRun> runs, Map<String, Double> startup) {
    List<List<String>> rows = new ArrayList<>();
    runs.stream()
        .sorted(Comparator.comparingInt(ChildRun::trial))
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
      List<ChildRun> runs, Map<String, Double> startup, List<String> sides) {
    List<List<String>> rows = new ArrayList<>();
    for (String side : sides) {
      List<ChildRun> mine = runs.stream().filter(r -> r.side().equals(side)).toList();
      double wall = Stats.median(mine.stream().mapToDouble(ChildRun::wallSeconds).toArray());
      long records = mine.get(0).records();
      ChildRun median =
          new ChildRun(
              side,
              "",
              0,
              records,
              wall,
              Stats.median(mine.stream().mapToDouble(ChildRun::cpuSeconds).toArray()),
              Stats.median(mine.stream().mapToDouble(ChildRun::postgresCpuSeconds).toArray()),
              (long) Stats.median(mine.stream().mapToDouble(ChildRun::peakRssBytes).toArray()),
              "",
              null);
      List<String> row = new ArrayList<>(List.of(LABEL.get(side)));
      row.addAll(cells(median, startup));
      rows.add(row);
    }
    return rows;
  }

  static List<List<String>> perTrial(
      List<ChildRun> runs,
      int trials,
      List<String> sides,
      java.util.function.Function<ChildRun, String> cell) {
    List<List<String>> rows = new ArrayList<>();
    for (int t = 1; t <= trials; t++) {
      List<String> row = new ArrayList<>(List.of(String.valueOf(t)));
      for (String side : sides) {
        row.add(cell.apply(ChildRun.find(runs, side, t)));
      }
      rows.add(row);
    }
    return rows;
  }

  static String rowsCheck(List<ChildRun> runs, String what) {
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
}
