package io.beamsuite.transforms.dedup;

import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;

/**
 * Bounded input, ids hashed into buckets: each bucket a map of the ids seen. One lookup-and-put per
 * record; nothing expires during a bounded run, so no bucket is ever scanned or copied.
 */
final class BucketedFirstArrivalFn<T> extends DoFn<KV<Integer, KV<String, T>>, T> {
  private static final String SEEN_IDS = "seenIds";

  private final FirstArrivalOutputs<T> outputs;

  @StateId(SEEN_IDS)
  private final StateSpec<MapState<String, Boolean>> seenIdsSpec =
      StateSpecs.map(StringUtf8Coder.of(), BooleanCoder.of());

  BucketedFirstArrivalFn(FirstArrivalOutputs<T> outputs) {
    this.outputs = outputs;
  }

  @ProcessElement
  public void processElement(
      @Element KV<Integer, KV<String, T>> element,
      @StateId(SEEN_IDS) MapState<String, Boolean> seenIds,
      MultiOutputReceiver out) {
    boolean first = seenIds.putIfAbsent(element.getValue().getKey(), true).read() == null;
    outputs.emit(first, element.getValue().getValue(), out);
  }
}
