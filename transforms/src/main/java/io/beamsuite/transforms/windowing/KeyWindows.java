package io.beamsuite.transforms.windowing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.beam.sdk.coders.BigEndianLongCoder;
import org.apache.beam.sdk.coders.ByteCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine.CombineFn;

/**
 * The per-key state of {@link WindowedAggregateFn}: every window of the key that is still open
 * (before its end, or after it but within the allowed lateness), plus the bookkeeping the timers
 * need. Kept as one value so one state read serves a record whatever window shape is used.
 */
final class KeyWindows<AccumT> {
  static final long NO_TIMER = Long.MIN_VALUE;

  /** One open window of a key. */
  static final class OpenWindow<AccumT> {
    long start;
    long end;
    AccumT accumulator;
    long nextPaneIndex;
    boolean onTimeFired;
    boolean dirty;

    OpenWindow(long start, long end, AccumT accumulator) {
      this.start = start;
      this.end = end;
      this.accumulator = accumulator;
    }

    long maxTimestamp() {
      return end - 1;
    }

    /** When the window can no longer change: end of window plus allowed lateness. */
    long expiry(long allowedLatenessMillis) {
      return saturatedAdd(maxTimestamp(), allowedLatenessMillis);
    }
  }

  /** Open windows, ordered by start. */
  final List<OpenWindow<AccumT>> windows;

  /** Target of the pending end-of-window timer, or {@link #NO_TIMER}. */
  long eventTimerTarget = NO_TIMER;

  /** Whether an early-firing timer is pending. */
  boolean earlyTimerPending;

  /** Highest event-time timer that has fired for this key: a lower bound of the watermark. */
  long watermarkLowerBound = Long.MIN_VALUE;

  KeyWindows() {
    this(new ArrayList<>());
  }

  private KeyWindows(List<OpenWindow<AccumT>> windows) {
    this.windows = windows;
  }

  /** The window {@code [start, end)}, created empty if it is not open yet. */
  OpenWindow<AccumT> getOrCreate(long start, long end, CombineFn<?, AccumT, ?> combineFn) {
    int i = 0;
    for (; i < windows.size(); i++) {
      OpenWindow<AccumT> w = windows.get(i);
      if (w.start == start && w.end == end) {
        return w;
      }
      if (w.start > start) {
        break;
      }
    }
    OpenWindow<AccumT> created = new OpenWindow<>(start, end, combineFn.createAccumulator());
    windows.add(i, created);
    return created;
  }

  /**
   * Merges the proto-session {@code [start, end)} with every open session it intersects and
   * returns the merged session. The merged session counts as already fired on time only when it
   * ends where a fired session ended: if it grew, it gets its own on-time result at its new end.
   */
  OpenWindow<AccumT> mergeSession(long start, long end, CombineFn<?, AccumT, ?> combineFn) {
    List<AccumT> accumulators = new ArrayList<>();
    long mergedStart = start;
    long mergedEnd = end;
    long nextPaneIndex = 0;
    long firedEnd = Long.MIN_VALUE;
    Iterator<OpenWindow<AccumT>> it = windows.iterator();
    while (it.hasNext()) {
      OpenWindow<AccumT> w = it.next();
      if (w.start < end && start < w.end) {
        accumulators.add(w.accumulator);
        mergedStart = Math.min(mergedStart, w.start);
        mergedEnd = Math.max(mergedEnd, w.end);
        nextPaneIndex = Math.max(nextPaneIndex, w.nextPaneIndex);
        if (w.onTimeFired) {
          firedEnd = Math.max(firedEnd, w.end);
        }
        it.remove();
      }
    }
    AccumT accumulator =
        accumulators.isEmpty()
            ? combineFn.createAccumulator()
            : combineFn.mergeAccumulators(accumulators);
    OpenWindow<AccumT> merged = new OpenWindow<>(mergedStart, mergedEnd, accumulator);
    merged.nextPaneIndex = nextPaneIndex;
    merged.onTimeFired = firedEnd == mergedEnd;
    int position = 0;
    while (position < windows.size() && windows.get(position).start < mergedStart) {
      position++;
    }
    windows.add(position, merged);
    return merged;
  }

  /** The next time the end-of-window timer must fire, or {@link #NO_TIMER} if nothing is open. */
  long nextDeadline(long allowedLatenessMillis) {
    long next = Long.MAX_VALUE;
    for (OpenWindow<AccumT> w : windows) {
      next = Math.min(next, w.onTimeFired ? w.expiry(allowedLatenessMillis) : w.maxTimestamp());
    }
    return windows.isEmpty() ? NO_TIMER : next;
  }

  static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
  }

  /** Explicit coder: positions as fixed-width longs, flags packed in one byte. */
  static final class KeyWindowsCoder<AccumT> extends CustomCoder<KeyWindows<AccumT>> {
    private static final long serialVersionUID = 1L;
    private static final Coder<Long> LONG = BigEndianLongCoder.of();
    private final Coder<AccumT> accumulatorCoder;

    KeyWindowsCoder(Coder<AccumT> accumulatorCoder) {
      this.accumulatorCoder = accumulatorCoder;
    }

    @Override
    public void encode(KeyWindows<AccumT> value, OutputStream out) throws IOException {
      VarIntCoder.of().encode(value.windows.size(), out);
      for (OpenWindow<AccumT> w : value.windows) {
        LONG.encode(w.start, out);
        LONG.encode(w.end, out);
        accumulatorCoder.encode(w.accumulator, out);
        VarLongCoder.of().encode(w.nextPaneIndex, out);
        ByteCoder.of().encode((byte) ((w.onTimeFired ? 1 : 0) | (w.dirty ? 2 : 0)), out);
      }
      LONG.encode(value.eventTimerTarget, out);
      ByteCoder.of().encode((byte) (value.earlyTimerPending ? 1 : 0), out);
      LONG.encode(value.watermarkLowerBound, out);
    }

    @Override
    public KeyWindows<AccumT> decode(InputStream in) throws IOException {
      int count = VarIntCoder.of().decode(in);
      List<OpenWindow<AccumT>> windows = new ArrayList<>(count + 1);
      for (int i = 0; i < count; i++) {
        long start = LONG.decode(in);
        long end = LONG.decode(in);
        OpenWindow<AccumT> w = new OpenWindow<>(start, end, accumulatorCoder.decode(in));
        w.nextPaneIndex = VarLongCoder.of().decode(in);
        byte flags = ByteCoder.of().decode(in);
        w.onTimeFired = (flags & 1) != 0;
        w.dirty = (flags & 2) != 0;
        windows.add(w);
      }
      KeyWindows<AccumT> value = new KeyWindows<>(windows);
      value.eventTimerTarget = LONG.decode(in);
      value.earlyTimerPending = ByteCoder.of().decode(in) != 0;
      value.watermarkLowerBound = LONG.decode(in);
      return value;
    }
  }
}
