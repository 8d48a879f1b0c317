package io.beamsuite.transforms.windowing;

import com.google.auto.value.AutoValue;
import java.io.Serializable;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * How {@link WindowedAggregate} groups records in event time: tumbling, sliding or session windows,
 * how long late data is still accepted, whether early (speculative) results are emitted, and
 * whether successive results of a window accumulate or carry only new data.
 *
 * <p>Immutable; every {@code with*} method returns a new spec.
 *
 * <pre>{@code
 * WindowSpec perMinute =
 *     WindowSpec.tumbling(Duration.standardMinutes(1))
 *         .withAllowedLateness(Duration.standardMinutes(5))
 *         .withEarlyFirings(Duration.standardSeconds(10))
 *         .accumulating();
 * WindowSpec activeUsers = WindowSpec.sliding(Duration.standardMinutes(5), Duration.standardMinutes(1));
 * WindowSpec sessions = WindowSpec.sessions(Duration.standardMinutes(30));
 * }</pre>
 */
@AutoValue
public abstract class WindowSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The window shapes. */
  public enum Kind {
    TUMBLING,
    SLIDING,
    SESSIONS
  }

  /** Tumbling (fixed) windows of {@code size}, aligned to the epoch. */
  public static WindowSpec tumbling(Duration size) {
    requirePositive("size", size);
    return builder(Kind.TUMBLING).setSize(size).setPeriod(size).build();
  }

  /** Windows of {@code size} starting every {@code period}, aligned to the epoch. */
  public static WindowSpec sliding(Duration size, Duration period) {
    requirePositive("size", size);
    requirePositive("period", period);
    return builder(Kind.SLIDING).setSize(size).setPeriod(period).build();
  }

  /** Per-key sessions that close after {@code gap} without records. */
  public static WindowSpec sessions(Duration gap) {
    requirePositive("gap", gap);
    return builder(Kind.SESSIONS).setSize(gap).setPeriod(gap).build();
  }

  public abstract Kind getKind();

  /** Window length for tumbling and sliding windows; the gap for sessions. */
  public abstract Duration getSize();

  /** Distance between window starts (equal to the size for tumbling windows and sessions). */
  public abstract Duration getPeriod();

  /** How far behind the watermark a window still accepts records; zero by default. */
  public abstract Duration getAllowedLateness();

  /**
   * Processing-time delay after the first record of a pane before an early result; none by default.
   */
  public abstract @Nullable Duration getEarlyFiringInterval();

  /** Whether each result of a window includes everything so far (else only what is new). */
  public abstract boolean isAccumulating();

  /** Accepts records up to {@code lateness} behind the watermark; later ones are routed late. */
  public WindowSpec withAllowedLateness(Duration lateness) {
    if (lateness == null || lateness.isShorterThan(Duration.ZERO)) {
      throw new IllegalArgumentException(
          "allowed lateness must be zero or positive, got " + lateness);
    }
    return toBuilder().setAllowedLateness(lateness).build();
  }

  /** Emits an early result {@code every} (processing time) after the first record of a pane. */
  public WindowSpec withEarlyFirings(Duration every) {
    requirePositive("early firing interval", every);
    return toBuilder().setEarlyFiringInterval(every).build();
  }

  /** Each result of a window contains all of its records so far. */
  public WindowSpec accumulating() {
    return toBuilder().setAccumulating(true).build();
  }

  /** Each result of a window contains only the records since its previous result (the default). */
  public WindowSpec discarding() {
    return toBuilder().setAccumulating(false).build();
  }

  /**
   * Start (epoch millis) of the latest window a record at {@code timestamp} belongs to; the others
   * start every {@link #getPeriod() period} earlier while they still contain it (see {@link
   * #windowCount}). For sessions, the start of the record's own proto-session. Computed, not
   * allocated, so assigning a record to its windows costs no list per element.
   */
  long lastWindowStart(long timestamp) {
    return getKind() == Kind.SESSIONS
        ? timestamp
        : timestamp - Math.floorMod(timestamp, getPeriod().getMillis());
  }

  /** Whether the window starting at {@code start} contains {@code timestamp}. */
  boolean contains(long start, long timestamp) {
    return start > timestamp - getSize().getMillis();
  }

  /** The Beam {@link WindowFn} with the same windows, for the bounded (combine) path. */
  @SuppressWarnings("unchecked")
  WindowFn<Object, IntervalWindow> windowFn() {
    switch (getKind()) {
      case TUMBLING:
        return (WindowFn<Object, IntervalWindow>) (WindowFn<?, ?>) FixedWindows.of(getSize());
      case SLIDING:
        return (WindowFn<Object, IntervalWindow>)
            (WindowFn<?, ?>) SlidingWindows.of(getSize()).every(getPeriod());
      default:
        return (WindowFn<Object, IntervalWindow>)
            (WindowFn<?, ?>) Sessions.withGapDuration(getSize());
    }
  }

  abstract Builder toBuilder();

  private static Builder builder(Kind kind) {
    return new AutoValue_WindowSpec.Builder()
        .setKind(kind)
        .setAllowedLateness(Duration.ZERO)
        .setAccumulating(false);
  }

  private static void requirePositive(String what, Duration duration) {
    if (duration == null || !duration.isLongerThan(Duration.ZERO)) {
      throw new IllegalArgumentException(what + " must be positive, got " + duration);
    }
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setKind(Kind kind);

    abstract Builder setSize(Duration size);

    abstract Builder setPeriod(Duration period);

    abstract Builder setAllowedLateness(Duration lateness);

    abstract Builder setEarlyFiringInterval(@Nullable Duration every);

    abstract Builder setAccumulating(boolean accumulating);

    abstract WindowSpec build();
  }
}
