package io.beamsuite.transforms.enrichment;

import static org.apache.beam.sdk.util.Preconditions.checkStateNotNull;

import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.errors.DeadLetters;
import java.util.ArrayList;
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
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Unbounded dimension: records and changes of one key meet here. See the class documentation for
 * when a record is released; {@link JoinClock} is the key's bookkeeping.
 */
final class AsOfJoinFn<InputT, K, V, OutputT> extends JoiningFn<InputT, K, V, OutputT> {
  private static final String VERSIONS = "versions";
  private static final String HELD_RECORDS = "heldRecords";
  private static final String CLOCK = "joinClock";
  private static final String RELEASE = "release";
  private static final String IDLE_RELEASE = "idleRelease";

  /** Grid of the watermark probes: the last millisecond of every minute. */
  private static final long PROBE_MILLIS = 60_000L;

  private static final long LAST_TIMER = GlobalWindow.INSTANCE.maxTimestamp().getMillis();

  private final long retentionMillis;
  private final Duration idleTimeout;
  private final int probeLimit;

  @StateId(VERSIONS)
  private final StateSpec<ValueState<DimensionVersions<V>>> versionsSpec;

  @StateId(HELD_RECORDS)
  private final StateSpec<BagState<HeldRecord<InputT>>> heldSpec;

  @StateId(CLOCK)
  private final StateSpec<ValueState<JoinClock>> clockSpec =
      StateSpecs.value(new JoinClock.ClockCoder());

  @TimerId(RELEASE)
  private final TimerSpec releaseSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  @TimerId(IDLE_RELEASE)
  private final TimerSpec idleReleaseSpec = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

  private final Counter changesIn = Metrics.counter(AsOfEnrichment.class, "changes_in");
  private final Counter held = Metrics.counter(AsOfEnrichment.class, "records_held");
  private final Counter releasedIdle = Metrics.counter(AsOfEnrichment.class, "released_while_idle");
  private final Counter lateChanges =
      Metrics.counter(AsOfEnrichment.class, "late_dimension_changes");
  private final Counter expired = Metrics.counter(AsOfEnrichment.class, "versions_expired");
  private final Counter firings = Metrics.counter(AsOfEnrichment.class, "event_time_firings");

  AsOfJoinFn(
      JoinFn<InputT, V, OutputT> joinFn,
      Coder<V> rowCoder,
      Coder<InputT> recordCoder,
      Duration retention,
      Duration idleTimeout,
      String stage,
      TupleTag<OutputT> enrichedTag,
      TupleTag<InputT> unmatchedTag,
      TupleTag<DeadLetter> failuresTag) {
    super(joinFn, stage, enrichedTag, unmatchedTag, failuresTag);
    this.retentionMillis = retention.getMillis();
    this.idleTimeout = idleTimeout;
    // Doubling probe steps cover three retentions (one before a new key's first element, two
    // after its last) in about log2(3 * retention / 1 min) firings.
    this.probeLimit = 66 - Long.numberOfLeadingZeros(3 * (retentionMillis / PROBE_MILLIS) + 1);
    this.versionsSpec = StateSpecs.value(new DimensionVersions.VersionsCoder<>(rowCoder));
    this.heldSpec = StateSpecs.bag(new HeldRecord.HeldRecordCoder<>(recordCoder));
  }

  @ProcessElement
  public void process(
      @Element KV<K, RecordOrChange<InputT, K, V>> element,
      @Timestamp Instant timestamp,
      @StateId(VERSIONS) ValueState<DimensionVersions<V>> versionsState,
      @StateId(HELD_RECORDS) BagState<HeldRecord<InputT>> heldRecords,
      @StateId(CLOCK) ValueState<JoinClock> clockState,
      @TimerId(RELEASE) Timer release,
      @TimerId(IDLE_RELEASE) Timer idleRelease,
      MultiOutputReceiver out) {
    JoinClock stored = clockState.read();
    JoinClock clock = stored == null ? new JoinClock() : stored;
    long time = timestamp.getMillis();
    if (stored == null) {
      // A new key learns the watermark from its own timers, probing from one retention back.
      requestTimer(clock, release, nextProbe(saturatedMinus(time, retentionMillis)));
    }
    clock.idleProbes = 0;
    long known = clock.knownWatermark();
    long horizon =
        known == JoinClock.NONE ? JoinClock.NONE : saturatedMinus(known, retentionMillis);
    RecordOrChange<InputT, K, V> value = element.getValue();
    if (value.change != null) {
      changesIn.inc();
      DimensionVersions<V> versions = read(versionsState);
      versions.add(value.change);
      if (value.change.commitTime().getMillis() < known) {
        lateChanges.inc();
      }
      expired.inc(versions.expireBefore(horizon));
      versionsState.write(versions);
      long expiry = nextExpiryProbe(versions, clock.firedUpTo);
      if (expiry <= LAST_TIMER) {
        requestTimer(clock, release, expiry);
      }
    } else {
      InputT record = checkStateNotNull(value.record, "record");
      if (time < horizon) {
        failures.inc();
        out.get(failuresTag)
            .output(
                DeadLetters.forRecord(
                    stage,
                    "too_late_for_as_of_join",
                    record,
                    new IllegalStateException(
                        "record at "
                            + timestamp
                            + " is more than the version retention behind the watermark "
                            + new Instant(known))));
      } else if (time < known) {
        // Every change committed at or before the record's time has arrived already.
        join(record, time, versionsState.read(), timestamp, out);
      } else {
        hold(record, time, clock, heldRecords, release, idleRelease);
      }
    }
    clockState.write(clock);
  }

  private void hold(
      InputT record,
      long time,
      JoinClock clock,
      BagState<HeldRecord<InputT>> heldRecords,
      Timer release,
      Timer idleRelease) {
    held.inc();
    heldRecords.add(new HeldRecord<>(record, time, clock.nextSequence++));
    clock.heldEntries++;
    clock.pending++;
    clock.earliestPending =
        clock.earliestPending == JoinClock.NONE ? time : Math.min(clock.earliestPending, time);
    requestTimer(clock, release, time);
    if (clock.idleCovers == 0) {
      idleRelease.offset(idleTimeout).setRelative();
      clock.idleCovers = clock.nextSequence;
    }
  }

  @OnTimer(RELEASE)
  public void onRelease(
      OnTimerContext context,
      @StateId(VERSIONS) ValueState<DimensionVersions<V>> versionsState,
      @StateId(HELD_RECORDS) BagState<HeldRecord<InputT>> heldRecords,
      @StateId(CLOCK) ValueState<JoinClock> clockState,
      @TimerId(RELEASE) Timer release,
      MultiOutputReceiver out) {
    JoinClock clock = clockState.read();
    if (clock == null) {
      return;
    }
    firings.inc();
    clock.firedUpTo = Math.max(clock.firedUpTo, context.fireTimestamp().getMillis());
    clock.timerTarget = JoinClock.NONE;
    clock.idleProbes++;
    DimensionVersions<V> versions = versionsState.read();
    if (clock.pending > 0 && clock.earliestPending <= clock.firedUpTo) {
      long upTo = clock.firedUpTo;
      releaseHeld(
          clock,
          heldRecords,
          versions,
          h -> h.eventTime <= upTo,
          context.timestamp().getMillis(),
          out,
          false);
      clock.releasedUpTo = Math.max(clock.releasedUpTo, upTo);
      // Versions expire where they are read or written anyway, not on a bare probe.
      if (versions != null) {
        expired.inc(versions.expireBefore(saturatedMinus(clock.knownWatermark(), retentionMillis)));
        if (versions.versions.isEmpty()) {
          versionsState.clear();
          versions = null;
        } else {
          versionsState.write(versions);
        }
      }
    }
    long next = Long.MAX_VALUE;
    if (clock.idleProbes <= probeLimit) {
      long step = PROBE_MILLIS << Math.min(clock.idleProbes - 1, 40);
      next =
          Math.min(
              nextProbe(saturatedAdd(clock.firedUpTo, step - 1)),
              nextExpiryProbe(versions, clock.firedUpTo));
    }
    if (clock.pending > 0) {
      next = Math.min(next, clock.earliestPending);
    }
    if (next <= LAST_TIMER) {
      requestTimer(clock, release, next);
    }
    if (versions == null
        && clock.pending == 0
        && clock.idleCovers == 0
        && clock.timerTarget == JoinClock.NONE) {
      clockState.clear();
      heldRecords.clear();
    } else {
      clockState.write(clock);
    }
  }

  @OnTimer(IDLE_RELEASE)
  public void onIdleRelease(
      OnTimerContext context,
      @StateId(VERSIONS) ValueState<DimensionVersions<V>> versionsState,
      @StateId(HELD_RECORDS) BagState<HeldRecord<InputT>> heldRecords,
      @StateId(CLOCK) ValueState<JoinClock> clockState,
      @TimerId(IDLE_RELEASE) Timer idleRelease,
      MultiOutputReceiver out) {
    JoinClock clock = clockState.read();
    if (clock == null) {
      return;
    }
    long covers = clock.idleCovers;
    clock.idleCovers = 0;
    if (clock.pending > 0) {
      // The watermark did not pass these records' times within the idle timeout: the change
      // stream is taken to be idle, and the versions known are all there will be.
      releaseHeld(
          clock,
          heldRecords,
          versionsState.read(),
          h -> h.sequence < covers,
          context.timestamp().getMillis(),
          out,
          true);
      clock.idleReleasedBelow = Math.max(clock.idleReleasedBelow, covers);
    }
    if (clock.pending > 0) {
      idleRelease.offset(idleTimeout).setRelative();
      clock.idleCovers = clock.nextSequence;
    }
    clockState.write(clock);
  }

  /**
   * Joins the pending held records {@code due} selects. The bag is only read; it is rewritten (with
   * the pending records alone) once at least half of its entries are released.
   */
  private void releaseHeld(
      JoinClock clock,
      BagState<HeldRecord<InputT>> heldRecords,
      @Nullable DimensionVersions<V> versions,
      SerializableFunction<HeldRecord<InputT>, Boolean> due,
      long timerOutputTime,
      MultiOutputReceiver out,
      boolean idle) {
    List<HeldRecord<InputT>> stillPending = new ArrayList<>();
    long earliest = JoinClock.NONE;
    for (HeldRecord<InputT> h : heldRecords.read()) {
      if (clock.released(h)) {
        continue;
      }
      if (due.apply(h)) {
        if (idle) {
          releasedIdle.inc();
        }
        join(
            h.record,
            h.eventTime,
            versions,
            new Instant(Math.max(h.eventTime, timerOutputTime)),
            out);
      } else {
        stillPending.add(h);
        earliest = earliest == JoinClock.NONE ? h.eventTime : Math.min(earliest, h.eventTime);
      }
    }
    clock.pending = stillPending.size();
    clock.earliestPending = earliest;
    if (clock.pending == 0) {
      heldRecords.clear();
      clock.heldEntries = 0;
    } else if (2L * (clock.heldEntries - clock.pending) >= clock.heldEntries) {
      heldRecords.clear();
      stillPending.forEach(heldRecords::add);
      clock.heldEntries = clock.pending;
    }
  }

  /** Moves the key's event-time timer earlier if {@code target} is before its current target. */
  private static void requestTimer(JoinClock clock, Timer release, long target) {
    if (clock.timerTarget == JoinClock.NONE || target < clock.timerTarget) {
      release.set(new Instant(Math.min(target, LAST_TIMER)));
      clock.timerTarget = target;
    }
  }

  /**
   * The first probe point after {@code firedUpTo} at which the key's knowledge of the watermark
   * lets one of its versions expire (the version before one that is a retention old), so expiry and
   * the too-late check are exact there whatever the probes' step.
   */
  private long nextExpiryProbe(@Nullable DimensionVersions<V> versions, long firedUpTo) {
    if (versions == null) {
      return Long.MAX_VALUE;
    }
    for (int i = 1; i < versions.versions.size(); i++) {
      // Version i-1 expires once knownWatermark() - retention >= version i's validFrom.
      long point = nextProbe(saturatedAdd(versions.versions.get(i).validFrom, retentionMillis - 2));
      if (point > firedUpTo) {
        return point;
      }
    }
    return Long.MAX_VALUE;
  }

  /** The next probe point after {@code t}: the last millisecond of a minute. */
  private static long nextProbe(long t) {
    if (t >= LAST_TIMER) {
      return Long.MAX_VALUE;
    }
    long candidate = t - Math.floorMod(t, PROBE_MILLIS) + PROBE_MILLIS - 1;
    return candidate <= t ? candidate + PROBE_MILLIS : candidate;
  }

  private static <V> DimensionVersions<V> read(ValueState<DimensionVersions<V>> state) {
    DimensionVersions<V> versions = state.read();
    return versions == null ? new DimensionVersions<>() : versions;
  }

  /** Both callers add to a real time (a fired timer, a version's start), never {@code NONE}. */
  static long saturatedAdd(long a, long b) {
    long sum = a + b;
    if (((a ^ sum) & (b ^ sum)) < 0) {
      return b > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
    }
    return sum;
  }

  static long saturatedMinus(long a, long b) {
    if (a == JoinClock.NONE) {
      return JoinClock.NONE;
    }
    long diff = a - b;
    return ((a ^ b) & (a ^ diff)) < 0 ? Long.MIN_VALUE : diff;
  }
}
