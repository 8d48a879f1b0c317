package io.beamsuite.transforms.windowing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.BigEndianLongCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.VarIntCoder;

/**
 * The small, fixed-size part of a key's state in {@link WindowedAggregateFn}, read and written once
 * per record: what the key knows of the watermark, its timers, and its hot windows (those a record
 * at the key's event-time frontier belongs to: one for tumbling windows and sessions, {@code size /
 * period} for sliding windows). Every other open window of the key is parked in a bag that records
 * only append to.
 */
final class KeyHead<AccumT> {
  static final long NONE = Long.MIN_VALUE;

  /**
   * Highest event-time timer that has fired for this key. The input watermark is past it, so a
   * window whose end plus allowed lateness is at or before it is closed for good.
   */
  long firedUpTo = NONE;

  /**
   * Latest window start any record of the key reached (tumbling and sliding windows): windows
   * containing it are hot, a window starting after it has no part anywhere yet.
   */
  long frontier = NONE;

  /** Event-time firings since the key's last record; the watermark probes stop after a limit. */
  int idleProbes;

  /** Target of the pending event-time timer, or {@link #NONE}. */
  long timerTarget = NONE;

  /** Whether an early-firing (processing-time) timer is pending. */
  boolean earlyTimerPending;

  /** How many parts the parked bag holds (they are only read when a timer needs them). */
  int parkedParts;

  /** Earliest {@link WindowPart#deadline} among the parked parts, or {@link #NONE}. */
  long parkedDeadline = NONE;

  /** The hot windows, in no particular order; at most {@code size / period} of them. */
  final List<WindowPart<AccumT>> hot;

  KeyHead() {
    this(new ArrayList<>(2));
  }

  private KeyHead(List<WindowPart<AccumT>> hot) {
    this.hot = hot;
  }

  void parked(WindowPart<AccumT> part, long allowedLatenessMillis) {
    parkedParts++;
    long deadline = part.deadline(allowedLatenessMillis);
    parkedDeadline = parkedDeadline == NONE ? deadline : Math.min(parkedDeadline, deadline);
  }

  /** Explicit coder: times as fixed-width longs, hot windows with the part coder. */
  static final class HeadCoder<AccumT> extends CustomCoder<KeyHead<AccumT>> {
    private static final long serialVersionUID = 1L;
    private static final Coder<Long> LONG = BigEndianLongCoder.of();
    private final WindowPart.PartCoder<AccumT> partCoder;

    HeadCoder(Coder<AccumT> accumulatorCoder) {
      this.partCoder = new WindowPart.PartCoder<>(accumulatorCoder);
    }

    @Override
    public void encode(KeyHead<AccumT> head, OutputStream out) throws IOException {
      LONG.encode(head.firedUpTo, out);
      LONG.encode(head.frontier, out);
      LONG.encode(head.timerTarget, out);
      VarIntCoder.of().encode(head.idleProbes, out);
      out.write(head.earlyTimerPending ? 1 : 0);
      VarIntCoder.of().encode(head.parkedParts, out);
      LONG.encode(head.parkedDeadline, out);
      VarIntCoder.of().encode(head.hot.size(), out);
      for (WindowPart<AccumT> part : head.hot) {
        partCoder.encode(part, out);
      }
    }

    @Override
    public KeyHead<AccumT> decode(InputStream in) throws IOException {
      long firedUpTo = LONG.decode(in);
      long frontier = LONG.decode(in);
      long timerTarget = LONG.decode(in);
      int idleProbes = VarIntCoder.of().decode(in);
      int early = in.read();
      if (early < 0) {
        throw new IOException("truncated key head");
      }
      int parkedParts = VarIntCoder.of().decode(in);
      long parkedDeadline = LONG.decode(in);
      int hotCount = VarIntCoder.of().decode(in);
      List<WindowPart<AccumT>> hot = new ArrayList<>(hotCount + 1);
      for (int i = 0; i < hotCount; i++) {
        hot.add(partCoder.decode(in));
      }
      KeyHead<AccumT> head = new KeyHead<>(hot);
      head.firedUpTo = firedUpTo;
      head.frontier = frontier;
      head.timerTarget = timerTarget;
      head.idleProbes = idleProbes;
      head.earlyTimerPending = early != 0;
      head.parkedParts = parkedParts;
      head.parkedDeadline = parkedDeadline;
      return head;
    }

    @Override
    public List<? extends Coder<?>> getCoderArguments() {
      return List.of(partCoder);
    }
  }
}
