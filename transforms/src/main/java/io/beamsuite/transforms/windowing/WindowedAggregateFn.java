package io.beamsuite.transforms.windowing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo.Timing;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Event-time windowing of an unbounded input with state and timers in the global window, so that
 * the decision "too late" is taken in the same keyed step that holds the window's accumulator, and
 * the record is routed instead of dropped (a GroupByKey drops it with only a counter).
 *
 * <p><b>Lateness from a portable signal.</b> The watermark is never read. Per key, the transform
 * keeps the highest event-time timer that has fired ({@link KeyHead#firedUpTo}): a timer fires only
 * once the input watermark is past its timestamp, so a window whose {@code maxTimestamp +
 * allowedLateness} is at or before it is closed for good, and a record for it is exactly one that
 * Beam's late-data dropping ({@code maxTimestamp + allowedLateness < inputWatermark}) drops too.
 * The converse can differ by the timer-firing delay: a record that arrives after the watermark
 * passed its window's expiry but before any timer of its key at or after that expiry has fired is
 * still aggregated (and fires a pane). The same holds for pane timing: a window's first pane is
 * {@code LATE} when its first record arrived after the key knew the window's end had passed.
 *
 * <p>So that a key also knows about windows it has no record in, its one event-time timer is set at
 * the next <i>probe point</i> ({@link #nextProbe}) whenever no window deadline comes first: for
 * tumbling and sliding windows every window end and expiry, so every point at which any window
 * changes state; for sessions every multiple of the gap. A new key starts probing one memory
 * ({@link #memoryMillis}) before its first record, and probing stops after a bounded number of
 * firings without a record, after which a key without open windows is cleared.
 *
 * <p><b>State layout.</b> Only {@code ValueState}, {@code BagState} and timers (the state kinds of
 * every target runner, including Dataflow Runner v2 streaming). Per key: a small {@link KeyHead}
 * with the hot windows (those of the key's event-time frontier), read and written once per record;
 * a bag of parked window parts (older open windows, and records out of order), only appended to per
 * record; one event-time timer at the earliest deadline and one processing-time timer for early
 * firings. The per-record work is the number of windows the record belongs to, whatever the number
 * of open windows. What remains proportional to the open windows of a key is a timer firing that
 * has parked parts to look at: it reads the bag, merges parts of the same window (and overlapping
 * sessions), fires what is due and rewrites the bag compacted.
 */
class WindowedAggregateFn<K, InputT, AccumT, OutputT>
    extends DoFn<KV<K, InputT>, WindowResult<K, OutputT>> {
  static final String HEAD_STATE = "keyHead";
  static final String PARKED_STATE = "parkedWindows";
  static final String DEADLINE_TIMER = "windowDeadline";
  static final String EARLY_FIRING_TIMER = "earlyFiring";

  private static final long LAST_TIMER = GlobalWindow.INSTANCE.maxTimestamp().getMillis();
  private static final Comparator<WindowPart<?>> BY_BOUNDS =
      Comparator.<WindowPart<?>>comparingLong(p -> p.start).thenComparingLong(p -> p.end);

  final CombineFn<InputT, AccumT, OutputT> combineFn;
  private final TupleTag<WindowResult<K, OutputT>> resultsTag;
  final TupleTag<LateRecord<InputT>> lateTag;
  final WindowSpec spec;
  final boolean sessions;
  private final boolean accumulating;
  final long sizeMillis;
  final long periodMillis;
  final long allowedLatenessMillis;
  final @Nullable Duration earlyFiringInterval;
  private final long memoryMillis;
  private final int probeLimit;

  @StateId(HEAD_STATE)
  private final StateSpec<ValueState<KeyHead<AccumT>>> headSpec;

  @StateId(PARKED_STATE)
  private final StateSpec<BagState<WindowPart<AccumT>>> parkedSpec;

  @TimerId(DEADLINE_TIMER)
  private final TimerSpec deadlineSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  @TimerId(EARLY_FIRING_TIMER)
  private final TimerSpec earlyFiringSpec = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

  final Counter lateRecords = Metrics.counter(WindowedAggregate.class, "late_records");
  private final Counter earlyPanes = Metrics.counter(WindowedAggregate.class, "panes_early");
  private final Counter onTimePanes = Metrics.counter(WindowedAggregate.class, "panes_on_time");
  private final Counter latePanes = Metrics.counter(WindowedAggregate.class, "panes_late");

  WindowedAggregateFn(
      WindowSpec spec,
      CombineFn<InputT, AccumT, OutputT> combineFn,
      Coder<AccumT> accumulatorCoder,
      TupleTag<WindowResult<K, OutputT>> resultsTag,
      TupleTag<LateRecord<InputT>> lateTag) {
    this.spec = spec;
    this.combineFn = combineFn;
    this.resultsTag = resultsTag;
    this.lateTag = lateTag;
    this.sessions = spec.getKind() == WindowSpec.Kind.SESSIONS;
    this.accumulating = spec.isAccumulating();
    this.sizeMillis = spec.getSize().getMillis();
    this.periodMillis = spec.getPeriod().getMillis();
    this.allowedLatenessMillis = spec.getAllowedLateness().getMillis();
    this.earlyFiringInterval = spec.getEarlyFiringInterval();
    this.memoryMillis = memoryMillis(spec);
    // Two probe points per period (ends and expiries) over two memories: the climb of a new key
    // from one memory before its first record, then about one memory after its last one.
    this.probeLimit =
        (int) Math.min(Integer.MAX_VALUE - 4, 2 * (2 * memoryMillis / periodMillis) + 4);
    this.headSpec = StateSpecs.value(new KeyHead.HeadCoder<>(accumulatorCoder));
    this.parkedSpec = StateSpecs.bag(new WindowPart.PartCoder<>(accumulatorCoder));
  }

  /**
   * How far (event time) a key follows the watermark before its first and after its last record:
   * its window size plus allowed lateness, and at least an hour.
   */
  static long memoryMillis(WindowSpec spec) {
    long windowAndLateness =
        WindowPart.saturatedAdd(spec.getSize().getMillis(), spec.getAllowedLateness().getMillis());
    return Math.max(windowAndLateness, Duration.standardHours(1).getMillis());
  }

  @ProcessElement
  public void processElement(
      @Element KV<K, InputT> element,
      @Timestamp Instant timestamp,
      @StateId(HEAD_STATE) ValueState<KeyHead<AccumT>> headState,
      @StateId(PARKED_STATE) BagState<WindowPart<AccumT>> parked,
      @TimerId(DEADLINE_TIMER) Timer deadline,
      @TimerId(EARLY_FIRING_TIMER) Timer earlyFiring,
      MultiOutputReceiver out) {
    KeyHead<AccumT> stored = headState.read();
    KeyHead<AccumT> head = stored == null ? new KeyHead<>() : stored;
    RecordStep<K, InputT, AccumT, OutputT> step =
        new RecordStep<>(
            this,
            element.getKey(),
            element.getValue(),
            timestamp,
            head,
            parked,
            deadline,
            earlyFiring,
            out);
    if (stored == null) {
      // A new key learns the watermark from its own timers: start probing far enough back that
      // records for windows that closed before the key was seen are recognised.
      requestTimer(
          head, deadline, nextProbe(WindowPart.saturatedAdd(timestamp.getMillis(), -memoryMillis)));
    }
    boolean added = sessions ? step.addToSession() : step.addToWindows();
    if (added || stored != null) {
      headState.write(head);
    }
  }

  @OnTimer(DEADLINE_TIMER)
  public void onDeadline(
      OnTimerContext context,
      @Key K key,
      @StateId(HEAD_STATE) ValueState<KeyHead<AccumT>> headState,
      @StateId(PARKED_STATE) BagState<WindowPart<AccumT>> parked,
      @TimerId(DEADLINE_TIMER) Timer deadline,
      MultiOutputReceiver out) {
    KeyHead<AccumT> head = headState.read();
    if (head == null) {
      return;
    }
    head.firedUpTo = Math.max(head.firedUpTo, context.fireTimestamp().getMillis());
    head.timerTarget = KeyHead.NONE;
    long timerTime = context.timestamp().getMillis();
    boolean readParked =
        head.parkedParts > 0
            && (head.parkedDeadline <= head.firedUpTo || (sessions && hotDue(head)));
    List<WindowPart<AccumT>> parts = gather(head, parked, readParked);
    List<WindowPart<AccumT>> open = new ArrayList<>(parts.size());
    for (WindowPart<AccumT> part : parts) {
      if (part.maxTimestamp() <= head.firedUpTo) {
        if (!part.onTimeFired || part.dirty) {
          firePane(key, part, paneTiming(part), outputTime(part, timerTime), out);
        }
        if (part.expiry(allowedLatenessMillis) <= head.firedUpTo) {
          continue;
        }
      }
      open.add(part);
    }
    redistribute(head, open, parked, readParked);
    // Follow the watermark on the probe grid while the key is active, and for a while after its
    // last record, so records for windows that just closed are still routed late; then stop, so a
    // watermark jump (drain, end of input) costs a bounded number of firings.
    head.idleProbes++;
    long next = head.idleProbes <= probeLimit ? nextProbe(head.firedUpTo) : Long.MAX_VALUE;
    for (WindowPart<AccumT> part : head.hot) {
      next = Math.min(next, part.deadline(allowedLatenessMillis));
    }
    if (head.parkedParts > 0) {
      next = Math.min(next, head.parkedDeadline);
    }
    if (next <= LAST_TIMER) {
      requestTimer(head, deadline, next);
    }
    // Kept even with nothing open: its firedUpTo routes a later record for one of the key's closed
    // windows late (a cleared key would start a fresh window whose upsert overwrites the full row).
    headState.write(head);
  }

  private boolean hotDue(KeyHead<AccumT> head) {
    for (WindowPart<AccumT> part : head.hot) {
      if (part.maxTimestamp() <= head.firedUpTo) {
        return true;
      }
    }
    return false;
  }

  /**
   * The next point after {@code firedUpTo} at which the key checks the watermark. For tumbling and
   * sliding windows these are all window ends and expiries (end plus allowed lateness), so a key
   * knows exactly which windows have closed, also those it has no records in; for sessions, whose
   * ends are not aligned, every multiple of the gap.
   */
  long nextProbe(long firedUpTo) {
    if (firedUpTo >= LAST_TIMER) {
      return Long.MAX_VALUE;
    }
    if (sessions) {
      return nextOnGrid(firedUpTo, sizeMillis - 1, sizeMillis);
    }
    return Math.min(
        nextOnGrid(firedUpTo, sizeMillis - 1, periodMillis),
        nextOnGrid(
            firedUpTo,
            WindowPart.saturatedAdd(sizeMillis - 1, allowedLatenessMillis),
            periodMillis));
  }

  /** The smallest {@code g > t} with {@code g = residue (mod modulus)}. */
  private static long nextOnGrid(long t, long residue, long modulus) {
    long candidate = t - Math.floorMod(t, modulus) + Math.floorMod(residue, modulus);
    if (candidate <= t) {
      candidate += modulus;
    }
    return candidate < t ? Long.MAX_VALUE : candidate;
  }

  @OnTimer(EARLY_FIRING_TIMER)
  public void onEarlyFiring(
      OnTimerContext context,
      @Key K key,
      @StateId(HEAD_STATE) ValueState<KeyHead<AccumT>> headState,
      @StateId(PARKED_STATE) BagState<WindowPart<AccumT>> parked,
      MultiOutputReceiver out) {
    KeyHead<AccumT> head = headState.read();
    if (head == null) {
      return;
    }
    head.earlyTimerPending = false;
    long timerTime = context.timestamp().getMillis();
    boolean readParked = head.parkedParts > 0;
    List<WindowPart<AccumT>> parts = gather(head, parked, readParked);
    for (WindowPart<AccumT> part : parts) {
      if (!part.onTimeFired && part.dirty && part.maxTimestamp() > head.firedUpTo) {
        firePane(key, part, Timing.EARLY, outputTime(part, timerTime), out);
      }
    }
    redistribute(head, parts, parked, readParked);
    headState.write(head);
  }

  /** The key's hot parts plus, if asked, its parked ones, merged per window (or session). */
  private List<WindowPart<AccumT>> gather(
      KeyHead<AccumT> head, BagState<WindowPart<AccumT>> parked, boolean readParked) {
    List<WindowPart<AccumT>> parts = new ArrayList<>(head.hot);
    if (!readParked) {
      return parts;
    }
    for (WindowPart<AccumT> part : parked.read()) {
      parts.add(part);
    }
    parts.sort(BY_BOUNDS);
    List<WindowPart<AccumT>> merged = new ArrayList<>(parts.size());
    WindowPart<AccumT> last = null;
    for (WindowPart<AccumT> part : parts) {
      boolean joins =
          last != null
              && (sessions
                  ? last.intersects(part.start, part.end)
                  : last.sameWindow(part.start, part.end));
      if (joins) {
        last.absorb(part, combineFn);
      } else {
        merged.add(part);
        last = part;
      }
    }
    return merged;
  }

  /**
   * Puts the frontier's windows back in the head and parks the others, rewriting the bag if it was
   * read.
   */
  private void redistribute(
      KeyHead<AccumT> head,
      List<WindowPart<AccumT>> open,
      BagState<WindowPart<AccumT>> parked,
      boolean parkedWasRead) {
    head.hot.clear();
    if (parkedWasRead) {
      parked.clear();
      head.parkedParts = 0;
      head.parkedDeadline = KeyHead.NONE;
    }
    long latestStart = Long.MIN_VALUE;
    for (WindowPart<AccumT> part : open) {
      latestStart = Math.max(latestStart, part.start);
    }
    for (WindowPart<AccumT> part : open) {
      boolean hot =
          sessions
              ? part.start == latestStart && head.hot.isEmpty()
              : spec.contains(part.start, head.frontier);
      if (hot) {
        head.hot.add(part);
      } else {
        parked.add(part);
        head.parked(part, allowedLatenessMillis);
      }
    }
  }

  /**
   * Beam's default trigger: the first non-early pane is {@code ON_TIME} if the window held the
   * watermark (a record arrived before its end passed), else {@code LATE}; later ones are late.
   */
  static Timing paneTiming(WindowPart<?> part) {
    return !part.onTimeFired && part.heldBeforeEnd ? Timing.ON_TIME : Timing.LATE;
  }

  void firePane(
      K key, WindowPart<AccumT> part, Timing timing, Instant outputTime, MultiOutputReceiver out) {
    boolean firstNonEarly = timing != Timing.EARLY && !part.onTimeFired;
    if (timing != Timing.EARLY) {
      part.onTimeFired = true;
    }
    // In discarding mode an on-time pane with nothing new since the last early pane is skipped.
    if (!part.dirty && !accumulating && firstNonEarly) {
      return;
    }
    out.get(resultsTag)
        .outputWithTimestamp(
            WindowResult.of(
                key,
                new Instant(part.start),
                new Instant(part.end),
                timing,
                part.nextPaneIndex,
                combineFn.extractOutput(part.accumulator)),
            outputTime);
    part.nextPaneIndex++;
    part.dirty = false;
    if (!accumulating) {
      part.accumulator = combineFn.createAccumulator();
    }
    switch (timing) {
      case EARLY:
        earlyPanes.inc();
        break;
      case ON_TIME:
        onTimePanes.inc();
        break;
      default:
        latePanes.inc();
    }
  }

  /**
   * Results are stamped with their window's max timestamp, never before the firing timer's hold.
   */
  private static Instant outputTime(WindowPart<?> part, long timerOutputTime) {
    return new Instant(Math.max(part.maxTimestamp(), timerOutputTime));
  }

  /**
   * Moves the key's one event-time timer earlier if {@code target} is before its current target.
   */
  static void requestTimer(KeyHead<?> head, Timer deadline, long target) {
    if (head.timerTarget == KeyHead.NONE || target < head.timerTarget) {
      deadline.set(new Instant(Math.min(target, LAST_TIMER)));
      head.timerTarget = target;
    }
  }

  private static long earliest(long current, long candidate) {
    return current == KeyHead.NONE ? candidate : Math.min(current, candidate);
  }
}
