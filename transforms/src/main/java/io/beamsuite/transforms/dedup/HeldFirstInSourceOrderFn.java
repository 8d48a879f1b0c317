package io.beamsuite.transforms.dedup;

import io.beamsuite.transforms.records.SourceCoordinates;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TimestampedValue;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Bounded input with source order on the Flink runner: each id is a state key holding the copy read
 * first from its source so far (the smallest {@link SourceCoordinates}) and the other copies; the
 * id's timer, at the end of the input, emits them, each at its own timestamp. Flink's batch mode
 * runs a keyed step key by key and fires a key's timers when it moves to the next, so one id is
 * held at a time; a {@code GroupByKey} per id ({@link FirstInSourceOrderFn}) sets up Beam's
 * windowing machinery for every id instead, which was the largest cost of a batch run there.
 */
final class HeldFirstInSourceOrderFn<T> extends DoFn<KV<String, T>, T> {
  private static final String FIRST = "firstCopy";
  private static final String OTHERS = "otherCopies";
  private static final String EMIT = "emitCopies";

  private final SerializableFunction<T, @Nullable SourceCoordinates> sourcePosition;
  private final FirstArrivalOutputs<T> outputs;

  @StateId(FIRST)
  private final StateSpec<ValueState<TimestampedValue<T>>> firstSpec;

  @StateId(OTHERS)
  private final StateSpec<BagState<TimestampedValue<T>>> othersSpec;

  @TimerId(EMIT)
  private final TimerSpec emitSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  HeldFirstInSourceOrderFn(
      Coder<T> coder,
      SerializableFunction<T, @Nullable SourceCoordinates> sourcePosition,
      FirstArrivalOutputs<T> outputs) {
    this.sourcePosition = sourcePosition;
    this.outputs = outputs;
    this.firstSpec = StateSpecs.value(TimestampedValue.TimestampedValueCoder.of(coder));
    this.othersSpec = StateSpecs.bag(TimestampedValue.TimestampedValueCoder.of(coder));
  }

  @ProcessElement
  public void processElement(
      @Element KV<String, T> element,
      @Timestamp Instant timestamp,
      @StateId(FIRST) ValueState<TimestampedValue<T>> first,
      @StateId(OTHERS) BagState<TimestampedValue<T>> others,
      @TimerId(EMIT) Timer emit) {
    TimestampedValue<T> copy = TimestampedValue.of(element.getValue(), timestamp);
    TimestampedValue<T> held = first.read();
    if (held == null) {
      first.write(copy);
      // Holds the output watermark at the earliest copy, so each copy can go out at its own time.
      emit.withOutputTimestamp(timestamp).set(GlobalWindow.INSTANCE.maxTimestamp());
      return;
    }
    if (FirstInSourceOrderFn.NULLS_LAST.compare(
            sourcePosition.apply(copy.getValue()), sourcePosition.apply(held.getValue()))
        < 0) {
      others.add(held);
      first.write(copy);
    } else {
      others.add(copy);
    }
    if (timestamp.isBefore(held.getTimestamp())) {
      emit.withOutputTimestamp(timestamp).set(GlobalWindow.INSTANCE.maxTimestamp());
    }
  }

  @OnTimer(EMIT)
  public void onEmit(
      @StateId(FIRST) ValueState<TimestampedValue<T>> first,
      @StateId(OTHERS) BagState<TimestampedValue<T>> others,
      MultiOutputReceiver out) {
    TimestampedValue<T> held = first.read();
    if (held != null) {
      outputs.emitWithTimestamp(true, held.getValue(), held.getTimestamp(), out);
    }
    for (TimestampedValue<T> copy : others.read()) {
      outputs.emitWithTimestamp(false, copy.getValue(), copy.getTimestamp(), out);
    }
    first.clear();
    others.clear();
  }
}
