package io.beamsuite.transforms.dedup;

import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;

final class KeyByBucketFn<T> extends DoFn<KV<String, T>, KV<Integer, KV<String, T>>> {
  private final int buckets;

  KeyByBucketFn(int buckets) {
    this.buckets = buckets;
  }

  @ProcessElement
  public void processElement(
      @Element KV<String, T> element, OutputReceiver<KV<Integer, KV<String, T>>> out) {
    out.output(KV.of(Math.floorMod(element.getKey().hashCode(), buckets), element));
  }
}
