package io.beamsuite.pipelines.sensors;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Objects;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.coders.StructuredCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * A window of one series scored against its predecessor (the window starting one period earlier):
 * {@code z_score = (mean - prev_mean) / prev_stddev}, {@code anomaly = |z_score| > threshold}. One
 * row of {@code sensor_anomalies}; {@link ScoreAgainstPreviousWindow} emits a new version of it
 * whenever either window's statistics change.
 *
 * <pre>{@code
 * ScoredWindow<String> row = ...;
 * if (row.anomaly()) alert(row.key(), row.windowStart(), row.zScore());
 * }</pre>
 */
public final class ScoredWindow<K> {
  private final K key;
  private final Instant windowStart;
  private final Instant windowEnd;
  private final long readings;
  private final double mean;
  private final long prevReadings;
  private final double prevMean;
  private final double prevStddev;
  private final double zScore;
  private final boolean anomaly;

  private ScoredWindow(
      K key,
      Instant windowStart,
      Instant windowEnd,
      long readings,
      double mean,
      long prevReadings,
      double prevMean,
      double prevStddev,
      double zScore,
      boolean anomaly) {
    this.key = key;
    this.windowStart = windowStart;
    this.windowEnd = windowEnd;
    this.readings = readings;
    this.mean = mean;
    this.prevReadings = prevReadings;
    this.prevMean = prevMean;
    this.prevStddev = prevStddev;
    this.zScore = zScore;
    this.anomaly = anomaly;
  }

  /** All fields as given; {@link #score} computes them. */
  public static <K> ScoredWindow<K> of(
      K key,
      Instant windowStart,
      Instant windowEnd,
      long readings,
      double mean,
      long prevReadings,
      double prevMean,
      double prevStddev,
      double zScore,
      boolean anomaly) {
    return new ScoredWindow<>(
        key,
        windowStart,
        windowEnd,
        readings,
        mean,
        prevReadings,
        prevMean,
        prevStddev,
        zScore,
        anomaly);
  }

  /** Whether a window with these statistics can be the predecessor of a scored window. */
  public static boolean canScoreAgainst(SeriesStats predecessor) {
    return predecessor.count() >= 2 && predecessor.stddev() > 0;
  }

  /**
   * Scores {@code current} against {@code predecessor}, which must {@linkplain #canScoreAgainst
   * qualify}.
   */
  public static <K> ScoredWindow<K> score(
      K key,
      Instant windowStart,
      Instant windowEnd,
      SeriesStats current,
      SeriesStats predecessor,
      double zThreshold) {
    if (!canScoreAgainst(predecessor)) {
      throw new IllegalArgumentException("cannot score against " + predecessor);
    }
    double z = (current.mean() - predecessor.mean()) / predecessor.stddev();
    return new ScoredWindow<>(
        key,
        windowStart,
        windowEnd,
        current.count(),
        current.mean(),
        predecessor.count(),
        predecessor.mean(),
        predecessor.stddev(),
        z,
        Math.abs(z) > zThreshold);
  }

  public K key() {
    return key;
  }

  public Instant windowStart() {
    return windowStart;
  }

  public Instant windowEnd() {
    return windowEnd;
  }

  /** Number of readings in the window. */
  public long readings() {
    return readings;
  }

  public double mean() {
    return mean;
  }

  /**
   * Number of readings in the predecessor window. With accumulating panes both counts only grow, so
   * a later version of a window's row never has fewer of either.
   */
  public long prevReadings() {
    return prevReadings;
  }

  public double prevMean() {
    return prevMean;
  }

  /** Population standard deviation of the predecessor window. */
  public double prevStddev() {
    return prevStddev;
  }

  public double zScore() {
    return zScore;
  }

  public boolean anomaly() {
    return anomaly;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof ScoredWindow)) {
      return false;
    }
    ScoredWindow<?> s = (ScoredWindow<?>) o;
    return key.equals(s.key)
        && windowStart.equals(s.windowStart)
        && windowEnd.equals(s.windowEnd)
        && readings == s.readings
        && Double.compare(mean, s.mean) == 0
        && prevReadings == s.prevReadings
        && Double.compare(prevMean, s.prevMean) == 0
        && Double.compare(prevStddev, s.prevStddev) == 0
        && Double.compare(zScore, s.zScore) == 0
        && anomaly == s.anomaly;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        key,
        windowStart,
        windowEnd,
        readings,
        mean,
        prevReadings,
        prevMean,
        prevStddev,
        zScore,
        anomaly);
  }

  @Override
  public String toString() {
    return "ScoredWindow{"
        + key
        + " ["
        + windowStart
        + ", "
        + windowEnd
        + ") n="
        + readings
        + " mean="
        + mean
        + " prev_n="
        + prevReadings
        + " prev_mean="
        + prevMean
        + " prev_stddev="
        + prevStddev
        + " z="
        + zScore
        + (anomaly ? " ANOMALY" : "")
        + "}";
  }

  /** A deterministic coder, given a deterministic key coder; doubles as IEEE 754 bits. */
  public static <K> Coder<ScoredWindow<K>> coder(Coder<K> keyCoder) {
    return new ScoredWindowCoder<>(keyCoder);
  }

  private static final class ScoredWindowCoder<K> extends StructuredCoder<ScoredWindow<K>> {
    private static final long serialVersionUID = 1L;
    private final Coder<K> keyCoder;

    ScoredWindowCoder(Coder<K> keyCoder) {
      this.keyCoder = keyCoder;
    }

    @Override
    public void encode(ScoredWindow<K> value, OutputStream out) throws IOException {
      keyCoder.encode(value.key, out);
      InstantCoder.of().encode(value.windowStart, out);
      InstantCoder.of().encode(value.windowEnd, out);
      VarLongCoder.of().encode(value.readings, out);
      DataOutputStream data = new DataOutputStream(out);
      data.writeLong(Double.doubleToLongBits(value.mean));
      data.flush();
      VarLongCoder.of().encode(value.prevReadings, out);
      data.writeLong(Double.doubleToLongBits(value.prevMean));
      data.writeLong(Double.doubleToLongBits(value.prevStddev));
      data.writeLong(Double.doubleToLongBits(value.zScore));
      data.writeBoolean(value.anomaly);
      data.flush();
    }

    @Override
    public ScoredWindow<K> decode(InputStream in) throws IOException {
      K key = keyCoder.decode(in);
      Instant start = InstantCoder.of().decode(in);
      Instant end = InstantCoder.of().decode(in);
      long readings = VarLongCoder.of().decode(in);
      DataInputStream data = new DataInputStream(in);
      double mean = Double.longBitsToDouble(data.readLong());
      long prevReadings = VarLongCoder.of().decode(in);
      double prevMean = Double.longBitsToDouble(data.readLong());
      double prevStddev = Double.longBitsToDouble(data.readLong());
      double zScore = Double.longBitsToDouble(data.readLong());
      boolean anomaly = data.readBoolean();
      return new ScoredWindow<>(
          key, start, end, readings, mean, prevReadings, prevMean, prevStddev, zScore, anomaly);
    }

    @Override
    public List<? extends Coder<?>> getCoderArguments() {
      return List.of(keyCoder);
    }

    @Override
    public void verifyDeterministic() throws NonDeterministicException {
      verifyDeterministic(this, "key coder must be deterministic", keyCoder);
    }
  }
}
