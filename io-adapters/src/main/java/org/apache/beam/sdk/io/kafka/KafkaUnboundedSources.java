package org.apache.beam.sdk.io.kafka;

import org.apache.beam.sdk.io.UnboundedSource;

/**
 * Access to the {@link UnboundedSource} behind a {@link KafkaIO.Read} (its package-private {@code
 * makeSource()}), so that beamsuite can read it through {@code Read.from(...)} wrapped in {@code
 * io.beamsuite.io.watermark.PaddedUnboundedSource}. Lives in KafkaIO's package only for that one
 * call; if a Beam upgrade removes the method, this class stops compiling rather than failing at run
 * time.
 */
public final class KafkaUnboundedSources {
  private KafkaUnboundedSources() {}

  /**
   * The legacy unbounded source of {@code read}, which must carry explicit key and value coders
   * ({@code withKeyDeserializerAndCoder} / {@code withValueDeserializerAndCoder}).
   */
  public static <K, V> UnboundedSource<KafkaRecord<K, V>, KafkaCheckpointMark> of(
      KafkaIO.Read<K, V> read) {
    if (read.getKeyCoder() == null || read.getValueCoder() == null) {
      throw new IllegalArgumentException("the read needs explicit key and value coders");
    }
    return read.makeSource();
  }
}
