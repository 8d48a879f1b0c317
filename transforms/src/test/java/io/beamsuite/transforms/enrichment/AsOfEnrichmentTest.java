package io.beamsuite.transforms.enrichment;

import static io.beamsuite.transforms.testing.PipelineMetrics.counter;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.beamsuite.transforms.cdc.ChangeEvent;
import io.beamsuite.transforms.cdc.ChangePosition;
import io.beamsuite.transforms.errors.DeadLetter;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@link AsOfEnrichment} driven by one {@link TestStream} that interleaves records ({@code "R
 * key:id"}, timestamped with their event time) and dimension changes ({@code "C key value op lsn"},
 * timestamped with their commit time), so arrival order and watermark are exact.
 */
@RunWith(JUnit4.class)
public class AsOfEnrichmentTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final TupleTag<String> RECORDS = new TupleTag<String>() {};
  private static final TupleTag<ChangeEvent<String, String>> CHANGES =
      new TupleTag<ChangeEvent<String, String>>() {};

  @Rule public final transient TestPipeline p = TestPipeline.create();

  @Test
  public void joinsTheVersionValidAtEventTimeAndHoldsRecordsThatArriveBeforeIt() {
    TestStream<String> events =
        stream()
            // Records first: their dimension versions have not arrived yet.
            .addElements(at("R c1:r05", "0:05"), at("R c1:r20", "0:20"), at("R c1:r10", "0:10"))
            .addElements(at("C c1 gold c 100", "0:10"))
            .addElements(at("R c1:r30", "0:30"), at("C c1 silver u 200", "0:30"))
            .addElements(at("R c1:r45", "0:45"), at("C c1 - d 300", "0:50"), at("R c1:r55", "0:55"))
            .addElements(at("R nobody:r40", "0:40"), at("R c1:bad", "0:35"))
            .advanceWatermarkTo(t("1:00"))
            // Behind the watermark: joined immediately with what is known.
            .addElements(at("R c1:r35", "0:35"))
            .advanceWatermarkToInfinity();

    EnrichmentResult<String, String> out = enrich(events, Duration.standardHours(1));

    PAssert.that(out.enriched())
        .containsInAnyOrder("r10=gold", "r20=gold", "r30=silver", "r45=silver", "r35=silver");
    PAssert.that(out.unmatched()).containsInAnyOrder("c1:r05", "c1:r55", "nobody:r40");
    PAssert.that(reasons(out)).containsInAnyOrder("join_failed \"c1:bad\"");
    p.run();
  }

  @Test
  public void aLateDimensionVersionAppliesFromItsArrivalAndIsCounted() {
    TestStream<String> events =
        stream()
            .addElements(at("C c1 gold c 100", "0:00"))
            .addElements(at("R c1:r90", "1:30"))
            .advanceWatermarkTo(t("2:00"))
            // Committed at 1:20 but delivered after the watermark passed it.
            .addElements(at("C c1 bronze u 200", "1:20"))
            .addElements(at("R c1:r100", "1:40"), at("R c1:r70", "1:10"))
            .advanceWatermarkToInfinity();

    EnrichmentResult<String, String> out = enrich(events, Duration.standardHours(1));

    // r90 was released at watermark 2:00 with the only version known then.
    PAssert.that(out.enriched()).containsInAnyOrder("r90=gold", "r100=bronze", "r70=gold");
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(1, counter(result, AsOfEnrichment.class, "late_dimension_changes"));
  }

  @Test
  public void versionsExpireAndRecordsOlderThanTheRetentionBecomeFailures() {
    TestStream<String> events =
        stream()
            .addElements(at("C c1 v1 c 1", "0:00"))
            .addElements(at("C c1 v2 u 2", "1:00"))
            .addElements(at("C c1 v3 u 3", "2:00"))
            .addElements(at("C c1 v4 u 4", "3:00"))
            .advanceWatermarkTo(t("5:00"))
            // Retention is 2 minutes: nothing at or after 3:00 can need v1, v2 or v3 any more.
            .addElements(at("C c1 v5 u 5", "5:30"))
            .addElements(at("R c1:a", "3:30"), at("R c1:b", "2:59"))
            .advanceWatermarkToInfinity();

    EnrichmentResult<String, String> out = enrich(events, Duration.standardMinutes(2));

    PAssert.that(out.enriched()).containsInAnyOrder("a=v4");
    PAssert.that(reasons(out)).containsInAnyOrder("too_late_for_as_of_join \"c1:b\"");
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(3, counter(result, AsOfEnrichment.class, "versions_expired"));
    assertEquals(
        counter(result, AsOfEnrichment.class, "records_in"),
        counter(result, AsOfEnrichment.class, "enriched")
            + counter(result, AsOfEnrichment.class, "unmatched")
            + counter(result, AsOfEnrichment.class, "failures"));
  }

  @Test
  public void aBoundedDimensionIsKnownCompleteOnceReadSoRecordsAreNeverHeld() {
    // The record stream's watermark never moves before the end; the dimension is a finished read.
    TestStream<String> records =
        TestStream.create(StringUtf8Coder.of())
            .addElements(
                TimestampedValue.of("c1:r05", t("0:05")),
                TimestampedValue.of("c1:r20", t("0:20")),
                TimestampedValue.of("c1:r40", t("0:40")))
            .addElements(
                TimestampedValue.of("c1:r55", t("0:55")), TimestampedValue.of("c2:r10", t("0:10")))
            .advanceWatermarkToInfinity();
    PCollection<ChangeEvent<String, String>> dimension =
        p.apply(
            "Snapshot",
            Create.timestamped(
                    change("c1", "silver", ChangeEvent.Op.UPDATE, 200, "0:30"),
                    change("c1", "gold", ChangeEvent.Op.CREATE, 100, "0:10"),
                    change("c1", null, ChangeEvent.Op.DELETE, 300, "0:50"))
                .withCoder(ChangeEvent.coder(StringUtf8Coder.of(), StringUtf8Coder.of())));

    EnrichmentResult<String, String> out =
        p.apply("Records", records).apply(tierOf(dimension, Duration.standardHours(1)));

    PAssert.that(out.enriched()).containsInAnyOrder("r20=gold", "r40=silver");
    PAssert.that(out.unmatched()).containsInAnyOrder("c1:r05", "c1:r55", "c2:r10");
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(0, counter(result, AsOfEnrichment.class, "records_held"));
  }

  @Test
  public void anIdleChangeStreamReleasesHeldRecordsAfterTheIdleTimeout() {
    TestStream<String> events =
        stream()
            .addElements(at("C c1 gold c 100", "0:00"))
            // The watermark never passes 0:30: without the idle release r30 would wait for it.
            .addElements(at("R c1:r30", "0:30"))
            .advanceProcessingTime(Duration.standardMinutes(2))
            // Committed before r30's time, but only after r30 was released as idle.
            .addElements(at("C c1 silver u 200", "0:20"))
            .addElements(at("R c1:r40", "0:40"))
            .advanceWatermarkToInfinity();

    EnrichmentResult<String, String> out =
        enrich(events, Duration.standardHours(1), Duration.standardMinutes(1));

    PAssert.that(out.enriched()).containsInAnyOrder("r30=gold", "r40=silver");
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(1, counter(result, AsOfEnrichment.class, "released_while_idle"));
  }

  @Test
  public void aKeyLearnsTheWatermarkInDoublingStepsNotOneTimerPerMinute() {
    TestStream<String> events =
        stream()
            .addElements(at("C c1 gold c 100", "0:00"))
            .addElements(at("R c1:r10", "10:00"))
            // A day and a half of event time at once, as in a backlog replay.
            .advanceWatermarkTo(t("2000:00"))
            .addElements(at("R c1:r1500", "1500:00"))
            .advanceWatermarkToInfinity();

    EnrichmentResult<String, String> out = enrich(events, Duration.standardDays(1));

    PAssert.that(out.enriched()).containsInAnyOrder("r10=gold", "r1500=gold");
    PipelineResult result = p.run();
    result.waitUntilFinish();
    // A probe per minute of event time would fire about 1,440 times before the first record (one
    // retention back) and 2,880 after the last; doubling steps fire about log2(4,320) times each.
    long firings = counter(result, AsOfEnrichment.class, "event_time_firings");
    assertTrue("event-time firings: " + firings, firings > 0 && firings <= 40);
  }

  // ---- helpers ----

  private EnrichmentResult<String, String> enrich(TestStream<String> events, Duration retention) {
    return enrich(events, retention, AsOfEnrichment.DEFAULT_IDLE_TIMEOUT);
  }

  private EnrichmentResult<String, String> enrich(
      TestStream<String> events, Duration retention, Duration idleTimeout) {
    PCollectionTuple split =
        p.apply(events)
            .apply(
                "Split", ParDo.of(new SplitFn()).withOutputTags(RECORDS, TupleTagList.of(CHANGES)));
    PCollection<ChangeEvent<String, String>> changes =
        split.get(CHANGES).setCoder(ChangeEvent.coder(StringUtf8Coder.of(), StringUtf8Coder.of()));
    return split
        .get(RECORDS)
        .setCoder(StringUtf8Coder.of())
        .apply(tierOf(changes, retention).withIdleTimeout(idleTimeout));
  }

  private static AsOfEnrichment<String, String, String, String> tierOf(
      PCollection<ChangeEvent<String, String>> changes, Duration retention) {
    return Enrichment.asOf(
            (String r) -> r.substring(0, r.indexOf(':')),
            changes,
            (String r, String tier) -> {
              String id = r.substring(r.indexOf(':') + 1);
              if (id.equals("bad")) {
                throw new IllegalArgumentException("cannot join " + r);
              }
              return id + "=" + tier;
            })
        .withOutputCoder(StringUtf8Coder.of())
        .withVersionRetention(retention);
  }

  private static TimestampedValue<ChangeEvent<String, String>> change(
      String key, String row, ChangeEvent.Op op, long lsn, String committed) {
    return TimestampedValue.of(
        ChangeEvent.of(op, key, null, row, ChangePosition.of(lsn, 0), t(committed)), t(committed));
  }

  private static PCollection<String> reasons(EnrichmentResult<String, String> out) {
    return out.failures()
        .apply(
            "Reasons",
            MapElements.into(TypeDescriptors.strings())
                .via((DeadLetter d) -> d.getReason() + " " + d.payloadUtf8()));
  }

  static final class SplitFn extends DoFn<String, String> {
    @ProcessElement
    public void process(@Element String event, @Timestamp Instant time, MultiOutputReceiver out) {
      String[] f = event.split(" ");
      if (f[0].equals("R")) {
        out.get(RECORDS).output(f[1]);
        return;
      }
      ChangeEvent.Op op = ChangeEvent.Op.fromCode(f[3]);
      String row = f[2].equals("-") ? null : f[2];
      out.get(CHANGES)
          .output(
              ChangeEvent.of(
                  op, f[1], null, row, ChangePosition.of(Long.parseLong(f[4]), 0), time));
    }
  }

  private static TestStream.Builder<String> stream() {
    return TestStream.create(StringUtf8Coder.of());
  }

  private static Instant t(String offset) {
    String[] parts = offset.split(":");
    return T0.plus(
        Duration.standardMinutes(Long.parseLong(parts[0]))
            .plus(Duration.standardSeconds(Long.parseLong(parts[1]))));
  }

  private static TimestampedValue<String> at(String event, String offset) {
    return TimestampedValue.of(event, t(offset));
  }
}
