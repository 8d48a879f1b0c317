package io.beamsuite.transforms.enrichment;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.beamsuite.transforms.errors.DeadLetter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * Exact-outcome tests of {@link LookupEnrichment}. Records are {@code "<id>:<key>"} (no colon: no
 * key); the fake dimension table maps keys to tiers and records every call it receives.
 *
 * <p>Bundles: each {@code addElements} step of a {@link TestStream} reaches the enrichment DoFn as
 * exactly one bundle on the DirectRunner ({@code Create.of} may split even tiny inputs), so call
 * counts and keys per call are asserted exactly. The DirectRunner keeps one DoFn instance per
 * worker thread; tests that rely on the cache surviving from one bundle to the next therefore run
 * with a single worker thread ({@code targetParallelism = 1}).
 *
 * <p>Metrics: the DirectRunner commits a bundle's metrics just after reporting the bundle done, so
 * the {@code @FinishBundle} increments of a bundle whose completion ends the pipeline can be lost.
 * Every test that asserts metrics has PAssert steps downstream, which keep the pipeline running
 * well past that point.
 */
@RunWith(JUnit4.class)
public class LookupEnrichmentTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final String STAGE = "enrich-test";
  private static final Map<String, String> TIERS =
      Map.of(
          "a", "gold", "b", "silver", "c", "bronze", "d", "gold", "e", "silver", "alice", "gold",
          "bob", "silver");

  private static final SerializableFunction<String, String> KEY =
      record -> record.indexOf(':') < 0 ? null : record.substring(record.indexOf(':') + 1);

  /** Unlike a lambda, an anonymous class keeps its output type, so the coder is inferred. */
  private static final JoinFn<String, String, String> JOIN =
      new JoinFn<String, String, String>() {
        @Override
        public String join(String record, String tier) {
          if (record.startsWith("boom")) {
            throw new IllegalArgumentException("cannot join " + record);
          }
          return record.startsWith("null") ? null : record + "=" + tier;
        }
      };

  @Rule public final transient TestPipeline p = TestPipeline.create();

  // Each test's calls, lifecycle events and fake clock live under its own id: DoFns are
  // serialized, so the fake lookup reports through static, thread-safe state.
  private final String id = UUID.randomUUID().toString();

  @Test
  public void enrichesMatchedRecordsAndRoutesMissingAndNullKeysToUnmatched() {
    TestStream<String> input =
        stream()
            .addElements("t1:alice", "t2:bob", "t3:zed", "t4", "t5:alice")
            .advanceWatermarkToInfinity();

    EnrichmentResult<String, String> out =
        p.apply(input).apply(LookupEnrichment.of(KEY, FakeLookup.of(id), JOIN).withStage(STAGE));

    PAssert.that(out.enriched())
        .containsInAnyOrder("t1:alice=gold", "t2:bob=silver", "t5:alice=gold");
    PAssert.that(out.unmatched()).containsInAnyOrder("t3:zed", "t4");
    PAssert.that(out.failures()).empty();
    PipelineResult result = run();
    assertEquals(List.of(List.of("alice", "bob", "zed")), calls());
    assertEquals(5, counter(result, "records_in"));
    assertEquals(3, counter(result, "enriched"));
    assertEquals(2, counter(result, "unmatched"));
    assertEquals(0, counter(result, "failures"));
    assertEquals(1, counter(result, "lookup_calls"));
    assertEquals(3, counter(result, "keys_looked_up"));
    assertEquals(0, counter(result, "cache_hits"));
    assertEquals(4, counter(result, "cache_misses")); // keyed records; the cache is off
    // LookupFn lifecycle follows the DoFn's: set up and torn down once per instance.
    assertThat(FakeLookup.setups(id), greaterThanOrEqualTo(1));
    assertEquals(FakeLookup.setups(id), FakeLookup.teardowns(id));
  }

  @Test
  public void batchesDistinctUncachedKeysUpToTheBatchSize() {
    TestStream<String> input =
        stream()
            .addElements("1:a", "2:a", "3:b", "4:c", "5:b", "6:d", "7", "8:e")
            .advanceWatermarkToInfinity();

    EnrichmentResult<String, String> out =
        p.apply(input)
            .apply(
                LookupEnrichment.of(KEY, FakeLookup.of(id), JOIN)
                    .withBatchSize(2)
                    .withCache(100, Duration.standardHours(1)));

    PAssert.that(out.enriched())
        .containsInAnyOrder(
            "1:a=gold",
            "2:a=gold",
            "3:b=silver",
            "4:c=bronze",
            "5:b=silver",
            "6:d=gold",
            "8:e=silver");
    PAssert.that(out.unmatched()).containsInAnyOrder("7");
    PipelineResult result = run();
    // a is pending twice but looked up once; b's second record is served by the cache.
    assertEquals(List.of(List.of("a", "b"), List.of("c", "d"), List.of("e")), calls());
    DistributionResult keysPerCall = distribution(result, "keys_per_call");
    assertEquals(3, keysPerCall.getCount());
    assertEquals(5, keysPerCall.getSum());
    assertEquals(1, keysPerCall.getMin());
    assertEquals(2, keysPerCall.getMax());
    assertEquals(1, counter(result, "cache_hits"));
    assertEquals(6, counter(result, "cache_misses"));
  }

  @Test
  public void withoutCacheOnlyKeysWithinOneBatchAreShared() {
    TestStream<String> input =
        stream()
            .addElements("1:a", "2:a", "3:b", "4:c", "5:b", "6:d", "7", "8:e")
            .advanceWatermarkToInfinity();

    EnrichmentResult<String, String> out =
        p.apply(input).apply(LookupEnrichment.of(KEY, FakeLookup.of(id), JOIN).withBatchSize(2));

    PAssert.that(out.enriched())
        .containsInAnyOrder(
            "1:a=gold",
            "2:a=gold",
            "3:b=silver",
            "4:c=bronze",
            "5:b=silver",
            "6:d=gold",
            "8:e=silver");
    run();
    assertEquals(List.of(List.of("a", "b"), List.of("c", "b"), List.of("d", "e")), calls());
  }

  @Test
  public void aBundleWithBDistinctKeysMakesCeilOfBOverBatchSizeCalls() {
    List<String> records = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      String key = "k" + (i % 10);
      records.add(i + ":" + key);
      expected.add(i + ":" + key + "=v" + key);
    }
    TestStream<String> input =
        stream()
            .addElements(records.get(0), records.subList(1, 60).toArray(new String[0]))
            .advanceWatermarkToInfinity();

    EnrichmentResult<String, String> out =
        p.apply(input)
            .apply(
                LookupEnrichment.of(KEY, FakeLookup.of(id).withPrefixedValues(), JOIN)
                    .withBatchSize(4)
                    .withCache(100, Duration.standardHours(1)));

    PAssert.that(out.enriched()).containsInAnyOrder(expected);
    PipelineResult result = run();
    // 10 distinct keys, batches of 4: ceil(10 / 4) = 3 calls for 60 records.
    assertEquals(
        List.of(
            List.of("k0", "k1", "k2", "k3"), List.of("k4", "k5", "k6", "k7"), List.of("k8", "k9")),
        calls());
    assertEquals(10, counter(result, "keys_looked_up"));
    // k8 and k9 stay pending until the bundle ends, so all 12 of their records miss the cache.
    assertEquals(40, counter(result, "cache_hits"));
    assertEquals(20, counter(result, "cache_misses"));
  }

  @Test
  public void keepsTimestampAndWindowOfRecordsEmittedMidBundleAndAtBundleEnd() {
    TestStream<String> input =
        stream()
            .addElements(
                TimestampedValue.of("x:a", T0.plus(Duration.standardSeconds(70))),
                // Flush here: x is in another window, so it waits for the end of the bundle.
                TimestampedValue.of("y:b", T0.plus(Duration.standardSeconds(10))),
                TimestampedValue.of("z:c", T0.plus(Duration.standardSeconds(20))),
                // Flush here: z (later, same window) and w are emitted right away.
                TimestampedValue.of("w:d", T0.plus(Duration.standardSeconds(5))))
            .advanceWatermarkToInfinity();

    EnrichmentResult<String, String> out =
        p.apply(input)
            .apply(Window.into(FixedWindows.of(Duration.standardMinutes(1))))
            .apply(LookupEnrichment.of(KEY, FakeLookup.of(id), JOIN).withBatchSize(2));

    PAssert.that(out.enriched().apply(ParDo.of(new DescribeFn())))
        .containsInAnyOrder(
            "x:a=gold @70s in [60s",
            "y:b=silver @10s in [0s",
            "z:c=bronze @20s in [0s",
            "w:d=gold @5s in [0s");
    run();
    assertEquals(List.of(List.of("a", "b"), List.of("c", "d")), calls());
  }

  @Test
  public void cacheServesKeysAcrossBundlesAndRemembersMisses() {
    singleWorkerThread();
    TestStream<String> input =
        stream()
            .addElements("t1:a", "t2:b")
            .addElements("t3:a", "t4:c")
            .addElements("t5:b", "t6:c", "t7:zzz")
            .addElements("t8:zzz", "t9:a")
            .advanceWatermarkToInfinity();

    EnrichmentResult<String, String> out =
        p.apply(input)
            .apply(
                LookupEnrichment.of(KEY, FakeLookup.of(id), JOIN)
                    .withCache(100, Duration.standardHours(1)));

    PAssert.that(out.enriched())
        .containsInAnyOrder(
            "t1:a=gold",
            "t2:b=silver",
            "t3:a=gold",
            "t4:c=bronze",
            "t5:b=silver",
            "t6:c=bronze",
            "t9:a=gold");
    PAssert.that(out.unmatched()).containsInAnyOrder("t7:zzz", "t8:zzz");
    PipelineResult result = run();
    // Second occurrences (t3, t5, t6, t9) and the cached miss (t8) cause no call.
    assertEquals(List.of(List.of("a", "b"), List.of("c"), List.of("zzz")), calls());
    assertEquals(5, counter(result, "cache_hits"));
    assertEquals(4, counter(result, "cache_misses"));
  }

  @Test
  public void cacheEntriesAndCachedMissesExpireExactlyAtTheTtl() {
    singleWorkerThread();
    // "<record>@<ms>": the key function sets the fake clock to <ms> as the record is processed.
    TestStream<String> input =
        stream()
            .addElements("t1:a@0")
            .addElements("t2:a@499")
            .addElements("t3:a@500")
            .addElements("t4:a@999")
            .addElements("t5:a@1000", "t6:zzz@1000")
            .addElements("t7:zzz@1499")
            .addElements("t8:zzz@1500")
            .advanceWatermarkToInfinity();
    String testId = id;
    SerializableFunction<String, String> keyAndTick =
        record -> {
          String[] parts = record.split("@");
          FakeLookup.clock(testId).set(Long.parseLong(parts[1]) * 1_000_000L);
          return KEY.apply(parts[0]);
        };

    EnrichmentResult<String, String> out =
        p.apply(input)
            .apply(
                LookupEnrichment.of(keyAndTick, FakeLookup.of(id), JOIN)
                    .withCache(100, Duration.millis(500))
                    .withTicker(() -> FakeLookup.clock(testId).get()));

    PAssert.that(out.enriched())
        .containsInAnyOrder(
            "t1:a@0=gold", "t2:a@499=gold", "t3:a@500=gold", "t4:a@999=gold", "t5:a@1000=gold");
    PAssert.that(out.unmatched()).containsInAnyOrder("t6:zzz@1000", "t7:zzz@1499", "t8:zzz@1500");
    PipelineResult result = run();
    assertEquals(List.of(List.of("a"), List.of("a"), List.of("a", "zzz"), List.of("zzz")), calls());
    assertEquals(3, counter(result, "cache_hits"));
  }

  @Test
  public void cacheEvictsTheLeastRecentlyUsedKeyBeyondMaxEntries() {
    singleWorkerThread();
    TestStream<String> input =
        stream()
            .addElements("t1:a", "t2:b")
            .addElements("t3:a") // a becomes the most recently used
            .addElements("t4:c") // evicts b
            .addElements("t5:a")
            .addElements("t6:b")
            .advanceWatermarkToInfinity();

    EnrichmentResult<String, String> out =
        p.apply(input)
            .apply(
                LookupEnrichment.of(KEY, FakeLookup.of(id), JOIN)
                    .withCache(2, Duration.standardHours(1)));

    PAssert.that(out.enriched())
        .containsInAnyOrder(
            "t1:a=gold", "t2:b=silver", "t3:a=gold", "t4:c=bronze", "t5:a=gold", "t6:b=silver");
    run();
    assertEquals(List.of(List.of("a", "b"), List.of("c"), List.of("b")), calls());
  }

  @Test
  public void retriesTransientFailuresUntilTheLookupSucceeds() {
    TestStream<String> input = stream().addElements("t1:a", "t2:b").advanceWatermarkToInfinity();

    EnrichmentResult<String, String> out =
        p.apply(input)
            .apply(
                LookupEnrichment.of(KEY, FakeLookup.of(id).failingFirst(2), JOIN)
                    .withRetries(3, Duration.millis(1)));

    PAssert.that(out.enriched()).containsInAnyOrder("t1:a=gold", "t2:b=silver");
    PAssert.that(out.failures()).empty();
    PipelineResult result = run();
    assertEquals(List.of(List.of("a", "b"), List.of("a", "b"), List.of("a", "b")), calls());
    assertEquals(3, counter(result, "lookup_calls"));
    assertEquals(2, counter(result, "lookup_retries"));
    assertEquals(3, distribution(result, "lookup_latency_ms").getCount());
  }

  @Test
  public void aLookupThatKeepsFailingSendsEveryRecordOfItsBatchToFailures() {
    TestStream<String> input =
        stream().addElements("t1:a", "t2:b", "t3:a", "t4").advanceWatermarkToInfinity();

    EnrichmentResult<String, String> out =
        p.apply(input)
            .apply(
                LookupEnrichment.of(KEY, FakeLookup.of(id).alwaysFailing(), JOIN)
                    .withRetries(3, Duration.millis(1))
                    .withStage(STAGE));

    PAssert.that(out.enriched()).empty();
    PAssert.that(out.unmatched()).containsInAnyOrder("t4");
    PAssert.that(out.failures().apply(describeFailures()))
        .containsInAnyOrder(
            "enrich-test|lookup_failed|connection refused|java.io.IOException|\"t1:a\"",
            "enrich-test|lookup_failed|connection refused|java.io.IOException|\"t2:b\"",
            "enrich-test|lookup_failed|connection refused|java.io.IOException|\"t3:a\"");
    PipelineResult result = run();
    assertEquals(List.of(List.of("a", "b"), List.of("a", "b"), List.of("a", "b")), calls());
    assertEquals(2, counter(result, "lookup_retries"));
    assertEquals(3, counter(result, "failures"));
    assertEquals(3, counter(result, "failures_lookup_failed"));
  }

  @Test
  public void aFailedLookupIsNotCached() {
    singleWorkerThread();
    TestStream<String> input =
        stream().addElements("t1:a").addElements("t2:a").advanceWatermarkToInfinity();

    EnrichmentResult<String, String> out =
        p.apply(input)
            .apply(
                LookupEnrichment.of(KEY, FakeLookup.of(id).failingFirst(1), JOIN)
                    .withRetries(1, Duration.ZERO)
                    .withCache(100, Duration.standardHours(1))
                    .withStage(STAGE));

    PAssert.that(out.enriched()).containsInAnyOrder("t2:a=gold");
    PAssert.that(out.failures().apply(describeFailures()))
        .containsInAnyOrder(
            "enrich-test|lookup_failed|connection refused|java.io.IOException|\"t1:a\"");
    run();
    assertEquals(List.of(List.of("a"), List.of("a")), calls());
  }

  @Test
  public void aLookupSlowerThanTheTimeoutFailsWithTheTimeoutReason() {
    TestStream<String> input = stream().addElements("t1:a", "t2:b").advanceWatermarkToInfinity();

    EnrichmentResult<String, String> out =
        p.apply(input)
            .apply(
                LookupEnrichment.of(
                        KEY, FakeLookup.of(id).sleeping(Duration.standardSeconds(20)), JOIN)
                    .withTimeout(Duration.millis(100))
                    .withRetries(2, Duration.millis(1))
                    .withStage(STAGE));

    PAssert.that(out.enriched()).empty();
    String timedOut =
        "enrich-test|lookup_timeout|lookup of 2 key(s) did not finish within 100 ms"
            + "|java.util.concurrent.TimeoutException|";
    PAssert.that(out.failures().apply(describeFailures()))
        .containsInAnyOrder(timedOut + "\"t1:a\"", timedOut + "\"t2:b\"");
    long start = System.nanoTime();
    PipelineResult result = run();
    assertEquals(List.of(List.of("a", "b"), List.of("a", "b")), calls());
    assertEquals(2, counter(result, "failures_lookup_timeout"));
    // The 20 s calls were abandoned, not waited for.
    assertThat((System.nanoTime() - start) / 1_000_000L, lessThan(15_000L));
  }

  @Test
  public void recordLevelFailuresAffectOnlyThatRecord() {
    TestStream<String> input =
        stream()
            .addElements("t1:a", "boom:a", "null:b", "!bad", "t5:b")
            .advanceWatermarkToInfinity();
    SerializableFunction<String, String> strictKey =
        record -> {
          if (record.startsWith("!")) {
            throw new IllegalArgumentException("no key in " + record);
          }
          return KEY.apply(record);
        };

    EnrichmentResult<String, String> out =
        p.apply(input)
            .apply(LookupEnrichment.of(strictKey, FakeLookup.of(id), JOIN).withStage(STAGE));

    PAssert.that(out.enriched()).containsInAnyOrder("t1:a=gold", "t5:b=silver");
    PAssert.that(out.unmatched()).empty();
    PAssert.that(out.failures().apply(describeFailures()))
        .containsInAnyOrder(
            "enrich-test|join_failed|cannot join boom:a|java.lang.IllegalArgumentException"
                + "|\"boom:a\"",
            "enrich-test|join_failed|joinFn returned null|java.lang.NullPointerException"
                + "|\"null:b\"",
            "enrich-test|key_failed|no key in !bad|java.lang.IllegalArgumentException|\"!bad\"");
    PipelineResult result = run();
    assertEquals(List.of(List.of("a", "b")), calls());
    assertEquals(2, counter(result, "failures_join_failed"));
    assertEquals(1, counter(result, "failures_key_failed"));
  }

  @Test
  public void everyRecordEndsInExactlyOneOutputAndTheCountsReconcile() {
    singleWorkerThread();
    TestStream<String> input =
        stream()
            // The first call fails on its only attempt: its whole batch (a, b) fails.
            .addElements("t1:a", "t2:b", "t3", "t4:zzz", "t5:a")
            .addElements("t6:a", "t7:b", "boom:c", "t9:zzz", "t10")
            .addElements("t11:a", "t12:d", "t13:e", "t14:yyy", "t15:c")
            .advanceWatermarkToInfinity();

    EnrichmentResult<String, String> out =
        p.apply(input)
            .apply(
                LookupEnrichment.of(KEY, FakeLookup.of(id).failingFirst(1), JOIN)
                    .withRetries(1, Duration.ZERO)
                    .withBatchSize(3)
                    .withCache(100, Duration.standardHours(1)));

    PAssert.that(out.enriched())
        .containsInAnyOrder(
            "t5:a=gold",
            "t6:a=gold",
            "t7:b=silver",
            "t11:a=gold",
            "t12:d=gold",
            "t13:e=silver",
            "t15:c=bronze");
    PAssert.that(out.unmatched()).containsInAnyOrder("t3", "t9:zzz", "t10", "t14:yyy");
    PCollection<String> reasonAndPayload =
        out.failures()
            .apply("DescribeFailures", describeFailures())
            .apply(
                "ReasonAndPayload",
                MapElements.into(TypeDescriptors.strings())
                    .via((String f) -> f.split("\\|")[1] + " " + f.split("\\|")[4]));
    PAssert.that(reasonAndPayload)
        .containsInAnyOrder(
            "lookup_failed \"t1:a\"",
            "lookup_failed \"t2:b\"",
            "lookup_failed \"t4:zzz\"",
            "join_failed \"boom:c\"");
    PAssert.that(count(out.enriched(), "Enriched")).containsInAnyOrder(7L);
    PAssert.that(count(out.unmatched(), "Unmatched")).containsInAnyOrder(4L);
    PAssert.that(count(out.failures(), "Failures")).containsInAnyOrder(4L);
    PipelineResult result = run();
    // Bundle 1: [a, b, zzz] fails (t1, t2, t4), then t5's a is looked up at the bundle end.
    assertEquals(
        List.of(
            List.of("a", "b", "zzz"),
            List.of("a"),
            List.of("b", "c", "zzz"),
            List.of("d", "e", "yyy")),
        calls());
    assertEquals(15, counter(result, "records_in"));
    assertEquals(7, counter(result, "enriched"));
    assertEquals(4, counter(result, "unmatched"));
    assertEquals(4, counter(result, "failures"));
    assertEquals(
        counter(result, "records_in"),
        counter(result, "enriched") + counter(result, "unmatched") + counter(result, "failures"));
  }

  @Test
  public void aLambdaJoinFnNeedsAnExplicitOutputCoder() {
    p.enableAbandonedNodeEnforcement(false);
    PCollection<String> records =
        p.apply(stream().addElements("t1:a").advanceWatermarkToInfinity());
    JoinFn<String, String, String> lambda = (record, tier) -> record + "=" + tier;

    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> records.apply("NoCoder", LookupEnrichment.of(KEY, FakeLookup.of(id), lambda)));
    assertThat(e.getMessage(), containsString("withOutputCoder"));

    // With a coder the same lambda works.
    records.apply(
        "WithCoder",
        LookupEnrichment.of(KEY, FakeLookup.of(id), lambda).withOutputCoder(StringUtf8Coder.of()));
  }

  @Test
  public void rejectsInvalidSettings() {
    LookupEnrichment<String, String, String, String> lookup =
        LookupEnrichment.of(KEY, FakeLookup.of(id), JOIN);
    assertThrows(IllegalArgumentException.class, () -> lookup.withBatchSize(0));
    assertThrows(IllegalArgumentException.class, () -> lookup.withCache(0, Duration.millis(1)));
    assertThrows(IllegalArgumentException.class, () -> lookup.withCache(1, Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> lookup.withRetries(0, Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> lookup.withRetries(1, Duration.millis(-1)));
    assertThrows(IllegalArgumentException.class, () -> lookup.withTimeout(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> lookup.withStage(" "));
    assertThrows(IllegalArgumentException.class, () -> LookupEnrichment.of(KEY, null, JOIN));
  }

  // ---------------------------------------------------------------------------------------------

  private void singleWorkerThread() {
    p.getOptions().as(DirectOptions.class).setTargetParallelism(1);
  }

  private PipelineResult run() {
    PipelineResult result = p.run();
    result.waitUntilFinish();
    return result;
  }

  /** Counts an unbounded output: in one big window, since the global one never closes here. */
  private static <T> PCollection<Long> count(PCollection<T> output, String name) {
    return output
        .apply("Window" + name, Window.<T>into(FixedWindows.of(Duration.standardDays(1))))
        .apply("Count" + name, Combine.globally(Count.<T>combineFn()).withoutDefaults());
  }

  private List<List<String>> calls() {
    return FakeLookup.calls(id);
  }

  private static TestStream.Builder<String> stream() {
    return TestStream.create(StringUtf8Coder.of());
  }

  private static MapElements<DeadLetter, String> describeFailures() {
    return MapElements.into(TypeDescriptors.strings())
        .via(
            (DeadLetter letter) ->
                String.join(
                    "|",
                    letter.getStage(),
                    letter.getReason(),
                    letter.getDetail(),
                    letter.getErrorClass(),
                    letter.payloadUtf8()));
  }

  private static long counter(PipelineResult result, String name) {
    long total = 0;
    for (MetricResult<Long> counter : result.metrics().queryMetrics(filter(name)).getCounters()) {
      total += counter.getCommitted();
    }
    return total;
  }

  private static DistributionResult distribution(PipelineResult result, String name) {
    DistributionResult total = DistributionResult.IDENTITY_ELEMENT;
    for (MetricResult<DistributionResult> distribution :
        result.metrics().queryMetrics(filter(name)).getDistributions()) {
      DistributionResult d = distribution.getCommitted();
      total =
          DistributionResult.create(
              total.getSum() + d.getSum(),
              total.getCount() + d.getCount(),
              Math.min(total.getMin(), d.getMin()),
              Math.max(total.getMax(), d.getMax()));
    }
    return total;
  }

  private static MetricsFilter filter(String name) {
    return MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named(LookupEnrichment.class, name))
        .build();
  }

  /** Formats an output with its timestamp and window start, in seconds after {@link #T0}. */
  private static final class DescribeFn extends DoFn<String, String> {
    @ProcessElement
    public void process(
        @Element String record,
        @Timestamp Instant timestamp,
        BoundedWindow window,
        OutputReceiver<String> out) {
      long at = (timestamp.getMillis() - T0.getMillis()) / 1000;
      long from = (((IntervalWindow) window).start().getMillis() - T0.getMillis()) / 1000;
      out.output(record + " @" + at + "s in [" + from + "s");
    }
  }

  /**
   * An in-memory dimension table that records each call under a test id and can fail its first
   * calls, fail always, or be slow.
   */
  static final class FakeLookup implements LookupFn<String, String> {
    private static final Map<String, List<List<String>>> CALLS = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> SETUPS = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> TEARDOWNS = new ConcurrentHashMap<>();
    private static final Map<String, AtomicLong> CLOCKS = new ConcurrentHashMap<>();

    private final String testId;
    private final boolean prefixedValues;
    private final int failFirst;
    private final boolean alwaysFail;
    private final long sleepMillis;

    private FakeLookup(
        String testId,
        boolean prefixedValues,
        int failFirst,
        boolean alwaysFail,
        long sleepMillis) {
      this.testId = testId;
      this.prefixedValues = prefixedValues;
      this.failFirst = failFirst;
      this.alwaysFail = alwaysFail;
      this.sleepMillis = sleepMillis;
    }

    static FakeLookup of(String testId) {
      return new FakeLookup(testId, false, 0, false, 0);
    }

    /** Every key has a value: {@code "v" + key}. */
    FakeLookup withPrefixedValues() {
      return new FakeLookup(testId, true, failFirst, alwaysFail, sleepMillis);
    }

    FakeLookup failingFirst(int calls) {
      return new FakeLookup(testId, prefixedValues, calls, alwaysFail, sleepMillis);
    }

    FakeLookup alwaysFailing() {
      return new FakeLookup(testId, prefixedValues, failFirst, true, sleepMillis);
    }

    FakeLookup sleeping(Duration duration) {
      return new FakeLookup(testId, prefixedValues, failFirst, alwaysFail, duration.getMillis());
    }

    static List<List<String>> calls(String testId) {
      List<List<String>> calls = CALLS.getOrDefault(testId, List.of());
      synchronized (calls) {
        return new ArrayList<>(calls);
      }
    }

    static int setups(String testId) {
      return SETUPS.computeIfAbsent(testId, id -> new AtomicInteger()).get();
    }

    static int teardowns(String testId) {
      return TEARDOWNS.computeIfAbsent(testId, id -> new AtomicInteger()).get();
    }

    static AtomicLong clock(String testId) {
      return CLOCKS.computeIfAbsent(testId, id -> new AtomicLong());
    }

    @Override
    public void setup() {
      SETUPS.computeIfAbsent(testId, id -> new AtomicInteger()).incrementAndGet();
    }

    @Override
    public Map<String, String> lookup(List<String> keys) throws Exception {
      List<List<String>> calls =
          CALLS.computeIfAbsent(testId, id -> Collections.synchronizedList(new ArrayList<>()));
      int callNumber;
      synchronized (calls) {
        calls.add(List.copyOf(keys));
        callNumber = calls.size();
      }
      if (alwaysFail || callNumber <= failFirst) {
        throw new IOException("connection refused");
      }
      if (sleepMillis > 0) {
        Thread.sleep(sleepMillis);
      }
      Map<String, String> values = new HashMap<>();
      for (String key : keys) {
        String value = prefixedValues ? "v" + key : TIERS.get(key);
        if (value != null) {
          values.put(key, value);
        }
      }
      return values;
    }

    @Override
    public void teardown() {
      TEARDOWNS.computeIfAbsent(testId, id -> new AtomicInteger()).incrementAndGet();
    }
  }
}
