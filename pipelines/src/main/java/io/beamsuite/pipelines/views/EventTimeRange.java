package io.beamsuite.pipelines.views;

import io.beamsuite.pipelines.model.Event;
import java.io.Serializable;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * A share of event time, {@code [from, until)} (a null bound is open): the Lambda batch layer
 * covers the events before its cutoff, the speed layer those at or after it, a Kappa replay all.
 * {@link #keep()} filters a collection of events to the range and counts the others in the counter
 * {@value #OUTSIDE_RANGE}. An event the speed layer leaves out is not lost: it is in the master
 * dataset, and the batch run that covers its hour counts it.
 *
 * <pre>{@code
 * EventTimeRange speedShare = EventTimeRange.from(cutoff);
 * PCollection<Transaction> kept = unique.apply("FromCutoff", speedShare.<Transaction>keep());
 * }</pre>
 */
public final class EventTimeRange implements Serializable {
  /** Counter (namespace: this class) of the events left out. */
  public static final String OUTSIDE_RANGE = "events_outside_range";

  private final long fromMillis;
  private final long untilMillis;

  private EventTimeRange(@Nullable Instant from, @Nullable Instant until) {
    if (from != null && until != null && until.isBefore(from)) {
      throw new IllegalArgumentException("until " + until + " is before from " + from);
    }
    this.fromMillis = from == null ? Long.MIN_VALUE : from.getMillis();
    this.untilMillis = until == null ? Long.MAX_VALUE : until.getMillis();
  }

  /** Every event. */
  public static EventTimeRange all() {
    return new EventTimeRange(null, null);
  }

  /** Events strictly before {@code cutoff}. */
  public static EventTimeRange before(Instant cutoff) {
    return new EventTimeRange(null, cutoff);
  }

  /** Events at or after {@code cutoff}. */
  public static EventTimeRange from(Instant cutoff) {
    return new EventTimeRange(cutoff, null);
  }

  /** Whether {@code time} is in the range. */
  public boolean contains(Instant time) {
    return time.getMillis() >= fromMillis && time.getMillis() < untilMillis;
  }

  /** A filter to the range; the identity for {@link #all()}. */
  public <T extends Event> PTransform<PCollection<T>, PCollection<T>> keep() {
    return new Keep<>(this);
  }

  @Override
  public String toString() {
    return "["
        + (fromMillis == Long.MIN_VALUE ? "-inf" : new Instant(fromMillis).toString())
        + ", "
        + (untilMillis == Long.MAX_VALUE ? "+inf" : new Instant(untilMillis).toString())
        + ")";
  }

  private static final class Keep<T extends Event>
      extends PTransform<PCollection<T>, PCollection<T>> {
    private final EventTimeRange range;

    Keep(EventTimeRange range) {
      this.range = range;
    }

    @Override
    public PCollection<T> expand(PCollection<T> events) {
      if (range.fromMillis == Long.MIN_VALUE && range.untilMillis == Long.MAX_VALUE) {
        return events;
      }
      return events
          .apply("KeepInRange", ParDo.of(new KeepFn<T>(range)))
          .setCoder(events.getCoder());
    }
  }

  private static final class KeepFn<T extends Event> extends DoFn<T, T> {
    private final Counter outside = Metrics.counter(EventTimeRange.class, OUTSIDE_RANGE);
    private final EventTimeRange range;

    KeepFn(EventTimeRange range) {
      this.range = range;
    }

    @ProcessElement
    public void process(@Element T event, OutputReceiver<T> out) {
      if (range.contains(event.eventTime())) {
        out.output(event);
      } else {
        outside.inc();
      }
    }
  }
}
