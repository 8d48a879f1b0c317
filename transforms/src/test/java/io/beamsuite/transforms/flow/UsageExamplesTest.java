package io.beamsuite.transforms.flow;

import io.beamsuite.transforms.dedup.Dedup;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.errors.DeadLetters;
import io.beamsuite.transforms.json.ParseJson;
import io.beamsuite.transforms.records.RawRecord;
import io.beamsuite.transforms.windowing.LateRecord;
import io.beamsuite.transforms.windowing.WindowResult;
import io.beamsuite.transforms.windowing.WindowSpec;
import io.beamsuite.transforms.windowing.WindowedAggregate;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.WithTimestamps;
import org.apache.beam.sdk.transforms.errorhandling.BadRecord;
import org.apache.beam.sdk.transforms.errorhandling.ErrorHandler.BadRecordErrorHandler;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The usage examples of the javadoc and README, verbatim where possible, so they are known to
 * compile and to do what they say.
 */
@RunWith(JUnit4.class)
public class UsageExamplesTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();

  @Test
  public void readmeChainParsesDeduplicatesAndCountsWithFailuresInOneErrorHandler()
      throws Exception {
    PCollection<String> lines =
        p.apply(
            Create.of(
                "{\"event_id\":\"e1\",\"user_id\":\"u1\",\"page\":\"home\",\"event_time\":\"2026-01-01T00:00:10Z\"}",
                "{\"event_id\":\"e1\",\"user_id\":\"u1\",\"page\":\"home\",\"event_time\":\"2026-01-01T00:00:10Z\"}",
                "{\"event_id\":\"e2\",\"user_id\":\"u2\",\"page\":\"home\",\"event_time\":\"2026-01-01T00:00:20Z\"}",
                "{\"event_id\":",
                ""));

    // RawRecord javadoc
    PCollection<RawRecord> rawRecords =
        lines.apply(
            "ToRaw", MapElements.into(TypeDescriptor.of(RawRecord.class)).via(RawRecord::utf8));

    // DeadLetters javadoc: beamsuite dead letters and Beam bad records share one handler.
    BadRecordErrorHandler<PCollection<DeadLetter>> handler;
    try (BadRecordErrorHandler<PCollection<DeadLetter>> registered =
        p.registerBadRecordErrorHandler(DeadLetters.fromBadRecords("read-clicks"))) {
      handler = registered;
      // ParseJson javadoc
      ParseJson.Result<Click> clicks =
          rawRecords.apply("ParseClicks", ParseJson.of(Click.class).withStage("parse-clicks"));
      // Event time becomes the element timestamp (from files; KafkaIO does it with a timestamp
      // policy).
      PCollection<Click> parsed =
          clicks.parsed().apply(WithTimestamps.of((Click c) -> new Instant(c.eventTimeMillis)));
      PCollection<DeadLetter> rejected = clicks.deadLetters();
      handler.addErrorCollection(rejected.apply(DeadLetters.toBadRecords()));

      // Dedup javadoc
      Dedup.Result<Click> deduped =
          parsed.apply(
              "DropDuplicateClicks",
              Dedup.byId((Click c) -> c.eventId).withRetention(Duration.standardMinutes(30)));
      PCollection<Click> unique = deduped.unique();

      // WindowedAggregate javadoc
      WindowedAggregate.Result<String, Long, Click> views =
          unique.apply(
              "PageViewsPerMinute",
              WindowedAggregate.of((Click c) -> c.page, Count.<Click>combineFn())
                  .withKeyCoder(StringUtf8Coder.of())
                  .over(
                      WindowSpec.tumbling(Duration.standardMinutes(1))
                          .withAllowedLateness(Duration.standardMinutes(5))));
      PCollection<WindowResult<String, Long>> counts = views.results();
      PCollection<LateRecord<Click>> tooLate = views.lateRecords();

      PAssert.that(
              counts.apply(
                  "RenderCounts",
                  MapElements.into(TypeDescriptors.strings())
                      .via(
                          r ->
                              r.key()
                                  + " "
                                  + r.windowStart()
                                  + " "
                                  + r.timing()
                                  + " "
                                  + r.value())))
          .containsInAnyOrder("home 2026-01-01T00:00:00.000Z ON_TIME 2");
      PAssert.that(tooLate).empty();
      PAssert.that(
              deduped
                  .duplicates()
                  .apply("DupIds", MapElements.into(TypeDescriptors.strings()).via(c -> c.eventId)))
          .containsInAnyOrder("e1");
    }
    PCollection<DeadLetter> allFailures = handler.getOutput(); // available once closed
    // The failures made the round trip through Beam's BadRecord with their reasons intact.
    PAssert.that(
            allFailures.apply(
                "Reasons",
                MapElements.into(TypeDescriptors.strings())
                    .via(d -> d.getStage() + " " + d.getReason() + " " + d.payloadUtf8())))
        .containsInAnyOrder(
            "parse-clicks malformed_json {\"event_id\":", "parse-clicks empty_payload ");
    p.run();
  }

  @Test
  public void foreignBadRecordsBecomeDeadLettersOfTheGivenStage() throws Exception {
    BadRecord foreign =
        BadRecord.fromExceptionInformation(
            "raw-value",
            StringUtf8Coder.of(),
            new IllegalStateException("boom"),
            "deserializer failed");
    PCollection<DeadLetter> letters =
        p.apply(Create.of(foreign).withCoder(BadRecord.getCoder(p)))
            .apply(DeadLetters.fromBadRecords("read-clicks"));
    PAssert.that(
            letters.apply(
                MapElements.into(TypeDescriptors.strings())
                    .via(
                        d ->
                            d.getStage()
                                + "|"
                                + d.getReason()
                                + "|"
                                + d.getDetail()
                                + "|"
                                + d.getErrorClass())))
        .containsInAnyOrder(
            "read-clicks|bad_record|deserializer failed|java.lang.IllegalStateException");
    p.run();
  }
}
