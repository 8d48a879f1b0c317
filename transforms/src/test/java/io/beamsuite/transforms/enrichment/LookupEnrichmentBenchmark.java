package io.beamsuite.transforms.enrichment;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;

/**
 * Compares {@link LookupEnrichment} (batching + cache) with a naive one-lookup-per-record ParDo on
 * the DirectRunner, both using the same simulated database {@link LookupFn}. Not a JUnit test and
 * not run by {@code mvn verify}: the name matches none of surefire's default includes.
 *
 * <p>Run from the repository root:
 *
 * <pre>
 * mvn -q -B -o -pl transforms test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=target/test.cp -Dmdep.includeScope=test
 * CP=transforms/target/test-classes:transforms/target/classes:$(cat transforms/target/test.cp)
 * java -cp "$CP" io.beamsuite.transforms.enrichment.LookupEnrichmentBenchmark
 * </pre>
 *
 * <p>DirectRunner options may be appended, e.g. {@code --targetParallelism=4}.
 *
 * <p>Workload: 200,000 records over 10,000 keys with 90% locality (90% of records use the 1,000 hot
 * keys), fixed seed. Each database call costs a 200 µs round trip plus 1 µs per key.
 */
public final class LookupEnrichmentBenchmark {
  private static final int RECORDS = 200_000;
  private static final int KEYS = 10_000;
  private static final int HOT_KEYS = KEYS / 10;
  private static final double HOT_SHARE = 0.9;
  private static final long SEED = 20_260_101L;
  private static final int WARM_UP_RECORDS = 20_000;

  private static final SerializableFunction<String, String> KEY =
      record -> record.substring(record.indexOf(':') + 1);

  private static final JoinFn<String, String, String> JOIN = (record, tier) -> record + "=" + tier;

  private LookupEnrichmentBenchmark() {}

  public static void main(String[] args) {
    List<String> records = records(RECORDS);
    List<String> warmUp = records(WARM_UP_RECORDS);
    DirectOptions options = PipelineOptionsFactory.fromArgs(args).as(DirectOptions.class);
    options.setRunner(DirectRunner.class);
    // The checks copy and re-encode every element; they would dominate both variants equally.
    options.setEnforceImmutability(false);
    options.setEnforceEncodability(false);

    // Warm up the JIT and the runner once for each variant; the numbers are discarded.
    run(options, warmUp, false);
    run(options, warmUp, true);

    Measurement naive = run(options, records, false);
    Measurement batched = run(options, records, true);

    System.out.printf(
        Locale.ROOT,
        "records=%,d keys=%,d (hot %,d keys get %.0f%% of records) targetParallelism=%d%n",
        RECORDS,
        KEYS,
        HOT_KEYS,
        HOT_SHARE * 100,
        options.getTargetParallelism());
    System.out.println(naive.describe("naive ParDo (1 call per record)"));
    System.out.println(batched.describe("LookupEnrichment (batch 100, cache 20k/10min)"));
    System.out.printf(
        Locale.ROOT,
        "ratios: %.1fx fewer calls, %.1fx throughput%n",
        (double) naive.calls / batched.calls,
        batched.throughput() / naive.throughput());
  }

  /** Record {@code i} is {@code "<i>:k<key>"}; 90% of keys are drawn from the hot 10%. */
  private static List<String> records(int count) {
    Random random = new Random(SEED);
    List<String> records = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int key =
          random.nextDouble() < HOT_SHARE
              ? random.nextInt(HOT_KEYS)
              : HOT_KEYS + random.nextInt(KEYS - HOT_KEYS);
      records.add(i + ":k" + key);
    }
    return records;
  }

  private static Measurement run(DirectOptions options, List<String> records, boolean batched) {
    SimulatedDb.CALLS.set(0);
    SimulatedDb.KEYS_LOOKED_UP.set(0);
    CountOutputsFn.OUTPUTS.set(0);
    Pipeline pipeline = Pipeline.create(options);
    PCollection<String> input = pipeline.apply(Create.of(records).withCoder(StringUtf8Coder.of()));
    PCollection<String> enriched;
    if (batched) {
      enriched =
          input
              .apply(
                  "LookupEnrichment",
                  LookupEnrichment.of(KEY, new SimulatedDb(), JOIN)
                      .withBatchSize(100)
                      .withCache(20_000, Duration.standardMinutes(10))
                      .withOutputCoder(StringUtf8Coder.of()))
              .enriched();
    } else {
      enriched =
          input
              .apply("NaiveLookup", ParDo.of(new NaiveLookupFn(new SimulatedDb())))
              .setCoder(StringUtf8Coder.of());
    }
    // Counted by a static counter, not a metric: the DirectRunner can drop the @FinishBundle
    // metric updates of the bundle whose completion ends the pipeline.
    enriched.apply("CountOutputs", ParDo.of(new CountOutputsFn()));
    long start = System.nanoTime();
    pipeline.run().waitUntilFinish();
    long nanos = System.nanoTime() - start;
    if (CountOutputsFn.OUTPUTS.get() != records.size()) {
      throw new IllegalStateException(
          "expected " + records.size() + " enriched records, got " + CountOutputsFn.OUTPUTS.get());
    }
    return new Measurement(
        records.size(), SimulatedDb.CALLS.get(), SimulatedDb.KEYS_LOOKED_UP.get(), nanos);
  }

  /** Counts enriched records, identically for both variants. */
  static final class CountOutputsFn extends DoFn<String, Void> {
    static final AtomicLong OUTPUTS = new AtomicLong();

    @ProcessElement
    public void process(@Element String record) {
      OUTPUTS.incrementAndGet();
    }
  }

  private static final class Measurement {
    final long records;
    final long calls;
    final long keys;
    final long nanos;

    Measurement(long records, long calls, long keys, long nanos) {
      this.records = records;
      this.calls = calls;
      this.keys = keys;
      this.nanos = nanos;
    }

    double throughput() {
      return records / (nanos / 1e9);
    }

    String describe(String label) {
      return String.format(
          Locale.ROOT,
          "%-46s calls=%,9d keys=%,9d time=%6.2f s throughput=%,10.0f records/s",
          label,
          calls,
          keys,
          nanos / 1e9,
          throughput());
    }
  }

  /** A database round trip: 200 µs of waiting per call plus 1 µs of work per key. */
  static final class SimulatedDb implements LookupFn<String, String> {
    static final AtomicLong CALLS = new AtomicLong();
    static final AtomicLong KEYS_LOOKED_UP = new AtomicLong();
    private static final long ROUND_TRIP_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
    private static final long PER_KEY_NANOS = TimeUnit.MICROSECONDS.toNanos(1);

    @Override
    public Map<String, String> lookup(List<String> keys) {
      CALLS.incrementAndGet();
      KEYS_LOOKED_UP.addAndGet(keys.size());
      // Waiting, not spinning: a real round trip leaves the CPU to other threads.
      long until = System.nanoTime() + ROUND_TRIP_NANOS;
      for (long left = ROUND_TRIP_NANOS; left > 0; left = until - System.nanoTime()) {
        LockSupport.parkNanos(left);
      }
      Map<String, String> values = new HashMap<>();
      for (String key : keys) {
        long spinUntil = System.nanoTime() + PER_KEY_NANOS;
        while (System.nanoTime() < spinUntil) {
          Thread.onSpinWait();
        }
        values.put(key, "tier" + Math.floorMod(key.hashCode(), 3));
      }
      return values;
    }
  }

  /** The baseline: one lookup per record, no batching, no cache. */
  static final class NaiveLookupFn extends DoFn<String, String> {
    private final LookupFn<String, String> lookupFn;

    NaiveLookupFn(LookupFn<String, String> lookupFn) {
      this.lookupFn = lookupFn;
    }

    @Setup
    public void setup() throws Exception {
      lookupFn.setup();
    }

    @ProcessElement
    public void process(@Element String record, OutputReceiver<String> out) throws Exception {
      String key = KEY.apply(record);
      String tier = lookupFn.lookup(List.of(key)).get(key);
      out.output(JOIN.join(record, tier));
    }

    @Teardown
    public void teardown() throws Exception {
      lookupFn.teardown();
    }
  }
}
