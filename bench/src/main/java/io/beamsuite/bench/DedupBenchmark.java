package io.beamsuite.bench;

import io.beamsuite.fixtures.generator.EventTopic;
import io.beamsuite.transforms.dedup.Dedup;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.Deduplicate;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;

/**
 * Section 3: beamsuite {@link Dedup} vs Beam's {@link Deduplicate} (event-time domain, the same 1 h
 * duration) on the embedded FlinkRunner, over the event ids of the generated transactions (3%
 * duplicates): throughput, and state bytes per live id against a {@code HashMap<String, Long>}.
 *
 * <p>Bytes per id: a streaming job ({@code --streaming=true --parallelism=1}, heap state backend)
 * reading an unbounded sequence (so Dedup keeps its streaming layout: one state key per id), every
 * id with the same timestamp so no retention timer can fire. A class histogram of the live heap
 * ({@code GC.class_histogram}, through the {@code DiagnosticCommand} MBean: a full GC, then live
 * bytes per class) is taken before the job starts and again inside the sink when the N-th unique id
 * arrives — then every id has passed the dedup step and is in its state. Bytes per id = the sum,
 * over the classes whose live bytes grew, of that growth, / N: it cannot come out negative, and it
 * overstates by the running job's own heap, which a job without a dedup step, measured the same
 * way, shows. (A histogram at N/2 ids inside the sink, as before, does not work: the sink ran up to
 * ~130,000 ids behind the dedup step, so the state already held nearly all N ids.) The baseline is
 * one {@code HashMap} of fresh id strings to {@code Long}, histograms before the first and after
 * the N-th entry.
 */
public final class DedupBenchmark {
  private static volatile String[] ids = new String[0];
  private static volatile long[] times = new long[0];
  static final AtomicLong UNIQUE = new AtomicLong();
  private static volatile long fullAt = -1;
  private static volatile Map<String, Long> fullHeap;

  /** Streaming input always gets one state key per id (a value and an expiry timer). */
  private static final String STREAMING_DEDUP = "Dedup (streaming: one state key per id)";

  private static final String NO_DEDUP = "no dedup step (the streaming job's own heap)";

  private DedupBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchArgs a = BenchArgs.parse(args, "events", "trials", "memory-ids", "memory-trials");
    int events = a.intArg("events", 1_000_000, 20_000);
    int trials = a.intArg("trials", 3, 1);
    int memoryIds = a.intArg("memory-ids", 1_000_000, 20_000);
    // One by default: a heap histogram is deterministic to ~1% (two trials at 200,000 ids: 694,
    // 702).
    int memoryTrials = a.intArg("memory-trials", 1, 1);
    Results out = Results.forSection("dedup", "Dedup vs Deduplicate");

    BenchEvents.Workload w = BenchEvents.generate(EventTopic.TRANSACTIONS, events, 0.03, 24);
    StrictParser parser = new StrictParser(View.REVENUE.type);
    String[] all = new String[w.size()];
    long[] ts = new long[w.size()];
    for (int i = 0; i < w.size(); i++) {
      all[i] = View.REVENUE.eventId(parser.parse(w.payload(i)));
      ts[i] = w.eventTime(i);
    }
    ids = all;
    times = ts;
    long distinct = new HashSet<>(List.of(all)).size();

    List<String> mismatches = new ArrayList<>();
    Trials.Timings t =
        Trials.of(trials)
            .side(
                "Dedup (64 key buckets, pipelines' default)",
                counted(
                    distinct,
                    mismatches,
                    () -> runThroughput(unique(Dedup.<String>byId(s -> s).withKeyBuckets(64)))))
            .side(
                "Dedup (one state key per id)",
                counted(
                    distinct, mismatches, () -> runThroughput(unique(Dedup.<String>byId(s -> s)))))
            .side(
                "Beam Deduplicate",
                counted(distinct, mismatches, () -> runThroughput(beamDeduplicate())))
            .run();
    out.note(
        String.format(
            "%,d transaction event ids (%,d distinct), each timestamped with its event time;"
                + " `GenerateSequence` → dedup → counting DoFn on `--runner=FlinkRunner --flinkMaster=[local]"
                + " --parallelism=2` (bounded: Flink batch execution). Beam's side is `Deduplicate.values()"
                + ".withTimeDomain(EVENT_TIME).withDuration(1 h)`. Unique counts: %s.",
            all.length,
            distinct,
            mismatches.isEmpty()
                ? "every run emitted exactly the distinct count"
                : "**MISMATCH** " + mismatches));
    out.ratio(
        "throughput: Dedup (64 buckets) / Deduplicate",
        t.ratios("Dedup (64 key buckets, pipelines' default)", "Beam Deduplicate"),
        Results.Goal.atLeast(1.2, "≥ 1.2×"));
    out.ratio(
        "throughput: Dedup (per id) / Deduplicate",
        t.ratios("Dedup (one state key per id)", "Beam Deduplicate"),
        null);
    out.table("throughput per trial", t.rateHeader(), t.rateRows());
    // No sampled profiles at this size: each would be one more run of a minute or more.

    memory(out, memoryIds, memoryTrials);
  }

  private static void memory(Results out, int n, int trials) throws Exception {
    String[] memoryIds = new String[n];
    long[] sameTime = new long[n];
    for (int i = 0; i < n; i++) {
      memoryIds[i] = String.format("t-%08d-%s", i, Long.toHexString(i * 0x9E3779B97F4A7C15L));
      sameTime[i] = 1_700_000_000_000L;
    }
    ids = memoryIds;
    times = sameTime;
    Map<String, double[]> perKey = new java.util.LinkedHashMap<>();
    perKey.put("HashMap<String, Long>", new double[trials]);
    perKey.put(STREAMING_DEDUP, new double[trials]);
    perKey.put("Beam Deduplicate", new double[trials]);
    perKey.put(NO_DEDUP, new double[trials]);
    for (int trial = 0; trial < trials; trial++) {
      perKey.get("HashMap<String, Long>")[trial] = hashMapBytesPerId(n);
      perKey.get(STREAMING_DEDUP)[trial] =
          stateBytesPerId("Dedup", () -> unique(Dedup.<String>byId(s -> s)), n);
      perKey.get("Beam Deduplicate")[trial] =
          stateBytesPerId("Deduplicate", DedupBenchmark::beamDeduplicate, n);
      perKey.get(NO_DEDUP)[trial] = stateBytesPerId("no dedup", DedupBenchmark::passThrough, n);
      System.out.printf("memory trial %d: %s%n", trial + 1, perKeyLine(perKey, trial));
    }
    double[] baseline = perKey.get("HashMap<String, Long>");
    List<List<String>> rows = new ArrayList<>();
    for (Map.Entry<String, double[]> e : perKey.entrySet()) {
      double[] v = e.getValue();
      rows.add(
          List.of(
              e.getKey(),
              String.format("%,.0f", Stats.median(v)),
              String.format("%,.0f – %,.0f", min(v), max(v))));
      if (!e.getKey().startsWith("HashMap") && !e.getKey().equals(NO_DEDUP)) {
        double[] ratio = new double[v.length];
        for (int i = 0; i < v.length; i++) {
          ratio[i] = v[i] / baseline[i];
        }
        out.ratio(
            "state bytes per id: " + e.getKey() + " / HashMap<String, Long>",
            ratio,
            e.getKey().equals(STREAMING_DEDUP) ? Results.Goal.atMost(3.0, "≤ 3×") : null);
      }
    }
    out.note(
        String.format(
            "State bytes per live id: streaming job, `--streaming=true --parallelism=1`, heap"
                + " state backend, an unbounded sequence of %,d ids of 26 characters (so Dedup keeps its"
                + " streaming layout, one state key per id), all with one timestamp (no expiry during the run);"
                + " a class histogram of the live heap (`GC.class_histogram` through the `DiagnosticCommand` MBean:"
                + " a full GC, then bytes per class) taken before the job starts and inside the sink when the"
                + " %,d-th unique id arrives (every id is then in the dedup state); bytes per id = the growth of"
                + " the classes that grew / %,d. Classes that shrank are not subtracted, so the figure cannot be"
                + " negative; it overstates by the running job's own heap, which the job without a dedup step"
                + " shows (its row). The baseline is one `HashMap<String, Long>` of fresh strings measured the"
                + " same way. Largest growth per id, last trial: %s.",
            n, n, n, lastTopGrowth));
    out.table(
        "bytes per live id (median of " + trials + ")",
        List.of("state", "bytes/id", "min – max"),
        rows);
  }

  private static String perKeyLine(Map<String, double[]> perKey, int trial) {
    StringBuilder b = new StringBuilder();
    perKey.forEach(
        (k, v) -> b.append(k).append('=').append(String.format("%.0f", v[trial])).append("  "));
    return b.toString();
  }

  private static double min(double[] v) {
    return java.util.Arrays.stream(v).min().orElse(0);
  }

  private static double max(double[] v) {
    return java.util.Arrays.stream(v).max().orElse(0);
  }

  interface DedupStep {
    PTransform<PCollection<String>, PCollection<String>> create();
  }

  /** The streaming job without a dedup step: what the job itself adds to the heap. */
  private static PTransform<PCollection<String>, PCollection<String>> passThrough() {
    return new PTransform<PCollection<String>, PCollection<String>>() {
      @Override
      public PCollection<String> expand(PCollection<String> input) {
        return input.apply("PassThrough", ParDo.of(new PassThroughFn()));
      }
    };
  }

  static final class PassThroughFn extends DoFn<String, String> {
    @ProcessElement
    public void process(@Element String id, OutputReceiver<String> out) {
      out.output(id);
    }
  }

  private static PTransform<PCollection<String>, PCollection<String>> beamDeduplicate() {
    return Deduplicate.<String>values()
        .withTimeDomain(TimeDomain.EVENT_TIME)
        .withDuration(Dedup.DEFAULT_RETENTION);
  }

  private static Trials.Side counted(long expected, List<String> mismatches, Trials.Side side) {
    return () -> {
      UNIQUE.set(0);
      long n = side.run();
      if (UNIQUE.get() != expected) {
        mismatches.add(UNIQUE.get() + " unique vs " + expected + " distinct");
      }
      return n;
    };
  }

  private static long runThroughput(PTransform<PCollection<String>, PCollection<String>> dedup) {
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs(BeamSide.flinkEmbedded().toArray(new String[0]))
                .create());
    read(p).apply("Dedup", dedup).apply("Count", ParDo.of(new CountFn()));
    p.run().waitUntilFinish();
    return ids.length;
  }

  /** Heap growth per id from before a streaming job to N ids in its dedup state. */
  private static double stateBytesPerId(String name, DedupStep step, int n)
      throws InterruptedException, java.io.IOException {
    LiveHeap.settle();
    UNIQUE.set(0);
    fullHeap = null;
    Map<String, Long> before = LiveHeap.liveBytesPerClass();
    fullAt = n;
    try {
      Pipeline p =
          Pipeline.create(
              PipelineOptionsFactory.fromArgs(
                      "--runner=FlinkRunner",
                      "--flinkMaster=[local]",
                      "--parallelism=1",
                      "--streaming=true",
                      "--attachedMode=false")
                  .create());
      p.apply("ReadIds", GenerateSequence.from(0).withTimestampFn(DedupBenchmark::timestampOf))
          .apply("ToId", ParDo.of(new ToIdFn()))
          .apply("Dedup", step.create())
          .apply("Count", ParDo.of(new CountFn()));
      PipelineResult job = p.run();
      try {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (fullHeap == null && System.nanoTime() < deadline) {
          Thread.sleep(200);
        }
      } finally {
        job.cancel();
        // Cancelling is asynchronous: the next measurement's "before" must not hold this job's
        // state.
        try {
          job.waitUntilFinish(org.joda.time.Duration.standardMinutes(2));
        } catch (IllegalStateException e) {
          // The embedded MiniCluster has already shut down behind the cancelled job.
        }
      }
      if (fullHeap == null) {
        throw new IllegalStateException(
            "the sink never saw " + n + " unique ids (saw " + UNIQUE.get() + ")");
      }
      return growth(before, fullHeap, name) / (double) n;
    } finally {
      fullAt = -1;
    }
  }

  /** The unbounded sequence runs past the ids (the job is cancelled); those get the last time. */
  private static Instant timestampOf(Long i) {
    return new Instant(times[(int) Math.min(i, times.length - 1)]);
  }

  private static double hashMapBytesPerId(int n) throws InterruptedException {
    LiveHeap.settle();
    Map<String, Long> before = LiveHeap.liveBytesPerClass();
    Map<String, Long> map = new HashMap<>();
    for (int i = 0; i < n; i++) {
      map.put(new String(ids[i].toCharArray()), (long) i + 1_000);
    }
    Map<String, Long> full = LiveHeap.liveBytesPerClass();
    if (map.size() != n) {
      throw new IllegalStateException("map size " + map.size());
    }
    return growth(before, full, "HashMap") / (double) n;
  }

  /** The largest per-class growths of the last state measurement, for the page. */
  private static volatile String lastTopGrowth = "none";

  /** Sum of the live-byte growth of the classes that grew from {@code before} to {@code after}. */
  static long growth(Map<String, Long> before, Map<String, Long> after, String what) {
    long grown = 0;
    List<Map.Entry<String, Long>> growths = new ArrayList<>();
    for (Map.Entry<String, Long> e : after.entrySet()) {
      long delta = e.getValue() - before.getOrDefault(e.getKey(), 0L);
      if (delta > 0) {
        grown += delta;
        growths.add(Map.entry(e.getKey(), delta));
      }
    }
    growths.sort((x, y) -> Long.compare(y.getValue(), x.getValue()));
    StringBuilder top = new StringBuilder(what).append(": ");
    for (int i = 0; i < Math.min(4, growths.size()); i++) {
      top.append(i == 0 ? "" : ", ")
          .append('`')
          .append(growths.get(i).getKey())
          .append("` ")
          .append(String.format("%.0f%%", 100.0 * growths.get(i).getValue() / Math.max(1, grown)));
    }
    lastTopGrowth =
        lastTopGrowth.startsWith("none") || what.equals("HashMap")
            ? top.toString()
            : lastTopGrowth + "; " + top;
    return grown;
  }

  private static PCollection<String> read(Pipeline p) {
    return p.apply(
            "ReadIds",
            GenerateSequence.from(0)
                .to(ids.length)
                .withTimestampFn(i -> new Instant(times[(int) (long) i])))
        .apply("ToId", ParDo.of(new ToIdFn()));
  }

  static final class ToIdFn extends DoFn<Long, String> {
    @ProcessElement
    public void process(@Element Long i, OutputReceiver<String> out) {
      if (i < ids.length) {
        out.output(ids[(int) (long) i]);
      }
    }
  }

  static final class CountFn extends DoFn<String, Void> {
    @ProcessElement
    public void process(@Element String id) {
      long unique = UNIQUE.incrementAndGet();
      if (unique == fullAt) {
        fullHeap = LiveHeap.liveBytesPerClass();
      }
    }
  }

  private static PTransform<PCollection<String>, PCollection<String>> unique(Dedup<String> dedup) {
    return new PTransform<PCollection<String>, PCollection<String>>() {
      @Override
      public PCollection<String> expand(PCollection<String> input) {
        return input.apply("Dedup", dedup).unique();
      }
    };
  }
}
