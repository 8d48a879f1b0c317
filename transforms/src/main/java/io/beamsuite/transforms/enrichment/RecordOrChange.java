package io.beamsuite.transforms.enrichment;

import io.beamsuite.transforms.cdc.ChangeEvent;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.apache.beam.sdk.coders.ByteCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.StructuredCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/** Either a record to enrich or a dimension change, so both can share one keyed state. */
final class RecordOrChange<InputT, K, V> {
  final @Nullable InputT record;
  final @Nullable ChangeEvent<K, V> change;

  private RecordOrChange(@Nullable InputT record, @Nullable ChangeEvent<K, V> change) {
    this.record = record;
    this.change = change;
  }

  static <InputT, K, V> RecordOrChange<InputT, K, V> record(InputT record) {
    return new RecordOrChange<>(record, null);
  }

  static <InputT, K, V> RecordOrChange<InputT, K, V> change(ChangeEvent<K, V> change) {
    return new RecordOrChange<>(null, change);
  }

  static <InputT, K, V> Coder<RecordOrChange<InputT, K, V>> coder(
      Coder<InputT> recordCoder, Coder<ChangeEvent<K, V>> changeCoder) {
    return new UnionCoder<>(recordCoder, changeCoder);
  }

  private static final class UnionCoder<InputT, K, V>
      extends StructuredCoder<RecordOrChange<InputT, K, V>> {
    private static final long serialVersionUID = 1L;
    private final Coder<InputT> recordCoder;
    private final Coder<ChangeEvent<K, V>> changeCoder;

    UnionCoder(Coder<InputT> recordCoder, Coder<ChangeEvent<K, V>> changeCoder) {
      this.recordCoder = recordCoder;
      this.changeCoder = changeCoder;
    }

    @Override
    public void encode(RecordOrChange<InputT, K, V> value, OutputStream out) throws IOException {
      if (value.record != null) {
        ByteCoder.of().encode((byte) 0, out);
        recordCoder.encode(value.record, out);
      } else {
        ByteCoder.of().encode((byte) 1, out);
        changeCoder.encode(value.change, out);
      }
    }

    @Override
    public RecordOrChange<InputT, K, V> decode(InputStream in) throws IOException {
      return ByteCoder.of().decode(in) == 0
          ? RecordOrChange.record(recordCoder.decode(in))
          : RecordOrChange.change(changeCoder.decode(in));
    }

    @Override
    public List<? extends Coder<?>> getCoderArguments() {
      return List.of(recordCoder, changeCoder);
    }

    @Override
    public void verifyDeterministic() throws NonDeterministicException {
      verifyDeterministic(this, "record coder must be deterministic", recordCoder);
      verifyDeterministic(this, "change coder must be deterministic", changeCoder);
    }
  }
}
