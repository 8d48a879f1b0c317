package io.beamsuite.transforms.flow;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.instanceOf;

import io.beamsuite.transforms.cdc.ApplyChanges;
import io.beamsuite.transforms.cdc.ChangeEvent;
import io.beamsuite.transforms.cdc.DebeziumJson;
import io.beamsuite.transforms.enrichment.Enrichment;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.json.ParseJson;
import io.beamsuite.transforms.records.RawRecord;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * Every failure output carries the dead letters' schema coder. Left to inference, a typed extra
 * output of a ParDo gets the registry's coder, which for a Serializable class is Java serialization
 * (slow, not deterministic, and forbidden on data paths here).
 */
@RunWith(JUnit4.class)
public class FailureOutputCodersTest {
  @Rule
  public final transient TestPipeline p =
      TestPipeline.create().enableAbandonedNodeEnforcement(false);

  @Test
  public void everyTransformsFailureOutputUsesTheSchemaCoder() {
    PCollection<RawRecord> raw = p.apply(Create.of(RawRecord.utf8("{}")));
    PCollection<String> records = p.apply("Records", Create.of("a:1"));
    PCollection<ChangeEvent<String, Click>> changes =
        raw.apply("ParseChanges", DebeziumJson.parse(Click.class).withKeyField("event_id"))
            .changes();

    List<PCollection<DeadLetter>> failureOutputs =
        List.of(
            raw.apply("ParseClicks", ParseJson.of(Click.class)).deadLetters(),
            raw.apply("ParseChanges2", DebeziumJson.parse(Click.class).withKeyField("event_id"))
                .deadLetters(),
            changes.apply("Apply", ApplyChanges.<String, Click>create()).deadLetters(),
            records
                .apply(
                    "SideInput",
                    Enrichment.sideInput(
                            (String r) -> r, () -> Map.of("a", "x"), (String r, String v) -> r + v)
                        .withTableCoders(StringUtf8Coder.of(), StringUtf8Coder.of())
                        .withOutputCoder(StringUtf8Coder.of()))
                .failures(),
            records
                .apply(
                    "Lookup",
                    Enrichment.lookup(
                            (String r) -> r,
                            keys -> Map.<String, String>of(),
                            (String r, String v) -> r + v)
                        .withOutputCoder(StringUtf8Coder.of()))
                .failures(),
            records
                .apply(
                    "AsOf",
                    Enrichment.asOf(
                            (String r) -> r.substring(0, 1),
                            changes,
                            (String r, Click c) -> r + c.page)
                        .withOutputCoder(StringUtf8Coder.of()))
                .failures());

    for (PCollection<DeadLetter> failures : failureOutputs) {
      assertThat(failures.getName(), failures.getCoder(), instanceOf(SchemaCoder.class));
    }
  }
}
