package io.beamsuite.transforms.dedup;

import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;

/**
 * Bounded input, one state key per id: the watermark only moves at the end of a bounded run, so no
 * expiry timer is needed (it would fire only after the last record).
 */
final class FirstArrivalFn<T> extends DoFn<KV<String, T>, T> {
  private static final String SEEN = "seen";

  private final FirstArrivalOutputs<T> outputs;

  @StateId(SEEN)
  private final StateSpec<ValueState<Boolean>> seenSpec = StateSpecs.value(BooleanCoder.of());

  FirstArrivalFn(FirstArrivalOutputs<T> outputs) {
    this.outputs = outputs;
  }

  @ProcessElement
  public void processElement(
      @Element KV<String, T> element,
      @StateId(SEEN) ValueState<Boolean> seen,
      MultiOutputReceiver out) {
    boolean first = seen.read() == null;
    if (first) {
      seen.write(true);
    }
    outputs.emit(first, element.getValue(), out);
  }
}
