package io.beamsuite.transforms.enrichment;

import static io.beamsuite.transforms.testing.PipelineMetrics.counter;
import static io.beamsuite.transforms.testing.PipelineMetrics.gauge;
import static org.junit.Assert.assertEquals;

import io.beamsuite.transforms.errors.DeadLetter;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** {@link SideInputEnrichment}: one load for bounded input, versioned reloads on a signal. */
@RunWith(JUnit4.class)
public class SideInputEnrichmentTest {
  private static final AtomicInteger LOADS = new AtomicInteger();
  private static final TupleTag<String> RECORDS = new TupleTag<String>() {};
  private static final TupleTag<String> TICKS = new TupleTag<String>() {};

  @Rule public final transient TestPipeline p = TestPipeline.create();

  @Before
  public void resetLoads() {
    LOADS.set(0);
  }

  /** Load n returns tier "v<n>" for key a, and from load 2 on also for key b. */
  private static Map<String, String> versionedTable() {
    int load = LOADS.incrementAndGet();
    return load == 1 ? Map.of("a", "v1") : Map.of("a", "v" + load, "b", "v" + load);
  }

  /** Like {@link #versionedTable()} but the second load fails. */
  private static Map<String, String> secondLoadFails() {
    int load = LOADS.incrementAndGet();
    if (load == 2) {
      throw new IllegalStateException("database unavailable");
    }
    return Map.of("a", "v" + load);
  }

  @Test
  public void boundedInputLoadsTheTableOnceAndRoutesEveryRecord() {
    PCollection<String> records = p.apply(Create.of("a:1", "a:2", "zz:3", "a:bad"));

    EnrichmentResult<String, String> out =
        records.apply(
            Enrichment.sideInput(
                    SideInputEnrichmentTest::keyOf,
                    SideInputEnrichmentTest::versionedTable,
                    SideInputEnrichmentTest::join)
                .withTableCoders(StringUtf8Coder.of(), StringUtf8Coder.of())
                .withOutputCoder(StringUtf8Coder.of()));

    PAssert.that(out.enriched()).containsInAnyOrder("1=v1", "2=v1");
    PAssert.that(out.unmatched()).containsInAnyOrder("zz:3");
    PAssert.that(reasons(out)).containsInAnyOrder("join_failed \"a:bad\"");
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(1, counter(result, SideInputEnrichment.class, "table_loads"));
    assertEquals(1, gauge(result, SideInputEnrichment.class, "table_version"));
  }

  @Test
  public void reloadsSwitchVersionsBetweenRecordsWithoutLossOrDuplicates() {
    TestStream<String> events =
        TestStream.create(StringUtf8Coder.of())
            .addElements("T")
            .addElements("R a:1", "R b:2")
            .addElements("T")
            .addElements("R a:3", "R b:4")
            .addElements("T")
            .addElements("R a:5")
            .advanceWatermarkToInfinity();

    EnrichmentResult<String, String> out =
        enrichWithSignal(events, SideInputEnrichmentTest::versionedTable);

    PAssert.that(out.enriched()).containsInAnyOrder("1=v1", "3=v2", "4=v2", "5=v3");
    PAssert.that(out.unmatched()).containsInAnyOrder("b:2");
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(3, counter(result, SideInputEnrichment.class, "table_loads"));
    assertEquals(3, gauge(result, SideInputEnrichment.class, "table_version"));
    assertEquals(5, counter(result, SideInputEnrichment.class, "records_in"));
  }

  @Test
  public void aFailedReloadKeepsThePreviousVersion() {
    TestStream<String> events =
        TestStream.create(StringUtf8Coder.of())
            .addElements("T")
            .addElements("R a:1")
            .addElements("T")
            .addElements("R a:2")
            .addElements("T")
            .addElements("R a:3")
            .advanceWatermarkToInfinity();

    EnrichmentResult<String, String> out =
        enrichWithSignal(events, SideInputEnrichmentTest::secondLoadFails);

    PAssert.that(out.enriched()).containsInAnyOrder("1=v1", "2=v1", "3=v3");
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(1, counter(result, SideInputEnrichment.class, "table_load_failures"));
    assertEquals(2, counter(result, SideInputEnrichment.class, "table_loads"));
  }

  private EnrichmentResult<String, String> enrichWithSignal(
      TestStream<String> events, ReferenceTable<String, String> table) {
    PCollectionTuple split =
        p.apply(events)
            .apply(
                "Split", ParDo.of(new SplitFn()).withOutputTags(RECORDS, TupleTagList.of(TICKS)));
    return split
        .get(RECORDS)
        .setCoder(StringUtf8Coder.of())
        .apply(
            Enrichment.sideInput(
                    SideInputEnrichmentTest::keyOf, table, SideInputEnrichmentTest::join)
                .withTableCoders(StringUtf8Coder.of(), StringUtf8Coder.of())
                .withOutputCoder(StringUtf8Coder.of())
                .reloadOn(split.get(TICKS).setCoder(StringUtf8Coder.of())));
  }

  static final class SplitFn extends DoFn<String, String> {
    @ProcessElement
    public void process(@Element String event, MultiOutputReceiver out) {
      if (event.equals("T")) {
        out.get(TICKS).output(event);
      } else {
        out.get(RECORDS).output(event.substring(2));
      }
    }
  }

  private static String keyOf(String record) {
    return record.substring(0, record.indexOf(':'));
  }

  private static String join(String record, String tier) {
    String id = record.substring(record.indexOf(':') + 1);
    if (id.equals("bad")) {
      throw new IllegalArgumentException("cannot join " + record);
    }
    return id + "=" + tier;
  }

  private static PCollection<String> reasons(EnrichmentResult<String, String> out) {
    return out.failures()
        .apply(
            "Reasons",
            MapElements.into(TypeDescriptors.strings())
                .via((DeadLetter d) -> d.getReason() + " " + d.payloadUtf8()));
  }
}
