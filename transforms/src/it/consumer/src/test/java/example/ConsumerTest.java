package example;

import io.beamsuite.transforms.dedup.Dedup;
import io.beamsuite.transforms.windowing.WindowSpec;
import io.beamsuite.transforms.windowing.WindowedAggregate;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

/** Uses the published transforms exactly as an outside project would. */
public class ConsumerTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();

  @Test
  public void dedupThenCountPerMinute() {
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    PCollection<String> clicks =
        p.apply(
            Create.timestamped(
                TimestampedValue.of("e1,home", t0),
                TimestampedValue.of("e1,home", t0),
                TimestampedValue.of("e2,home", t0.plus(Duration.standardSeconds(5))),
                TimestampedValue.of("e3,cart", t0.plus(Duration.standardSeconds(70)))));

    PCollection<String> counts =
        clicks
            .apply(Dedup.byId((String c) -> c.split(",")[0]))
            .unique()
            .apply(
                WindowedAggregate.of((String c) -> c.split(",")[1], Count.<String>combineFn())
                    .withKeyCoder(StringUtf8Coder.of())
                    .over(WindowSpec.tumbling(Duration.standardMinutes(1))))
            .results()
            .apply(MapElements.into(TypeDescriptors.strings()).via(r -> r.key() + "=" + r.value()));

    PAssert.that(counts).containsInAnyOrder("home=2", "cart=1");
    p.run();
  }
}
