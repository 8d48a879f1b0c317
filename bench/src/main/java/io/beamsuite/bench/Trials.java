package io.beamsuite.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs named sides over the same input: one warm-up run of each, then {@code trials} rounds in a
 * rotating order (A B C, B C A, C A B, ...) so that load drift on a shared machine hits every side.
 * Each run returns the number of records it processed; the wall time of the call is its time.
 *
 * <pre>{@code
 * Trials.Timings t = Trials.of(3).side("beam", () -> runBeam()).side("native", () -> runNative()).run();
 * double[] ratios = t.ratios("beam", "native"); // per trial: rate(beam) / rate(native)
 * }</pre>
 */
public final class Trials {
  /** One run of a side; returns how many records it processed (checked equal across trials). */
  @FunctionalInterface
  public interface Side {
    long run() throws Exception;
  }

  private final int trials;
  private final Map<String, Side> sides = new LinkedHashMap<>();
  private boolean warmup = true;

  private Trials(int trials) {
    if (trials < 1) {
      throw new IllegalArgumentException("trials must be >= 1, got " + trials);
    }
    this.trials = trials;
  }

  public static Trials of(int trials) {
    return new Trials(trials);
  }

  /** Skips the warm-up runs (when the JVM already ran the same code). */
  public Trials withoutWarmup() {
    warmup = false;
    return this;
  }

  /** Called after each kept (non-warm-up) run, e.g. to file a number the side measured itself. */
  @FunctionalInterface
  public interface AfterRun {
    void accept(String side, int trial);
  }

  public Trials side(String name, Side side) {
    sides.put(name, side);
    return this;
  }

  /** Warm-up, then the rotating trials; prints one line per run. */
  public Timings run() throws Exception {
    return run((side, trial) -> {});
  }

  /** As {@link #run()}, calling {@code afterRun} after each kept run. */
  public Timings run(AfterRun afterRun) throws Exception {
    List<String> names = new ArrayList<>(sides.keySet());
    for (String name : warmup ? names : List.<String>of()) {
      long start = System.nanoTime();
      long records = sides.get(name).run();
      System.out.printf(
          "warm-up %-40s %,d records in %.2f s%n",
          name, records, (System.nanoTime() - start) / 1e9);
    }
    Timings timings = new Timings(names, trials);
    for (int t = 0; t < trials; t++) {
      for (int i = 0; i < names.size(); i++) {
        String name = names.get((t + i) % names.size());
        long start = System.nanoTime();
        long records = sides.get(name).run();
        double seconds = (System.nanoTime() - start) / 1e9;
        timings.put(name, t, records, seconds);
        afterRun.accept(name, t);
        System.out.printf(
            "trial %d %-40s %,d records in %.2f s = %,.0f rec/s%n",
            t + 1, name, records, seconds, records / seconds);
      }
    }
    return timings;
  }

  /** Records and seconds per side and trial. */
  public static final class Timings {
    private final List<String> names;
    private final Map<String, long[]> records = new LinkedHashMap<>();
    private final Map<String, double[]> seconds = new LinkedHashMap<>();
    private final int trials;

    Timings(List<String> names, int trials) {
      this.names = names;
      this.trials = trials;
      for (String name : names) {
        records.put(name, new long[trials]);
        seconds.put(name, new double[trials]);
      }
    }

    void put(String name, int trial, long count, double secs) {
      records.get(name)[trial] = count;
      seconds.get(name)[trial] = secs;
    }

    public int trials() {
      return trials;
    }

    public List<String> names() {
      return names;
    }

    public long records(String name, int trial) {
      return records.get(name)[trial];
    }

    public double seconds(String name, int trial) {
      return seconds.get(name)[trial];
    }

    /** Records per second of {@code name} in {@code trial}. */
    public double rate(String name, int trial) {
      return records(name, trial) / seconds(name, trial);
    }

    /** Per trial: rate of {@code numerator} / rate of {@code denominator}. */
    public double[] ratios(String numerator, String denominator) {
      double[] ratios = new double[trials];
      for (int t = 0; t < trials; t++) {
        ratios[t] = rate(numerator, t) / rate(denominator, t);
      }
      return ratios;
    }

    /** A table: one row per trial with each side's rate (records/s). */
    public List<List<String>> rateRows() {
      List<List<String>> rows = new ArrayList<>();
      for (int t = 0; t < trials; t++) {
        List<String> row = new ArrayList<>();
        row.add(String.valueOf(t + 1));
        for (String name : names) {
          row.add(String.format("%,.0f", rate(name, t)));
        }
        rows.add(row);
      }
      return rows;
    }

    /** The header matching {@link #rateRows()}. */
    public List<String> rateHeader() {
      List<String> header = new ArrayList<>();
      header.add("trial");
      for (String name : names) {
        header.add(name + " (rec/s)");
      }
      return header;
    }
  }
}
