package io.beamsuite.transforms.dedup;

import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;

final class KeyByIdFn<T> extends DoFn<T, KV<String, T>> {
  private final SerializableFunction<T, String> idFn;
  private final TupleTag<KV<String, T>> withIdTag;
  private final TupleTag<T> withoutIdTag;
  private final Counter recordsIn = Metrics.counter(Dedup.class, "records_in");
  private final Counter withoutId = Metrics.counter(Dedup.class, "records_without_id");
  private final Counter unique = Metrics.counter(Dedup.class, "unique");

  KeyByIdFn(
      SerializableFunction<T, String> idFn,
      TupleTag<KV<String, T>> withIdTag,
      TupleTag<T> withoutIdTag) {
    this.idFn = idFn;
    this.withIdTag = withIdTag;
    this.withoutIdTag = withoutIdTag;
  }

  @ProcessElement
  public void processElement(@Element T element, MultiOutputReceiver out) {
    recordsIn.inc();
    String id = idFn.apply(element);
    if (id == null) {
      withoutId.inc();
      unique.inc();
      out.get(withoutIdTag).output(element);
    } else {
      out.get(withIdTag).output(KV.of(id, element));
    }
  }
}
