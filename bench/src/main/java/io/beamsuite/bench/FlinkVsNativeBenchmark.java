package io.beamsuite.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sections 1 and 2 of docs/benchmarks.md: the windowed aggregations ({@code
 * revenue_per_merchant_hour}, {@code page_views_per_minute}) with beamsuite transforms on the
 * embedded FlinkRunner vs a hand-written native Flink DataStream job vs a single-threaded plain Java
 * loop, same events, same parallelism (2), same work (parse + dedup + tumbling window sum), counting
 * sink; then an ablation of FlinkRunner options on the revenue view.
 *
 * <pre>{@code
 * java -cp ... io.beamsuite.bench.FlinkVsNativeBenchmark --events=300000 --trials=3
 * }</pre>
 */
public final class FlinkVsNativeBenchmark {
  private FlinkVsNativeBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchArgs a = BenchArgs.parse(args, "events", "trials", "ablation-events");
    int events = a.intArg("events", 60_000, 15_000);
    int trials = a.intArg("trials", 3, 3);
    int ablationEvents = a.intArg("ablation-events", 20_000, 8_000);

    Results flink = Results.forSection("flink-vs-native", "Beam on Flink vs native Flink");
    Results plain = Results.forSection("framework-cost", "Framework cost vs plain Java");
    flink.note(String.format(
        "Workloads: %,d generated events per view (seed %d, 3%% duplicates, 24 h of event time), read by"
            + " index from one in-memory array by every side. Beam: `GenerateSequence` → `ParseJson` →"
            + " `Dedup` (64 key buckets, 1 h retention) → `RevenuePerMerchantHour` / `PageViewsPerMinute`"
            + " on `--runner=FlinkRunner --flinkMaster=[local] --parallelism=2` (a bounded pipeline, so"
            + " Flink batch execution). Native: `fromSequence` → the same Jackson reader → keyed"
            + " `ValueState` dedup with an event-time timer → `TumblingEventTimeWindows` + `aggregate`,"
            + " `createLocalEnvironment(2)`. Both write into an in-memory counting sink; each run includes"
            + " starting its MiniCluster. Warm-up once per side, then %d trials in rotating order.",
        events, BenchEvents.SEED, trials));

    for (View view : View.values()) {
      BenchEvents.install(BenchEvents.generate(view.topic, events, 0.03, 24));
      Checked check = new Checked();
      String beam = "Beam on Flink";
      String nat = "native Flink";
      String java = "plain Java (1 thread)";
      Trials.Timings t =
          Trials.of(trials)
              .side(beam, check.of(beam, () -> BeamSide.run(view, BeamSide.flinkEmbedded(), null)))
              .side(nat, check.of(nat, () -> NativeFlinkSide.run(view, false)))
              .side(java, check.of(java, () -> PlainJavaSide.run(view)))
              .run();
      double[] beamVsNative = t.ratios(beam, nat);
      flink.ratio(view.table + ": Beam on Flink / native Flink", beamVsNative,
          Results.Goal.atLeast(0.5, "≥ 0.5×"));
      flink.table(view.table + ": throughput per trial", t.rateHeader(), t.rateRows());
      flink.note(check.summary(view.table));
      plain.ratio(view.table + ": Beam on Flink / plain Java", t.ratios(beam, java),
          Results.Goal.atLeast(0.1, "≥ 0.1× (1/10)"));
      plain.ratio(view.table + ": native Flink / plain Java", t.ratios(nat, java), null);
      Profiles.Summary beamProfile = Profiles.sample(() -> BeamSide.run(view, BeamSide.flinkEmbedded(), null));
      flink.profile("Beam on Flink, " + view.table, beamProfile);
      flink.profile("native Flink, " + view.table, Profiles.sample(() -> NativeFlinkSide.run(view, false)));
      plain.profile("Beam on Flink, " + view.table, beamProfile);
      plain.profile("plain Java, " + view.table, Profiles.sample(() -> PlainJavaSide.run(view)));
    }
    ablation(flink, ablationEvents, trials);
  }

  /** FlinkRunner options on the revenue view, each as a ratio to the defaults in the same trial. */
  private static void ablation(Results out, int events, int trials) throws Exception {
    BenchEvents.install(BenchEvents.generate(View.REVENUE.topic, events, 0.03, 24));
    Map<String, Trials.Side> configs = new LinkedHashMap<>();
    configs.put("defaults", () -> BeamSide.run(View.REVENUE, BeamSide.flinkEmbedded(), null));
    configs.put("--fasterCopy=true", () -> BeamSide.run(View.REVENUE, BeamSide.flinkEmbedded("--fasterCopy=true"), null));
    configs.put("--objectReuse=true", () -> BeamSide.run(View.REVENUE, BeamSide.flinkEmbedded("--objectReuse=true"), null));
    configs.put("--maxBundleSize=100", () -> BeamSide.run(View.REVENUE, BeamSide.flinkEmbedded("--maxBundleSize=100"), null));
    configs.put("--maxBundleSize=10000", () -> BeamSide.run(View.REVENUE, BeamSide.flinkEmbedded("--maxBundleSize=10000"), null));
    configs.put("--streaming=true", () -> BeamSide.run(View.REVENUE, BeamSide.flinkEmbedded("--streaming=true"), null));
    configs.put("hand-written Transaction coder", () -> BeamSide.run(View.REVENUE, BeamSide.flinkEmbedded(), TransactionCoder.of()));
    configs.put("all of fasterCopy, objectReuse, maxBundleSize=10000, coder",
        () -> BeamSide.run(View.REVENUE,
            BeamSide.flinkEmbedded("--fasterCopy=true", "--objectReuse=true", "--maxBundleSize=10000"),
            TransactionCoder.of()));
    configs.put("native Flink (reference)", () -> NativeFlinkSide.run(View.REVENUE, false));
    configs.put("native Flink, objectReuse", () -> NativeFlinkSide.run(View.REVENUE, true));
    Trials runs = Trials.of(trials).withoutWarmup();
    Checked check = new Checked();
    configs.forEach((name, side) -> runs.side(name, check.of(name, side)));
    Trials.Timings t = runs.run();
    List<List<String>> rows = new ArrayList<>();
    for (String name : t.names()) {
      double[] vsDefault = t.ratios(name, "defaults");
      double[] vsNative = t.ratios(name, "native Flink (reference)");
      double[] rates = new double[t.trials()];
      for (int i = 0; i < rates.length; i++) {
        rates[i] = t.rate(name, i);
      }
      rows.add(List.of(name, String.format("%,.0f", median(rates)), String.format("%.2f×", median(vsDefault)),
          String.format("%.2f×", median(vsNative))));
    }
    out.table(String.format("Ablation: revenue_per_merchant_hour, %,d events, median of %d trials (no warm-up"
            + " beyond the runs above), rotating order", events, trials),
        List.of("configuration", "rec/s", "vs defaults", "vs native Flink"), rows);
    out.note(check.summary("ablation"));
    String best = "defaults";
    for (String name : t.names()) {
      if (!name.startsWith("native") && median(t.ratios(name, "defaults")) > median(t.ratios(best, "defaults"))) {
        best = name;
      }
    }
    out.note(String.format("Best Beam configuration in this ablation: **%s**, %.2f× the defaults and %.2f× native"
            + " Flink (medians). At this input size each run's fixed cost (MiniCluster start, job submission)"
            + " weighs more than in the main comparison above.",
        best, median(t.ratios(best, "defaults")), median(t.ratios(best, "native Flink (reference)"))));
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  /**
   * Wraps sides so that every run's result (windows, total) is compared with the first run's: all
   * sides must compute the same aggregation.
   */
  static final class Checked {
    private final Map<String, String> firstBySide = new LinkedHashMap<>();
    private final List<String> mismatches = new ArrayList<>();

    Trials.Side of(String name, Trials.Side side) {
      return () -> {
        ResultSink.reset();
        long records = side.run();
        String result = String.format("%,d windows, total %,d", ResultSink.windows(), ResultSink.total());
        firstBySide.putIfAbsent(name, result);
        String reference = firstBySide.values().iterator().next();
        if (!result.equals(reference)) {
          mismatches.add(name + ": " + result + " vs " + reference);
          System.out.println("MISMATCH " + name + ": " + result + " vs " + reference);
        }
        return records;
      };
    }

    String summary(String what) {
      String reference = firstBySide.isEmpty() ? "nothing" : firstBySide.values().iterator().next();
      return mismatches.isEmpty()
          ? "Results check (" + what + "): every run of every side wrote the same " + reference + "."
          : "Results check (" + what + ") FAILED: " + String.join("; ", mismatches);
    }
  }
}
