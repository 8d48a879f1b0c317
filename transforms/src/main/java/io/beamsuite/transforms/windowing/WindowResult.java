package io.beamsuite.transforms.windowing;

import com.google.auto.value.AutoValue;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.apache.beam.sdk.coders.ByteCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.coders.StructuredCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.windowing.PaneInfo.Timing;
import org.joda.time.Instant;

/**
 * One result of {@link WindowedAggregate}: the aggregate of a key over a window {@code [start,
 * end)} at one firing (pane), with the pane's timing relative to the watermark.
 *
 * <p>For a given key and window, panes are numbered from 0. With early firings a window emits
 * {@link Timing#EARLY} panes before the watermark reaches its end, then one {@link Timing#ON_TIME}
 * pane, then a {@link Timing#LATE} pane per late record accepted within the allowed lateness. Sinks
 * that upsert by {@code (key, windowStart, windowEnd)} end with the final value when the spec is
 * accumulating.
 *
 * <pre>{@code
 * WindowResult<String, Long> r = ...;
 * upsert(r.key(), r.windowStart(), r.windowEnd(), r.value());
 * }</pre>
 */
@AutoValue
public abstract class WindowResult<K, V> {
  public abstract K key();

  /** Inclusive start of the window. */
  public abstract Instant windowStart();

  /** Exclusive end of the window. */
  public abstract Instant windowEnd();

  /** Whether this pane fired before, at, or after the watermark passed the window's end. */
  public abstract Timing timing();

  /** 0 for the first pane of this key and window, then 1, 2, ... */
  public abstract long paneIndex();

  /** The combined value of this pane. */
  public abstract V value();

  /** Creates a result; normally only {@link WindowedAggregate} does this. */
  public static <K, V> WindowResult<K, V> of(
      K key, Instant windowStart, Instant windowEnd, Timing timing, long paneIndex, V value) {
    return new AutoValue_WindowResult<>(key, windowStart, windowEnd, timing, paneIndex, value);
  }

  /** A deterministic coder for results, given deterministic key and value coders. */
  public static <K, V> Coder<WindowResult<K, V>> coder(Coder<K> keyCoder, Coder<V> valueCoder) {
    return new WindowResultCoder<>(keyCoder, valueCoder);
  }

  private static final class WindowResultCoder<K, V> extends StructuredCoder<WindowResult<K, V>> {
    private static final long serialVersionUID = 1L;
    private final Coder<K> keyCoder;
    private final Coder<V> valueCoder;

    WindowResultCoder(Coder<K> keyCoder, Coder<V> valueCoder) {
      this.keyCoder = keyCoder;
      this.valueCoder = valueCoder;
    }

    @Override
    public void encode(WindowResult<K, V> value, OutputStream out) throws IOException {
      keyCoder.encode(value.key(), out);
      InstantCoder.of().encode(value.windowStart(), out);
      InstantCoder.of().encode(value.windowEnd(), out);
      ByteCoder.of().encode((byte) value.timing().ordinal(), out);
      VarLongCoder.of().encode(value.paneIndex(), out);
      valueCoder.encode(value.value(), out);
    }

    @Override
    public WindowResult<K, V> decode(InputStream in) throws IOException {
      K key = keyCoder.decode(in);
      Instant start = InstantCoder.of().decode(in);
      Instant end = InstantCoder.of().decode(in);
      Timing timing = Timing.values()[ByteCoder.of().decode(in)];
      long paneIndex = VarLongCoder.of().decode(in);
      V value = valueCoder.decode(in);
      return WindowResult.of(key, start, end, timing, paneIndex, value);
    }

    @Override
    public List<? extends Coder<?>> getCoderArguments() {
      return List.of(keyCoder, valueCoder);
    }

    @Override
    public void verifyDeterministic() throws NonDeterministicException {
      verifyDeterministic(this, "key coder must be deterministic", keyCoder);
      verifyDeterministic(this, "value coder must be deterministic", valueCoder);
    }
  }
}
