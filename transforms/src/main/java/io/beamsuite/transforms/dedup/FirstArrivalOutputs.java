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
    if (first) {
      unique.inc();
      out.get(uniqueTag).output(record);
    } else {
      duplicates.inc();
      out.get(duplicatesTag).output(record);
    }
  }

  /** As {@link #emit}, at {@code timestamp} (a grouped copy's own). */
  void emitWithTimestamp(boolean first, T record, Instant timestamp, DoFn.MultiOutputReceiver out) {
    if (first) {
      unique.inc();
      out.get(uniqueTag).outputWithTimestamp(record, timestamp);
    } else {
      duplicates.inc();
      out.get(duplicatesTag).outputWithTimestamp(record, timestamp);
    }
  }
}
