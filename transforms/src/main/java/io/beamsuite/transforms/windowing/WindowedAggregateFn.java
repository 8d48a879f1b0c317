package io.beamsuite.transforms.windowing;

import io.beamsuite.transforms.windowing.KeyWindows.OpenWindow;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.PaneInfo.Timing;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/**
 * Event-time windowing done with state and timers in the global window, so that the decision
 * "too late" is taken in the same place as the aggregation, against the input watermark, and the
 * record is routed instead of dropped (a GroupByKey drops it with only a counter).
 *
 * <p>The watermark is read through the end-of-window timer's {@link Timer#getCurrentRelativeTime()}
 * (the input watermark on the classic Direct, Flink, Spark and Dataflow v1 runners); the highest
 * fired timer of the key is kept as a lower bound for runners that report less. A record is late
 * for a window exactly when Beam's own late-data dropping would drop it: {@code window.maxTimestamp
 * + allowedLateness < inputWatermark}.
 */
class WindowedAggregateFn<K, InputT, AccumT, OutputT>
    extends DoFn<KV<K, InputT>, WindowResult<K, OutputT>> {
  static final String WINDOWS_STATE = "openWindows";
  static final String END_OF_WINDOW_TIMER = "endOfWindow";
  static final String EARLY_FIRING_TIMER = "earlyFiring";

  private final WindowSpec spec;
  private final CombineFn<InputT, AccumT, OutputT> combineFn;
  private final TupleTag<WindowResult<K, OutputT>> resultsTag;
  private final TupleTag<LateRecord<InputT>> lateTag;
  private final long allowedLatenessMillis;

  @StateId(WINDOWS_STATE)
  private final StateSpec<ValueState<KeyWindows<AccumT>>> openWindowsSpec;

  @TimerId(END_OF_WINDOW_TIMER)
  private final TimerSpec endOfWindowSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  @TimerId(EARLY_FIRING_TIMER)
  private final TimerSpec earlyFiringSpec = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

  private final Counter recordsIn = Metrics.counter(WindowedAggregate.class, "records_in");
  private final Counter lateRecords = Metrics.counter(WindowedAggregate.class, "late_records");
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
    this.allowedLatenessMillis = spec.getAllowedLateness().getMillis();
    this.openWindowsSpec = StateSpecs.value(new KeyWindows.KeyWindowsCoder<>(accumulatorCoder));
  }

  @ProcessElement
  public void processElement(
      @Element KV<K, InputT> element,
      @Timestamp Instant timestamp,
      @StateId(WINDOWS_STATE) ValueState<KeyWindows<AccumT>> openWindows,
      @TimerId(END_OF_WINDOW_TIMER) Timer endOfWindow,
      @TimerId(EARLY_FIRING_TIMER) Timer earlyFiring,
      MultiOutputReceiver out) {
    recordsIn.inc();
    KeyWindows<AccumT> state = readOrCreate(openWindows);
    long watermark =
        Math.max(endOfWindow.getCurrentRelativeTime().getMillis(), state.watermarkLowerBound);
    InputT value = element.getValue();
    for (long[] bounds : spec.assign(timestamp.getMillis())) {
      long maxTimestamp = bounds[1] - 1;
      if (KeyWindows.saturatedAdd(maxTimestamp, allowedLatenessMillis) < watermark) {
        lateRecords.inc();
        out.get(lateTag)
            .output(
                LateRecord.of(
                    value,
                    timestamp,
                    new Instant(bounds[0]),
                    new Instant(bounds[1]),
                    new Instant(watermark),
                    "window ["
                        + new Instant(bounds[0])
                        + ", "
                        + new Instant(bounds[1])
                        + ") closed: watermark "
                        + new Instant(watermark)
                        + " is past its end plus allowed lateness "
                        + spec.getAllowedLateness()));
        continue;
      }
      OpenWindow<AccumT> window =
          spec.getKind() == WindowSpec.Kind.SESSIONS
              ? state.mergeSession(bounds[0], bounds[1], combineFn)
              : state.getOrCreate(bounds[0], bounds[1], combineFn);
      window.accumulator = combineFn.addInput(window.accumulator, value);
      window.dirty = true;
      if (window.onTimeFired) {
        // Beam's default trigger: after the on-time pane, every late record fires a late pane.
        emit(element.getKey(), window, Timing.LATE, new Instant(window.maxTimestamp()), out);
      } else if (spec.getEarlyFiringInterval() != null && !state.earlyTimerPending) {
        earlyFiring.offset(spec.getEarlyFiringInterval()).setRelative();
        state.earlyTimerPending = true;
      }
    }
    rearm(state, endOfWindow);
    write(openWindows, state);
  }

  @OnTimer(END_OF_WINDOW_TIMER)
  public void onEndOfWindow(
      OnTimerContext context,
      @Key K key,
      @StateId(WINDOWS_STATE) ValueState<KeyWindows<AccumT>> openWindows,
      @TimerId(END_OF_WINDOW_TIMER) Timer endOfWindow,
      MultiOutputReceiver out) {
    KeyWindows<AccumT> state = openWindows.read();
    if (state == null) {
      return;
    }
    long firedAt = context.fireTimestamp().getMillis();
    state.watermarkLowerBound = Math.max(state.watermarkLowerBound, firedAt);
    state.eventTimerTarget = KeyWindows.NO_TIMER;
    List<OpenWindow<AccumT>> expired = new ArrayList<>();
    for (OpenWindow<AccumT> window : state.windows) {
      if (!window.onTimeFired && window.maxTimestamp() <= firedAt) {
        if (window.dirty || spec.isAccumulating()) {
          emit(key, window, Timing.ON_TIME, outputTime(window, context.timestamp()), out);
        }
        window.onTimeFired = true;
      }
      if (window.onTimeFired && window.expiry(allowedLatenessMillis) <= firedAt) {
        expired.add(window);
      }
    }
    state.windows.removeAll(expired);
    rearm(state, endOfWindow);
    write(openWindows, state);
  }

  @OnTimer(EARLY_FIRING_TIMER)
  public void onEarlyFiring(
      OnTimerContext context,
      @Key K key,
      @StateId(WINDOWS_STATE) ValueState<KeyWindows<AccumT>> openWindows,
      MultiOutputReceiver out) {
    KeyWindows<AccumT> state = openWindows.read();
    if (state == null) {
      return;
    }
    state.earlyTimerPending = false;
    for (OpenWindow<AccumT> window : state.windows) {
      if (!window.onTimeFired && window.dirty) {
        emit(key, window, Timing.EARLY, outputTime(window, context.timestamp()), out);
      }
    }
    write(openWindows, state);
  }

  private void emit(
      K key, OpenWindow<AccumT> window, Timing timing, Instant outputTime, MultiOutputReceiver out) {
    out.get(resultsTag)
        .outputWithTimestamp(
            WindowResult.of(
                key,
                new Instant(window.start),
                new Instant(window.end),
                timing,
                window.nextPaneIndex,
                combineFn.extractOutput(window.accumulator)),
            outputTime);
    window.nextPaneIndex++;
    window.dirty = false;
    if (!spec.isAccumulating()) {
      window.accumulator = combineFn.createAccumulator();
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

  /** Results are stamped with their window's max timestamp, never before the firing timer's hold. */
  private static Instant outputTime(OpenWindow<?> window, Instant timerOutputTime) {
    long maxTimestamp = window.maxTimestamp();
    return maxTimestamp >= timerOutputTime.getMillis() ? new Instant(maxTimestamp) : timerOutputTime;
  }

  private void rearm(KeyWindows<AccumT> state, Timer endOfWindow) {
    long next = state.nextDeadline(allowedLatenessMillis);
    if (next != KeyWindows.NO_TIMER && next != state.eventTimerTarget) {
      endOfWindow.set(new Instant(next));
      state.eventTimerTarget = next;
    }
  }

  private static <AccumT> void write(
      ValueState<KeyWindows<AccumT>> openWindows, KeyWindows<AccumT> state) {
    if (state.windows.isEmpty() && !state.earlyTimerPending) {
      openWindows.clear();
    } else {
      openWindows.write(state);
    }
  }

  private static <AccumT> KeyWindows<AccumT> readOrCreate(
      ValueState<KeyWindows<AccumT>> openWindows) {
    KeyWindows<AccumT> state = openWindows.read();
    return state == null ? new KeyWindows<>() : state;
  }
}
