package io.beamsuite.transforms.flow;

import static io.beamsuite.transforms.testing.PipelineMetrics.counter;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.beamsuite.transforms.dedup.Dedup;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.json.ParseJson;
import io.beamsuite.transforms.records.RawRecord;
import io.beamsuite.transforms.windowing.WindowSpec;
import io.beamsuite.transforms.windowing.WindowedAggregate;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
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
 * The three first transform families wired as a pipeline would wire them — raw JSON, {@link
 * ParseJson}, {@link Dedup}, {@link WindowedAggregate} page views per minute — over a seeded stream
 * with malformed records, duplicates, disorder and late data. An oracle written here in plain Java
 * (it shares no code with the transforms) predicts every output exactly, and the counts reconcile:
 * every input ends as a dead letter, a duplicate, a late record, or one count in a window.
 */
@RunWith(JUnit4.class)
public class ParseDedupWindowReconciliationTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final long WINDOW = 60_000;
  private static final long LATENESS = 30_000;
  private static final int EVENTS = 300;
  private static final String[] PAGES = {"home", "cart", "search", "checkout"};
  private static final String[] MALFORMED = {
    "",
    "   ",
    "{\"event_id\":",
    "not json",
    "[1,2,3]",
    "null",
    "{\"event_id\":\"m\",\"user_id\":\"u\",\"page\":\"home\"}",
    "{\"event_id\":\"m\",\"user_id\":\"u\",\"page\":\"home\",\"event_time\":\"yesterday\"}",
    "{\"event_id\":\"m\",\"user_id\":\"u\",\"page\":7,\"event_time\":\"2026-01-01T00:00:00Z\"}",
    "{\"event_id\":\"\",\"user_id\":\"u\",\"page\":\"home\",\"event_time\":\"2026-01-01T00:00:00Z\"}"
  };

  @Rule public final transient TestPipeline p = TestPipeline.create();

  /** One step of the generated input: a record, or a watermark advance. */
  private static final class Step {
    final byte[] payload;
    final long timestamp;
    final long watermark; // >= 0 means "advance the watermark to this", payload is null then

    Step(byte[] payload, long timestamp, long watermark) {
      this.payload = payload;
      this.timestamp = timestamp;
      this.watermark = watermark;
    }
  }

  @Test
  public void everyRecordEndsInExactlyOnePlaceAndMatchesTheOracle() {
    List<Step> steps = generate(new Random(7));

    // ---- the oracle: replay the steps in order, in plain Java ----
    long watermark = Long.MIN_VALUE;
    int inputs = 0;
    int deadLetters = 0;
    Set<String> seenIds = new HashSet<>();
    List<String> duplicateIds = new ArrayList<>();
    List<String> lateIds = new ArrayList<>();
    Map<String, Long> counts = new TreeMap<>();
    for (Step step : steps) {
      if (step.payload == null) {
        watermark = Math.max(watermark, step.watermark);
        continue;
      }
      inputs++;
      String text = new String(step.payload, StandardCharsets.UTF_8);
      String id = field(text, "event_id");
      String page = field(text, "page");
      if (id == null || page == null || id.isEmpty() || !text.contains("\"event_time\":\"2")) {
        deadLetters++;
        continue;
      }
      if (!seenIds.add(id)) {
        duplicateIds.add(id);
        continue;
      }
      long start = step.timestamp - Math.floorMod(step.timestamp, WINDOW);
      if (start + WINDOW - 1 + LATENESS < watermark) {
        lateIds.add(id);
        continue;
      }
      counts.merge(page + " " + (start - T0.getMillis()) / WINDOW, 1L, Long::sum);
    }
    List<String> expectedCounts = new ArrayList<>();
    counts.forEach((k, v) -> expectedCounts.add(k + " = " + v));
    long counted = counts.values().stream().mapToLong(Long::longValue).sum();
    assertEquals(inputs, deadLetters + duplicateIds.size() + lateIds.size() + counted);
    assertTrue(
        "workload must exercise every path: "
            + deadLetters
            + "/"
            + duplicateIds.size()
            + "/"
            + lateIds.size(),
        deadLetters > 5 && duplicateIds.size() > 5 && lateIds.size() > 5);

    // ---- the pipeline ----
    TestStream.Builder<RawRecord> stream;
    try {
      stream = TestStream.create(p.getSchemaRegistry().getSchemaCoder(RawRecord.class));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    for (Step step : steps) {
      stream =
          step.payload == null
              ? stream.advanceWatermarkTo(new Instant(step.watermark))
              : stream.addElements(
                  TimestampedValue.of(RawRecord.of(step.payload), new Instant(step.timestamp)));
    }
    PCollection<RawRecord> raw = p.apply(stream.advanceWatermarkToInfinity());

    ParseJson.Result<Click> parsed = raw.apply(ParseJson.of(Click.class).withStage("parse-clicks"));
    Dedup.Result<Click> deduped =
        parsed
            .parsed()
            .apply(Dedup.<Click>byId(c -> c.eventId).withRetention(Duration.standardHours(6)));
    WindowedAggregate.Result<String, Long, Click> views =
        deduped
            .unique()
            .apply(
                WindowedAggregate.of((Click c) -> c.page, Count.<Click>combineFn())
                    .withKeyCoder(StringUtf8Coder.of())
                    .over(
                        WindowSpec.tumbling(Duration.millis(WINDOW))
                            .withAllowedLateness(Duration.millis(LATENESS))
                            .accumulating()));

    PCollection<String> finalCounts =
        views
            .results()
            .apply(
                "ByWindow",
                MapElements.into(
                        TypeDescriptors.kvs(
                            TypeDescriptors.strings(),
                            TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs())))
                    .via(
                        r ->
                            KV.of(
                                r.key()
                                    + " "
                                    + (r.windowStart().getMillis() - T0.getMillis()) / WINDOW,
                                KV.of(r.paneIndex(), r.value()))))
            .setCoder(
                KvCoder.of(StringUtf8Coder.of(), KvCoder.of(VarLongCoder.of(), VarLongCoder.of())))
            .apply(
                "AtEnd",
                Window.<KV<String, KV<Long, Long>>>into(new GlobalWindows())
                    .triggering(Repeatedly.forever(AfterWatermark.pastEndOfWindow()))
                    .withAllowedLateness(Duration.ZERO)
                    .discardingFiredPanes())
            .apply(
                "LastPane",
                Combine.perKey(
                    (KV<Long, Long> a, KV<Long, Long> b) -> a.getKey() >= b.getKey() ? a : b))
            .apply(
                "Render",
                MapElements.into(TypeDescriptors.strings())
                    .via(kv -> kv.getKey() + " = " + kv.getValue().getValue()));

    PAssert.that(finalCounts).containsInAnyOrder(expectedCounts);
    PAssert.that(
            deduped
                .duplicates()
                .apply("DupIds", MapElements.into(TypeDescriptors.strings()).via(c -> c.eventId)))
        .containsInAnyOrder(duplicateIds);
    PAssert.that(
            views
                .lateRecords()
                .apply(
                    "LateIds",
                    MapElements.into(TypeDescriptors.strings()).via(l -> l.value().eventId)))
        .containsInAnyOrder(lateIds);
    final int expectedDeadLetters = deadLetters;
    PAssert.that(parsed.deadLetters())
        .satisfies(
            all -> {
              int n = 0;
              for (DeadLetter d : all) {
                assertEquals("parse-clicks", d.getStage());
                assertTrue(d.getReason(), !d.getReason().isEmpty());
                n++;
              }
              assertEquals(expectedDeadLetters, n);
              return null;
            });

    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(inputs, counter(result, ParseJson.class, "records_in"));
    assertEquals(deadLetters, counter(result, ParseJson.class, "dead_letters"));
    assertEquals(duplicateIds.size(), counter(result, Dedup.class, "duplicates_dropped"));
    assertEquals(lateIds.size(), counter(result, WindowedAggregate.class, "late_records"));
    assertEquals(
        counter(result, ParseJson.class, "records_in"),
        counter(result, ParseJson.class, "dead_letters")
            + counter(result, Dedup.class, "duplicates_dropped")
            + counter(result, WindowedAggregate.class, "late_records")
            + counted);
  }

  /** Clicks drift forward with up to 100 s of disorder; some are re-sent, some are malformed. */
  private static List<Step> generate(Random random) {
    List<Step> steps = new ArrayList<>();
    List<Step> sent = new ArrayList<>();
    long watermark = Long.MIN_VALUE;
    for (int i = 0; i < EVENTS; i++) {
      long frontier = T0.getMillis() + i * 2_000L;
      long eventTime = frontier - random.nextInt(100_000);
      double dice = random.nextDouble();
      Step step;
      if (dice < 0.07) {
        step =
            new Step(
                MALFORMED[random.nextInt(MALFORMED.length)].getBytes(StandardCharsets.UTF_8),
                eventTime,
                -1);
      } else if (dice < 0.17 && !sent.isEmpty()) {
        step = sent.get(random.nextInt(sent.size())); // a duplicate delivery, same payload and time
      } else {
        String json =
            "{\"event_id\":\"e"
                + i
                + "\",\"user_id\":\"u"
                + random.nextInt(20)
                + "\",\"page\":\""
                + PAGES[random.nextInt(PAGES.length)]
                + "\",\"schema_version\":2,\"unknown\":true,"
                + "\"event_time\":\""
                + java.time.Instant.ofEpochMilli(eventTime)
                + "\"}";
        step = new Step(json.getBytes(StandardCharsets.UTF_8), eventTime, -1);
        sent.add(step);
      }
      steps.add(step);
      if (i % 10 == 9) {
        watermark = Math.max(watermark, frontier - 40_000);
        steps.add(new Step(null, 0, watermark));
      }
    }
    return steps;
  }

  /** Naive field extraction for the oracle: good enough for the generator's flat JSON. */
  private static String field(String json, String name) {
    String key = "\"" + name + "\":\"";
    int at = json.indexOf(key);
    if (at < 0) {
      return null;
    }
    int from = at + key.length();
    int to = json.indexOf('"', from);
    return to < 0 ? null : json.substring(from, to);
  }
}
