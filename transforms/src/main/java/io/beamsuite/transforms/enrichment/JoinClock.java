package io.beamsuite.transforms.enrichment;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.BigEndianLongCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * The small per-key bookkeeping of the streaming as-of join, read once per element: what the key
 * knows of the watermark, which held records are already released, and its timers.
 */
final class JoinClock {
  static final long NONE = Long.MIN_VALUE;

  /** Highest event-time timer fired for the key: the watermark is past it. */
  long firedUpTo = NONE;

  /** Held records with an event time at or before this were released by the event-time timer. */
  long releasedUpTo = NONE;

  /** Held records with a sequence number below this were released as idle. */
  long idleReleasedBelow;

  /** Sequence number of the next held record. */
  long nextSequence;

  /** Idle timer pending, covering records with a sequence number below this; 0 if none. */
  long idleCovers;

  /** Entries in the held bag, released ones included (they are compacted away in bulk). */
  int heldEntries;

  /** Held records not released yet. */
  int pending;

  /** Earliest event time among the pending records, or {@link #NONE}. */
  long earliestPending = NONE;

  /** Target of the pending event-time timer, or {@link #NONE}. */
  long timerTarget = NONE;

  /** Event-time firings since the key's last element; watermark probes stop after a limit. */
  int idleProbes;

  /** The input watermark is at least this ({@link #NONE} if the key knows nothing yet). */
  long knownWatermark() {
    return firedUpTo == NONE ? NONE : firedUpTo + 1;
  }

  boolean released(HeldRecord<?> held) {
    return held.eventTime <= releasedUpTo || held.sequence < idleReleasedBelow;
  }

  static final class ClockCoder extends CustomCoder<JoinClock> {
    private static final long serialVersionUID = 1L;
    private static final Coder<Long> LONG = BigEndianLongCoder.of();

    @Override
    public void encode(JoinClock c, OutputStream out) throws IOException {
      LONG.encode(c.firedUpTo, out);
      LONG.encode(c.releasedUpTo, out);
      VarLongCoder.of().encode(c.idleReleasedBelow, out);
      VarLongCoder.of().encode(c.nextSequence, out);
      VarLongCoder.of().encode(c.idleCovers, out);
      VarIntCoder.of().encode(c.heldEntries, out);
      VarIntCoder.of().encode(c.pending, out);
      LONG.encode(c.earliestPending, out);
      LONG.encode(c.timerTarget, out);
      VarIntCoder.of().encode(c.idleProbes, out);
    }

    @Override
    public JoinClock decode(InputStream in) throws IOException {
      JoinClock c = new JoinClock();
      c.firedUpTo = LONG.decode(in);
      c.releasedUpTo = LONG.decode(in);
      c.idleReleasedBelow = VarLongCoder.of().decode(in);
      c.nextSequence = VarLongCoder.of().decode(in);
      c.idleCovers = VarLongCoder.of().decode(in);
      c.heldEntries = VarIntCoder.of().decode(in);
      c.pending = VarIntCoder.of().decode(in);
      c.earliestPending = LONG.decode(in);
      c.timerTarget = LONG.decode(in);
      c.idleProbes = VarIntCoder.of().decode(in);
      return c;
    }
  }
}
