package io.beamsuite.transforms.windowing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.apache.beam.sdk.coders.BigEndianLongCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine.CombineFn;

/**
 * One window of one key in {@link WindowedAggregateFn}'s state, or a part of it: a window's records
 * may be spread over several parts (one kept hot in the key's head, others parked in a bag) until a
 * timer merges them. Parts of the same window, or of overlapping sessions, merge losslessly:
 * accumulators combine, flags are or-ed, the pane index is the highest.
 */
final class WindowPart<AccumT> {
  private static final int ON_TIME_FIRED = 1;
  private static final int DIRTY = 2;
  private static final int HELD_BEFORE_END = 4;

  long start;
  long end;
  AccumT accumulator;

  /** Index of the next pane of this window. */
  long nextPaneIndex;

  /** Whether the window's first non-early pane has fired (at this end, for sessions). */
  boolean onTimeFired;

  /** Whether input was added since the last pane. */
  boolean dirty;

  /** Whether input arrived before the key knew the window's end had passed (Beam's hold). */
  boolean heldBeforeEnd;

  WindowPart(long start, long end, AccumT accumulator) {
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

  /** When a timer has to look at this part next. */
  long deadline(long allowedLatenessMillis) {
    return onTimeFired && !dirty ? expiry(allowedLatenessMillis) : maxTimestamp();
  }

  boolean sameWindow(long otherStart, long otherEnd) {
    return start == otherStart && end == otherEnd;
  }

  boolean intersects(long otherStart, long otherEnd) {
    return start < otherEnd && otherStart < end;
  }

  /**
   * Folds {@code other} (same window, or an overlapping session) into this part. A session that
   * grows past the end at which it fired counts as not fired: it gets its own pane at its new end.
   */
  <InputT> void absorb(WindowPart<AccumT> other, CombineFn<InputT, AccumT, ?> combineFn) {
    long firedEnd =
        Math.max(
            onTimeFired ? end : Long.MIN_VALUE, other.onTimeFired ? other.end : Long.MIN_VALUE);
    start = Math.min(start, other.start);
    end = Math.max(end, other.end);
    accumulator = combineFn.mergeAccumulators(List.of(accumulator, other.accumulator));
    nextPaneIndex = Math.max(nextPaneIndex, other.nextPaneIndex);
    onTimeFired = firedEnd == end;
    dirty |= other.dirty;
    heldBeforeEnd |= other.heldBeforeEnd;
  }

  static long saturatedAdd(long a, long b) {
    long sum = a + b;
    if (((a ^ sum) & (b ^ sum)) < 0) {
      return b < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
    return sum;
  }

  /** Explicit coder: bounds as fixed-width longs, pane index as a varint, flags in one byte. */
  static final class PartCoder<AccumT> extends CustomCoder<WindowPart<AccumT>> {
    private static final long serialVersionUID = 1L;
    private static final Coder<Long> LONG = BigEndianLongCoder.of();
    private final Coder<AccumT> accumulatorCoder;

    PartCoder(Coder<AccumT> accumulatorCoder) {
      this.accumulatorCoder = accumulatorCoder;
    }

    @Override
    public void encode(WindowPart<AccumT> part, OutputStream out) throws IOException {
      LONG.encode(part.start, out);
      LONG.encode(part.end, out);
      VarLongCoder.of().encode(part.nextPaneIndex, out);
      out.write(
          (part.onTimeFired ? ON_TIME_FIRED : 0)
              | (part.dirty ? DIRTY : 0)
              | (part.heldBeforeEnd ? HELD_BEFORE_END : 0));
      accumulatorCoder.encode(part.accumulator, out);
    }

    @Override
    public WindowPart<AccumT> decode(InputStream in) throws IOException {
      long start = LONG.decode(in);
      long end = LONG.decode(in);
      long nextPaneIndex = VarLongCoder.of().decode(in);
      int flags = in.read();
      if (flags < 0) {
        throw new IOException("truncated window part");
      }
      WindowPart<AccumT> part = new WindowPart<>(start, end, accumulatorCoder.decode(in));
      part.nextPaneIndex = nextPaneIndex;
      part.onTimeFired = (flags & ON_TIME_FIRED) != 0;
      part.dirty = (flags & DIRTY) != 0;
      part.heldBeforeEnd = (flags & HELD_BEFORE_END) != 0;
      return part;
    }

    @Override
    public List<? extends Coder<?>> getCoderArguments() {
      return List.of(accumulatorCoder);
    }
  }
}
