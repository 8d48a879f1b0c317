package io.beamsuite.transforms.dedup;

import java.io.Serializable;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/** Where a keyed step sends a record: the first arrival of its id or a counted duplicate. */
final class FirstArrivalOutputs<T> implements Serializable {
  private final TupleTag<T> uniqueTag;
  private final TupleTag<T> duplicatesTag;
  private final Counter unique = Metrics.counter(Dedup.class, "unique");
  private final Counter duplicates = Metrics.counter(Dedup.class, "duplicates_dropped");

  FirstArrivalOutputs(TupleTag<T> uniqueTag, TupleTag<T> duplicatesTag) {
    this.uniqueTag = uniqueTag;
    this.duplicatesTag = duplicatesTag;
  }

  void emit(boolean first, T record, DoFn.MultiOutputReceiver out) {
    out.get(countedTag(first)).output(record);
  }

  /** As {@link #emit}, at {@code timestamp} (a grouped copy's own). */
  void emitWithTimestamp(boolean first, T record, Instant timestamp, DoFn.MultiOutputReceiver out) {
    out.get(countedTag(first)).outputWithTimestamp(record, timestamp);
  }

  private TupleTag<T> countedTag(boolean first) {
    (first ? unique : duplicates).inc();
    return first ? uniqueTag : duplicatesTag;
  }
}
