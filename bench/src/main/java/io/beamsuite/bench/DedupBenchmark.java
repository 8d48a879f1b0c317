package io.beamsuite.bench;

import io.beamsuite.fixtures.EventTopic;
import io.beamsuite.transforms.dedup.Dedup;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.Deduplicate;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;

/**
 * Section 3: beamsuite {@link Dedup} vs Beam's {@link Deduplicate} (event-time domain, the same 1 h
 * duration) on the embedded FlinkRunner, over the event ids of the generated transactions (3%
 * duplicates): throughput, and state bytes per live id against a {@code HashMap<String, Long>}.
 *
 * <p>Bytes per id: a streaming job ({@code --streaming=true --parallelism=1}, heap state backend,
 * every id with the same timestamp so no retention timer can fire) whose sink, on seeing the
 * (N/2)-th and the N-th unique id, calls {@code System.gc()} and reads the live heap ({@link
 * MemoryPoolMXBean#getCollectionUsage}) from inside the task thread — the dedup operator is chained to it and cannot clear state
 * meanwhile. Bytes per id = (heap at N - heap at N/2) / (N/2): both points are in the same job, so
 * the MiniCluster's and earlier jobs' heap cancel. The baseline is measured the same way: one
 * {@code HashMap} of fresh id strings to {@code Long}, heap at N/2 and at N entries.
 */
public final class DedupBenchmark {
  private static volatile String[] ids = new String[0];
  private static volatile long[] times = new long[0];
  static final AtomicLong UNIQUE = new AtomicLong();
  private static volatile long halfAt = -1;
  private static volatile long fullAt = -1;
  private static volatile long halfHeap = -1;
  private static volatile long fullHeap = -1;

  private DedupBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchArgs a = BenchArgs.parse(args, "events", "trials", "memory-ids");
    int events = a.intArg("events", 60_000, 20_000);
    int trials = a.intArg("trials", 3, 3);
    int memoryIds = a.intArg("memory-ids", 100_000, 20_000);
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
            .side("Dedup (64 key buckets, pipelines' default)", counted(distinct, mismatches,
                () -> runThroughput(unique(Dedup.<String>byId(s -> s).withKeyBuckets(64)))))
            .side("Dedup (one state key per id)", counted(distinct, mismatches,
                () -> runThroughput(unique(Dedup.<String>byId(s -> s)))))
            .side("Beam Deduplicate", counted(distinct, mismatches,
                () -> runThroughput(beamDeduplicate())))
            .run();
    out.note(String.format("%,d transaction event ids (%,d distinct), each timestamped with its event time;"
            + " `GenerateSequence` → dedup → counting DoFn on `--runner=FlinkRunner --flinkMaster=[local]"
            + " --parallelism=2` (bounded: Flink batch execution). Beam's side is `Deduplicate.values()"
            + ".withTimeDomain(EVENT_TIME).withDuration(1 h)`. Unique counts: %s.",
        all.length, distinct, mismatches.isEmpty() ? "every run emitted exactly the distinct count" : "**MISMATCH** " + mismatches));
    out.ratio("throughput: Dedup (64 buckets) / Deduplicate",
        t.ratios("Dedup (64 key buckets, pipelines' default)", "Beam Deduplicate"), Results.Goal.atLeast(1.0, "≥ 1×"));
    out.ratio("throughput: Dedup (per id) / Deduplicate",
        t.ratios("Dedup (one state key per id)", "Beam Deduplicate"), null);
    out.table("throughput per trial", t.rateHeader(), t.rateRows());
    out.profile("Dedup (64 key buckets)",
        Profiles.sample(() -> runThroughput(unique(Dedup.<String>byId(s -> s).withKeyBuckets(64)))));
    out.profile("Beam Deduplicate", Profiles.sample(() -> runThroughput(beamDeduplicate())));

    memory(out, memoryIds, trials);
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
    perKey.put("Dedup (64 key buckets)", new double[trials]);
    perKey.put("Dedup (one state key per id)", new double[trials]);
    perKey.put("Beam Deduplicate", new double[trials]);
    for (int trial = 0; trial < trials; trial++) {
      perKey.get("HashMap<String, Long>")[trial] = hashMapBytesPerId(n);
      perKey.get("Dedup (64 key buckets)")[trial] =
          stateBytesPerId(() -> unique(Dedup.<String>byId(s -> s).withKeyBuckets(64)), n);
      perKey.get("Dedup (one state key per id)")[trial] =
          stateBytesPerId(() -> unique(Dedup.<String>byId(s -> s)), n);
      perKey.get("Beam Deduplicate")[trial] = stateBytesPerId(DedupBenchmark::beamDeduplicate, n);
      System.out.printf("memory trial %d: %s%n", trial + 1, perKeyLine(perKey, trial));
    }
    double[] baseline = perKey.get("HashMap<String, Long>");
    List<List<String>> rows = new ArrayList<>();
    for (Map.Entry<String, double[]> e : perKey.entrySet()) {
      double[] v = e.getValue();
      rows.add(List.of(e.getKey(), String.format("%,.0f", FlinkVsNativeBenchmark.median(v)),
          String.format("%,.0f – %,.0f", min(v), max(v))));
      if (!e.getKey().startsWith("HashMap")) {
        double[] ratio = new double[v.length];
        for (int i = 0; i < v.length; i++) {
          ratio[i] = v[i] / baseline[i];
        }
        // Heap that shrinks while ids are added measures something else than the dedup state.
        String inconclusive = java.util.Arrays.stream(v).anyMatch(b -> b <= 0)
            ? "heap shrank between N/2 and N ids in some trial; this method cannot size this state" : null;
        out.ratio("state bytes per id: " + e.getKey() + " / HashMap", ratio,
            e.getKey().equals("Dedup (64 key buckets)") ? Results.Goal.atMost(5.0, "≤ 5×") : null, inconclusive);
      }
    }
    out.note(String.format("State bytes per live id: streaming job, `--streaming=true --parallelism=1`, heap"
        + " state backend, %,d ids of 26 characters, all with one timestamp (no expiry during the run);"
        + " live heap after `System.gc()` (the heap pools' `MemoryPoolMXBean.getCollectionUsage()`) taken inside the sink when the %,d-th and the %,d-th"
        + " unique id arrive, in the same job (after 3 s for the previous job's MiniCluster to shut down); bytes per id = difference / %,d. The same difference for one"
        + " `HashMap<String, Long>` of fresh strings is the baseline. GC-based: expect noise of some"
        + " bytes per id.", n, n / 2, n, n - n / 2));
    out.table("bytes per live id (median of " + trials + ")", List.of("state", "bytes/id", "min – max"), rows);
  }

  private static String perKeyLine(Map<String, double[]> perKey, int trial) {
    StringBuilder b = new StringBuilder();
    perKey.forEach((k, v) -> b.append(k).append('=').append(String.format("%.0f", v[trial])).append("  "));
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

  private static PTransform<PCollection<String>, PCollection<String>> beamDeduplicate() {
    return Deduplicate.<String>values().withTimeDomain(TimeDomain.EVENT_TIME).withDuration(Dedup.DEFAULT_RETENTION);
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
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs(
        BeamSide.flinkEmbedded().toArray(new String[0])).create());
    read(p).apply("Dedup", dedup).apply("Count", ParDo.of(new CountFn()));
    p.run().waitUntilFinish();
    return ids.length;
  }

  /** Heap growth per id between N/2 and N ids in dedup state, within one streaming job. */
  private static double stateBytesPerId(DedupStep step, int n) throws InterruptedException {
    settle();
    UNIQUE.set(0);
    halfHeap = -1;
    fullHeap = -1;
    halfAt = n / 2;
    fullAt = n;
    try {
      Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs(
          "--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=1", "--streaming=true").create());
      read(p).apply("Dedup", step.create()).apply("Count", ParDo.of(new CountFn()));
      p.run().waitUntilFinish();
      if (halfHeap < 0 || fullHeap < 0) {
        throw new IllegalStateException("the sink never saw " + n + " unique ids (saw " + UNIQUE.get() + ")");
      }
      return (fullHeap - halfHeap) / (n - n / 2.0);
    } finally {
      halfAt = -1;
      fullAt = -1;
    }
  }

  private static double hashMapBytesPerId(int n) throws InterruptedException {
    settle();
    Map<String, Long> map = new HashMap<>();
    long half = 0;
    for (int i = 0; i < n; i++) {
      if (i == n / 2) {
        half = usedHeapAfterGc();
      }
      map.put(new String(ids[i].toCharArray()), (long) i + 1_000);
    }
    long full = usedHeapAfterGc();
    if (map.size() != n) {
      throw new IllegalStateException("map size " + map.size());
    }
    return (full - half) / (n - n / 2.0);
  }

  /** Lets the previous job's MiniCluster finish its asynchronous shutdown, which frees heap. */
  private static void settle() throws InterruptedException {
    Thread.sleep(3_000);
    System.gc();
  }

  /**
   * Live heap right after a full GC: the heap pools' usage as the collector left it ({@link
   * MemoryPoolMXBean#getCollectionUsage}), so allocations by other threads (the source keeps
   * reading while the sink measures) after the GC do not count.
   */
  static long usedHeapAfterGc() {
    System.gc();
    long used = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
        used += pool.getCollectionUsage().getUsed();
      }
    }
    return used;
  }

  private static PCollection<String> read(Pipeline p) {
    return p.apply("ReadIds", GenerateSequence.from(0).to(ids.length).withTimestampFn(i -> new Instant(times[(int) (long) i])))
        .apply("ToId", ParDo.of(new ToIdFn()));
  }

  static final class ToIdFn extends DoFn<Long, String> {
    @ProcessElement
    public void process(@Element Long i, OutputReceiver<String> out) {
      out.output(ids[(int) (long) i]);
    }
  }

  static final class CountFn extends DoFn<String, Void> {
    @ProcessElement
    public void process(@Element String id) {
      long unique = UNIQUE.incrementAndGet();
      if (unique == halfAt) {
        halfHeap = usedHeapAfterGc();
      } else if (unique == fullAt) {
        fullHeap = usedHeapAfterGc();
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
