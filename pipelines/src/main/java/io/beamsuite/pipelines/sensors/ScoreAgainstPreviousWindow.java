package io.beamsuite.pipelines.sensors;

import com.google.auto.value.AutoValue;
import io.beamsuite.transforms.windowing.WindowResult;
import io.beamsuite.transforms.windowing.WindowSpec;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SortedMapCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Scores each sliding window of a series against its predecessor, the window starting one {@code
 * period} earlier: {@code z = (mean - prev_mean) / prev_stddev}, an anomaly when {@code |z| >
 * zThreshold}. Only windows whose predecessor has at least 2 readings and a standard deviation
 * above 0 are scored (docs/pipelines.md, {@code sensors}).
 *
 * <p>The input is the per-pane output of an accumulating {@code WindowedAggregate}: a window may
 * fire several panes (EARLY, ON_TIME, LATE), in any order relative to its neighbours. Per key, the
 * latest statistics of each window are kept in state (a map by window start); whenever a window's
 * statistics arrive this emits (1) that window scored against its predecessor, if the predecessor
 * is known and qualifies, and (2) the successor window (start + period) scored against it again, if
 * the successor is known and this window qualifies. Every pane that changes either side of a pair
 * therefore re-emits the pair's row with the latest values of both. Beam keeps no order between
 * bundles, so a window's earlier pane can arrive after a later one: with accumulating panes it has
 * fewer readings, and it is ignored (counted {@code stale_panes}). A sink that upserts by {@code
 * (key, windowStart)} and refuses a row whose counts ({@link ScoredWindow#readings}, {@link
 * ScoredWindow#prevReadings}) are smaller than the stored row's ends with the row computed from the
 * final statistics, whatever the order of panes and rows. (With accumulating panes a predecessor
 * that qualifies keeps qualifying: readings only grow, and values that differ keep a standard
 * deviation above 0; so no row ever needs retracting.)
 *
 * <p>Give it the {@link WindowSpec} the statistics were aggregated over. A window's statistics are
 * dropped from state once neither it nor its successor can change any more: at {@code windowEnd +
 * period + allowedLateness} of event time (one event-time timer per key, armed for the earliest
 * such deadline). Bounded input keeps them until the end of the run, when a runner drops all state
 * anyway: no timers there (Flink's DataStream batch mode, the launcher's default for bounded runs,
 * refuses to finish a stateful step whose timers were re-armed while its last key's timers fired).
 *
 * <p>Counters ({@code ScoreAgainstPreviousWindow.class}): {@code panes_in}, {@code rows_out},
 * {@code anomaly_rows_out} (row versions, not distinct windows), {@code windows_expired}, {@code
 * stale_panes}.
 *
 * <pre>{@code
 * WindowSpec spec =
 *     WindowSpec.sliding(Duration.standardMinutes(5), Duration.standardMinutes(1))
 *         .withAllowedLateness(Duration.standardMinutes(10))
 *         .accumulating();
 * WindowedAggregate.Result<String, SeriesStats, SensorReading> stats = ...; // over(spec)
 * PCollection<ScoredWindow<String>> scored =
 *     stats.results().apply("Score",
 *         ScoreAgainstPreviousWindow.<String>of(spec, 3.0).withKeyCoder(StringUtf8Coder.of()));
 * }</pre>
 */
@AutoValue
public abstract class ScoreAgainstPreviousWindow<K>
    extends PTransform<PCollection<WindowResult<K, SeriesStats>>, PCollection<ScoredWindow<K>>> {

  abstract WindowSpec windows();

  abstract double zThreshold();

  abstract @Nullable Coder<K> keyCoder();

  abstract Builder<K> toBuilder();

  @AutoValue.Builder
  abstract static class Builder<K> {
    abstract Builder<K> setWindows(WindowSpec windows);

    abstract Builder<K> setZThreshold(double zThreshold);

    abstract Builder<K> setKeyCoder(@Nullable Coder<K> keyCoder);

    abstract ScoreAgainstPreviousWindow<K> build();
  }

  /**
   * Scores the windows of {@code windows} (the sliding or tumbling spec the statistics were
   * aggregated over: its period gives the predecessor, its allowed lateness how long statistics are
   * kept) with threshold {@code zThreshold} (> 0). Call {@link #withKeyCoder} next.
   */
  public static <K> ScoreAgainstPreviousWindow<K> of(WindowSpec windows, double zThreshold) {
    if (windows == null || windows.getKind() == WindowSpec.Kind.SESSIONS) {
      throw new IllegalArgumentException(
          "windows must be a sliding or tumbling spec (sessions have no predecessor), got "
              + windows);
    }
    if (!(zThreshold > 0) || Double.isInfinite(zThreshold)) {
      throw new IllegalArgumentException("zThreshold must be a positive number, got " + zThreshold);
    }
    return new AutoValue_ScoreAgainstPreviousWindow.Builder<K>()
        .setWindows(windows)
        .setZThreshold(zThreshold)
        .build();
  }

  /** The (deterministic) coder of the series keys. Required. */
  public ScoreAgainstPreviousWindow<K> withKeyCoder(Coder<K> keyCoder) {
    if (keyCoder == null) {
      throw new IllegalArgumentException("keyCoder must not be null");
    }
    return toBuilder().setKeyCoder(keyCoder).build();
  }

  @Override
  public PCollection<ScoredWindow<K>> expand(PCollection<WindowResult<K, SeriesStats>> input) {
    if (keyCoder() == null) {
      throw new IllegalStateException(
          "ScoreAgainstPreviousWindow needs the key coder: call withKeyCoder(...)");
    }
    return input
        .apply("KeyBySeries", WithKeys.of((WindowResult<K, SeriesStats> r) -> r.key()))
        .setCoder(KvCoder.of(keyCoder(), input.getCoder()))
        .apply(
            "ScorePanes",
            ParDo.of(
                new ScoreFn<K>(
                    windows().getSize().getMillis(),
                    windows().getPeriod().getMillis(),
                    windows().getAllowedLateness().getMillis(),
                    zThreshold(),
                    input.isBounded() == PCollection.IsBounded.UNBOUNDED)))
        .setCoder(ScoredWindow.coder(keyCoder()));
  }

  /** The stateful scoring, per series key, in the global window. */
  static final class ScoreFn<K> extends DoFn<KV<K, WindowResult<K, SeriesStats>>, ScoredWindow<K>> {
    static final String STATS_STATE = "statsByWindowStart";
    static final String CLEANUP_AT_STATE = "cleanupAt";
    static final String CLEANUP_TIMER = "cleanup";

    private final long sizeMillis;
    private final long periodMillis;
    private final long allowedLatenessMillis;
    private final double zThreshold;
    private final boolean expireState;

    // One small map per key (about (size + period + lateness) / period windows) in a ValueState
    // rather than a MapState: every runner supports it, and each pane needs three of its entries.
    @StateId(STATS_STATE)
    private final StateSpec<ValueState<SortedMap<Long, SeriesStats>>> statsSpec =
        StateSpecs.value(SortedMapCoder.of(VarLongCoder.of(), SeriesStats.coder()));

    @StateId(CLEANUP_AT_STATE)
    private final StateSpec<ValueState<Long>> cleanupAtSpec = StateSpecs.value(VarLongCoder.of());

    @TimerId(CLEANUP_TIMER)
    private final TimerSpec cleanupSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    private final Counter panesIn = Metrics.counter(ScoreAgainstPreviousWindow.class, "panes_in");
    private final Counter rowsOut = Metrics.counter(ScoreAgainstPreviousWindow.class, "rows_out");
    private final Counter anomalyRowsOut =
        Metrics.counter(ScoreAgainstPreviousWindow.class, "anomaly_rows_out");
    private final Counter windowsExpired =
        Metrics.counter(ScoreAgainstPreviousWindow.class, "windows_expired");
    private final Counter stalePanes =
        Metrics.counter(ScoreAgainstPreviousWindow.class, "stale_panes");

    ScoreFn(
        long sizeMillis,
        long periodMillis,
        long allowedLatenessMillis,
        double zThreshold,
        boolean expireState) {
      this.expireState = expireState;
      this.sizeMillis = sizeMillis;
      this.periodMillis = periodMillis;
      this.allowedLatenessMillis = allowedLatenessMillis;
      this.zThreshold = zThreshold;
    }

    @ProcessElement
    public void processElement(
        @Element KV<K, WindowResult<K, SeriesStats>> element,
        @StateId(STATS_STATE) ValueState<SortedMap<Long, SeriesStats>> statsState,
        @StateId(CLEANUP_AT_STATE) ValueState<Long> cleanupAt,
        @TimerId(CLEANUP_TIMER) Timer cleanup,
        OutputReceiver<ScoredWindow<K>> out) {
      panesIn.inc();
      WindowResult<K, SeriesStats> result = element.getValue();
      K key = element.getKey();
      long start = result.windowStart().getMillis();
      SeriesStats current = result.value();

      cleanupAt.readLater();
      SortedMap<Long, SeriesStats> statsByStart = statsState.read();
      if (statsByStart == null) {
        statsByStart = new TreeMap<>();
      }
      SeriesStats stored = statsByStart.get(start);
      if (stored != null && stored.count() > current.count()) {
        // An earlier pane of this window, delivered after a later one: its statistics are stale.
        stalePanes.inc();
        return;
      }
      statsByStart.put(start, current);
      statsState.write(statsByStart);

      SeriesStats predecessor = statsByStart.get(start - periodMillis);
      if (predecessor != null && ScoredWindow.canScoreAgainst(predecessor)) {
        emit(
            out,
            ScoredWindow.score(
                key, result.windowStart(), result.windowEnd(), current, predecessor, zThreshold));
      }
      SeriesStats successor = statsByStart.get(start + periodMillis);
      if (successor != null && ScoredWindow.canScoreAgainst(current)) {
        long successorStart = start + periodMillis;
        emit(
            out,
            ScoredWindow.score(
                key,
                new Instant(successorStart),
                new Instant(successorStart + sizeMillis),
                successor,
                current,
                zThreshold));
      }

      if (!expireState) {
        return;
      }
      long expiry = expiryOf(start);
      Long armed = cleanupAt.read();
      if (armed == null || expiry < armed) {
        cleanup.set(new Instant(expiry));
        cleanupAt.write(expiry);
      }
    }

    @OnTimer(CLEANUP_TIMER)
    public void onCleanup(
        OnTimerContext context,
        @StateId(STATS_STATE) ValueState<SortedMap<Long, SeriesStats>> statsState,
        @StateId(CLEANUP_AT_STATE) ValueState<Long> cleanupAt,
        @TimerId(CLEANUP_TIMER) Timer cleanup) {
      long firedAt = context.fireTimestamp().getMillis();
      SortedMap<Long, SeriesStats> statsByStart = statsState.read();
      if (statsByStart == null) {
        cleanupAt.clear();
        return;
      }
      // Expiry grows with the start, so the expired windows are a prefix of the sorted map.
      int before = statsByStart.size();
      while (!statsByStart.isEmpty() && expiryOf(statsByStart.firstKey()) <= firedAt) {
        statsByStart.remove(statsByStart.firstKey());
      }
      windowsExpired.inc(before - statsByStart.size());
      if (statsByStart.isEmpty()) {
        statsState.clear();
        cleanupAt.clear();
      } else {
        statsState.write(statsByStart);
        long next = expiryOf(statsByStart.firstKey());
        cleanup.set(new Instant(next));
        cleanupAt.write(next);
      }
    }

    /**
     * When the statistics of the window starting at {@code start} can go: both it and its successor
     * are final once the watermark passes the successor's end plus the allowed lateness (the
     * aggregation accepts the successor's last late record at a watermark of at most its end - 1 ms
     * + lateness, and the pane it fires reaches this step before the watermark moves on).
     */
    private long expiryOf(long start) {
      return start + sizeMillis + periodMillis + allowedLatenessMillis;
    }

    private void emit(OutputReceiver<ScoredWindow<K>> out, ScoredWindow<K> row) {
      rowsOut.inc();
      if (row.anomaly()) {
        anomalyRowsOut.inc();
      }
      out.output(row);
    }
  }
}
