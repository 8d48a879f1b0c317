package io.beamsuite.transforms.windowing;

import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.transforms.DoFn.MultiOutputReceiver;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * One record's way into its windows for {@link WindowedAggregateFn}; an object so the many
 * collaborators (the key's head, its parked parts, the timers, the outputs) are not passed around.
 */
final class RecordStep<K, InputT, AccumT, OutputT> {
  private final WindowedAggregateFn<K, InputT, AccumT, OutputT> fn;
  private final K key;
  private final InputT value;
  private final Instant timestamp;
  private final long ts;
  private final KeyHead<AccumT> head;
  private final BagState<WindowPart<AccumT>> parked;
  private final Timer deadline;
  private final Timer earlyFiring;
  private final MultiOutputReceiver out;

  RecordStep(
      WindowedAggregateFn<K, InputT, AccumT, OutputT> fn,
      K key,
      InputT value,
      Instant timestamp,
      KeyHead<AccumT> head,
      BagState<WindowPart<AccumT>> parked,
      Timer deadline,
      Timer earlyFiring,
      MultiOutputReceiver out) {
    this.fn = fn;
    this.key = key;
    this.value = value;
    this.timestamp = timestamp;
    this.ts = timestamp.getMillis();
    this.head = head;
    this.parked = parked;
    this.deadline = deadline;
    this.earlyFiring = earlyFiring;
    this.out = out;
  }

  /** Tumbling and sliding windows: no list of windows is built, starts are computed. */
  boolean addToWindows() {
    long lastStart = fn.spec.lastWindowStart(ts);
    boolean advancing = lastStart > head.frontier;
    long oldFrontier = head.frontier;
    if (advancing) {
      // The frontier moves: hot windows that do not contain this record are parked.
      for (int i = head.hot.size() - 1; i >= 0; i--) {
        WindowPart<AccumT> part = head.hot.get(i);
        if (!fn.spec.contains(part.start, ts)) {
          head.hot.remove(i);
          park(part);
        }
      }
      head.frontier = lastStart;
    }
    boolean added = false;
    for (long start = lastStart; fn.spec.contains(start, ts); start -= fn.periodMillis) {
      long end = start + fn.sizeMillis;
      if (routedLate(start, end)) {
        continue;
      }
      WindowPart<AccumT> part = hotPart(start, end);
      boolean hot = part != null || start > oldFrontier;
      if (part == null) {
        part = new WindowPart<>(start, end, fn.combineFn.createAccumulator());
        if (hot) {
          head.hot.add(part);
        }
      }
      add(part);
      if (!hot) {
        park(part);
      }
      scheduleOrFire(part, hot);
      added = true;
    }
    return added;
  }

  /**
   * Sessions: a record merges into the hot session when it overlaps it; merging with parked ones
   * waits for a timer.
   */
  boolean addToSession() {
    long end = WindowPart.saturatedAdd(ts, fn.sizeMillis);
    if (routedLate(ts, end)) {
      return false;
    }
    WindowPart<AccumT> hotSession = head.hot.isEmpty() ? null : head.hot.get(0);
    WindowPart<AccumT> part;
    boolean hot = true;
    if (hotSession != null && hotSession.intersects(ts, end)) {
      part = hotSession;
      if (end > part.end) {
        // A session that grows past the end it fired at gets a pane of its own at its new end.
        part.onTimeFired = false;
      }
      part.start = Math.min(part.start, ts);
      part.end = Math.max(part.end, end);
    } else if (hotSession == null || ts >= hotSession.end) {
      if (hotSession != null) {
        head.hot.clear();
        park(hotSession);
      }
      part = new WindowPart<>(ts, end, fn.combineFn.createAccumulator());
      head.hot.add(part);
    } else {
      part = new WindowPart<>(ts, end, fn.combineFn.createAccumulator());
      hot = false;
    }
    add(part);
    if (!hot) {
      park(part);
    }
    // With parked sessions around, the hot one may have to merge with them first.
    scheduleOrFire(part, hot && head.parkedParts == 0);
    return true;
  }

  private boolean routedLate(long start, long end) {
    long maxTimestamp = end - 1;
    if (WindowPart.saturatedAdd(maxTimestamp, fn.allowedLatenessMillis) > head.firedUpTo) {
      return false;
    }
    fn.lateRecords.inc();
    // A timer at T fires once the watermark is past T: the watermark is at least T + 1 ms.
    Instant known = new Instant(WindowPart.saturatedAdd(head.firedUpTo, 1));
    out.get(fn.lateTag)
        .output(
            LateRecord.of(
                value,
                timestamp,
                new Instant(start),
                new Instant(end),
                known,
                "window ["
                    + new Instant(start)
                    + ", "
                    + new Instant(end)
                    + ") closed: the watermark is at or past "
                    + known
                    + ", at or after its end plus allowed lateness "
                    + fn.spec.getAllowedLateness()));
    return true;
  }

  private @Nullable WindowPart<AccumT> hotPart(long start, long end) {
    for (WindowPart<AccumT> part : head.hot) {
      if (part.sameWindow(start, end)) {
        return part;
      }
    }
    return null;
  }

  private void add(WindowPart<AccumT> part) {
    part.accumulator = fn.combineFn.addInput(part.accumulator, value);
    part.dirty = true;
    head.idleProbes = 0;
    if (part.maxTimestamp() > head.firedUpTo) {
      part.heldBeforeEnd = true;
    }
  }

  private void park(WindowPart<AccumT> part) {
    parked.add(part);
    head.parked(part, fn.allowedLatenessMillis);
  }

  /**
   * Beam's trigger fires a pane as soon as a record lands in a window whose end has passed; a hot
   * window can do that here, a parked one asks the timer to merge its parts first.
   */
  private void scheduleOrFire(WindowPart<AccumT> part, boolean fireNow) {
    if (part.maxTimestamp() <= head.firedUpTo) {
      if (fireNow) {
        fn.firePane(
            key, part, WindowedAggregateFn.paneTiming(part), new Instant(part.maxTimestamp()), out);
        WindowedAggregateFn.requestTimer(head, deadline, part.deadline(fn.allowedLatenessMillis));
      } else {
        WindowedAggregateFn.requestTimer(head, deadline, part.maxTimestamp());
      }
      return;
    }
    WindowedAggregateFn.requestTimer(head, deadline, part.maxTimestamp());
    if (fn.earlyFiringInterval != null && !head.earlyTimerPending) {
      earlyFiring.offset(fn.earlyFiringInterval).setRelative();
      head.earlyTimerPending = true;
    }
  }
}
