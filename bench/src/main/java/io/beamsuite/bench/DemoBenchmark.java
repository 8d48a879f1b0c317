package io.beamsuite.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Section 10: the project's main job as a user runs it — {@code run-scripts/demo.sh --events N} on
 * its default runner, a process of its own, timed from start to exit. Every run must exit 0 (every
 * view equal to its oracle), else the section fails. A warm-up run first (not counted) builds what
 * the demo builds on first use and warms the OS caches, so the trials measure "after the build".
 */
public final class DemoBenchmark {
  private static final long RUN_LIMIT_MINUTES = 20;

  private DemoBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchArgs a = BenchArgs.parse(args, "events", "trials");
    int events = a.intArg("events", 50_000, 2_000);
    int trials = a.intArg("trials", 3, 1);
    Results out = Results.forSection("demo", "The demo end to end");
    Path logs = Files.createDirectories(Path.of("bench", "target", "results", "demo-runs"));

    double warmUp = run(events, logs.resolve("warm-up.log"));
    System.out.printf("warm-up (not counted): %.1f s%n", warmUp);
    double[] seconds = new double[trials];
    List<List<String>> rows = new ArrayList<>();
    for (int trial = 0; trial < trials; trial++) {
      seconds[trial] = run(events, logs.resolve("trial-" + (trial + 1) + ".log"));
      System.out.printf("trial %d: %.1f s%n", trial + 1, seconds[trial]);
      rows.add(List.of(String.valueOf(trial + 1), String.format("%.1f", seconds[trial])));
    }
    out.note(
        String.format(
            "`run-scripts/demo.sh --events %d` on its default runner (embedded Flink), run by the"
                + " benchmark as a process of its own and timed from its start to its exit: services"
                + " (PostgreSQL, Kafka, Debezium) started, the workload generated, the Lambda batch and"
                + " speed layers, the serving views, the Kappa replay, fraud, sensors and cdc-replication"
                + " run, and every view compared with its oracle. Every run exited 0 (all views equal)."
                + " One warm-up run first (not counted, %.0f s): it builds the runner artifacts if they"
                + " are missing, so the trials are times after the build.",
            events, warmUp));
    out.table("wall time per run", List.of("trial", "seconds"), rows);
    out.measure(
        "demo (" + String.format("%,d", events) + " events), end to end",
        seconds,
        "s",
        Results.Goal.atMost(120, "≤ 2 min"));
  }

  /** One demo run; its wall seconds. Fails unless the demo exits 0 within the limit. */
  private static double run(int events, Path log) throws IOException, InterruptedException {
    long start = System.nanoTime();
    Process demo =
        new ProcessBuilder("run-scripts/demo.sh", "--events", String.valueOf(events))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .directory(new File("."))
            .start();
    if (!demo.waitFor(RUN_LIMIT_MINUTES, TimeUnit.MINUTES)) {
      demo.descendants().forEach(ProcessHandle::destroy);
      demo.destroy();
      throw new IllegalStateException(
          "the demo did not finish within " + RUN_LIMIT_MINUTES + " minutes; log: " + log);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (demo.exitValue() != 0) {
      throw new IllegalStateException(
          "the demo exited "
              + demo.exitValue()
              + " (a view differs from its oracle?); log: "
              + log);
    }
    return seconds;
  }
}
