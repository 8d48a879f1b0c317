package io.beamsuite.transforms.dedup;

import io.beamsuite.transforms.records.SourceCoordinates;
import java.util.Comparator;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TimestampedValue;
import org.checkerframework.checker.nullness.qual.Nullable;

final class FirstInSourceOrderFn<T> extends DoFn<KV<String, Iterable<TimestampedValue<T>>>, T> {
  /** Source order, copies without coordinates last. */
  static final Comparator<@Nullable SourceCoordinates> NULLS_LAST =
      Comparator.nullsLast(Comparator.<SourceCoordinates>naturalOrder());

  private final SerializableFunction<T, @Nullable SourceCoordinates> sourcePosition;
  private final FirstArrivalOutputs<T> outputs;

  FirstInSourceOrderFn(
      SerializableFunction<T, @Nullable SourceCoordinates> sourcePosition,
      FirstArrivalOutputs<T> outputs) {
    this.sourcePosition = sourcePosition;
    this.outputs = outputs;
  }

  @ProcessElement
  public void processElement(
      @Element KV<String, Iterable<TimestampedValue<T>>> copies, MultiOutputReceiver out) {
    TimestampedValue<T> first = null;
    SourceCoordinates firstPosition = null;
    for (TimestampedValue<T> copy : copies.getValue()) {
      SourceCoordinates position = sourcePosition.apply(copy.getValue());
      if (first == null || NULLS_LAST.compare(position, firstPosition) < 0) {
        first = copy;
        firstPosition = position;
      }
    }
    for (TimestampedValue<T> copy : copies.getValue()) {
      outputs.emitWithTimestamp(copy == first, copy.getValue(), copy.getTimestamp(), out);
    }
  }
}
