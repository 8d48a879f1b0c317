package io.beamsuite.transforms.enrichment;

import com.google.auto.value.AutoValue;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.coders.StructuredCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.joda.time.Instant;

/**
 * One load of a {@link ReferenceTable}: its contents, a version that grows with every load, and
 * when it was loaded. {@link SideInputEnrichment} broadcasts the newest snapshot as a side input.
 *
 * <pre>{@code
 * TableSnapshot<String, String> s = TableSnapshot.of(3, Instant.now(), Map.of("DE", "Germany"));
 * }</pre>
 */
@AutoValue
public abstract class TableSnapshot<K, V> {
  /** Monotonic version of the table; the newest version wins when two loads meet. */
  public abstract long version();

  public abstract Instant loadedAt();

  public abstract Map<K, V> rows();

  public static <K, V> TableSnapshot<K, V> of(long version, Instant loadedAt, Map<K, V> rows) {
    return new AutoValue_TableSnapshot<>(version, loadedAt, rows);
  }

  /** Coder for snapshots (side-input payload; not used as a grouping key). */
  public static <K, V> Coder<TableSnapshot<K, V>> coder(Coder<K> keyCoder, Coder<V> valueCoder) {
    return new SnapshotCoder<>(MapCoder.of(keyCoder, valueCoder));
  }

  private static final class SnapshotCoder<K, V> extends StructuredCoder<TableSnapshot<K, V>> {
    private static final long serialVersionUID = 1L;
    private final MapCoder<K, V> rowsCoder;

    SnapshotCoder(MapCoder<K, V> rowsCoder) {
      this.rowsCoder = rowsCoder;
    }

    @Override
    public void encode(TableSnapshot<K, V> value, OutputStream out) throws IOException {
      VarLongCoder.of().encode(value.version(), out);
      InstantCoder.of().encode(value.loadedAt(), out);
      rowsCoder.encode(value.rows(), out);
    }

    @Override
    public TableSnapshot<K, V> decode(InputStream in) throws IOException {
      return TableSnapshot.of(
          VarLongCoder.of().decode(in), InstantCoder.of().decode(in), rowsCoder.decode(in));
    }

    @Override
    public List<? extends Coder<?>> getCoderArguments() {
      return List.of(rowsCoder);
    }

    @Override
    public void verifyDeterministic() throws NonDeterministicException {
      throw new NonDeterministicException(this, "maps have no deterministic encoding");
    }
  }
}
