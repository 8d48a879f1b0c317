package io.beamsuite.pipelines.sensors;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Objects;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Count, mean and population standard deviation of a set of values, kept as {@code (count, mean,
 * m2)} where {@code m2} is the sum of squared deviations from the mean (Welford / Chan et al.), so
 * that adding values and merging partial results stay numerically stable and a constant series has
 * a standard deviation of exactly 0.
 *
 * <p>Immutable. {@link SeriesStatsFn} builds these with a mutable accumulator.
 *
 * <pre>{@code
 * SeriesStats s = SeriesStats.ofValues(10, 12);
 * s.count();   // 2
 * s.mean();    // 11.0
 * s.stddev();  // 1.0 (population)
 * }</pre>
 */
public final class SeriesStats {
  private static final SeriesStats EMPTY = new SeriesStats(0, 0.0, 0.0);

  private final long count;
  private final double mean;
  private final double m2;

  private SeriesStats(long count, double mean, double m2) {
    this.count = count;
    this.mean = mean;
    this.m2 = m2;
  }

  /** Statistics of no values. */
  public static SeriesStats empty() {
    return EMPTY;
  }

  /**
   * From the moments: {@code count} values with mean {@code mean} and sum of squared deviations
   * {@code m2}.
   */
  public static SeriesStats of(long count, double mean, double m2) {
    if (count < 0 || (count == 0 && (mean != 0.0 || m2 != 0.0)) || !(m2 >= 0.0)) {
      throw new IllegalArgumentException(
          "invalid moments: count=" + count + ", mean=" + mean + ", m2=" + m2);
    }
    return count == 0 ? EMPTY : new SeriesStats(count, mean, m2);
  }

  /** Without checks, for moments computed here (an overflow to infinity or NaN must not throw). */
  static SeriesStats fromMoments(long count, double mean, double m2) {
    return count == 0 ? EMPTY : new SeriesStats(count, mean, m2);
  }

  /** Statistics of {@code values}, added in order. */
  public static SeriesStats ofValues(double... values) {
    SeriesStatsFn.Accumulator a = new SeriesStatsFn.Accumulator();
    for (double v : values) {
      a.add(v);
    }
    return a.toStats();
  }

  public long count() {
    return count;
  }

  /** The mean; 0 when there are no values. */
  public double mean() {
    return mean;
  }

  /** Sum of squared deviations from the mean. */
  public double m2() {
    return m2;
  }

  /** Population variance ({@code m2 / count}); 0 when there are no values. */
  public double variance() {
    return count == 0 ? 0.0 : m2 / count;
  }

  /** Population standard deviation. */
  public double stddev() {
    return Math.sqrt(variance());
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof SeriesStats)) {
      return false;
    }
    SeriesStats s = (SeriesStats) o;
    return count == s.count && Double.compare(mean, s.mean) == 0 && Double.compare(m2, s.m2) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(count, mean, m2);
  }

  @Override
  public String toString() {
    return "SeriesStats{n=" + count + ", mean=" + mean + ", stddev=" + stddev() + "}";
  }

  /** A deterministic coder: count as a var-long, mean and m2 as their IEEE 754 bits. */
  public static Coder<SeriesStats> coder() {
    return SeriesStatsCoder.INSTANCE;
  }

  /**
   * Writes {@code (count, mean, m2)}; shared with the accumulator coder of {@link SeriesStatsFn}.
   */
  static void encodeMoments(long count, double mean, double m2, OutputStream out)
      throws IOException {
    VarLongCoder.of().encode(count, out);
    DataOutputStream data = new DataOutputStream(out);
    data.writeLong(Double.doubleToLongBits(mean));
    data.writeLong(Double.doubleToLongBits(m2));
    data.flush();
  }

  static SeriesStats decodeMoments(InputStream in) throws IOException {
    long count = VarLongCoder.of().decode(in);
    DataInputStream data = new DataInputStream(in);
    double mean = Double.longBitsToDouble(data.readLong());
    double m2 = Double.longBitsToDouble(data.readLong());
    return fromMoments(count, mean, m2);
  }

  private static final class SeriesStatsCoder extends AtomicCoder<SeriesStats> {
    private static final long serialVersionUID = 1L;
    static final SeriesStatsCoder INSTANCE = new SeriesStatsCoder();

    @Override
    public void encode(SeriesStats value, OutputStream out) throws IOException {
      encodeMoments(value.count, value.mean, value.m2, out);
    }

    @Override
    public SeriesStats decode(InputStream in) throws IOException {
      return decodeMoments(in);
    }

    /** Doubles are written as {@link Double#doubleToLongBits} (NaN canonical): deterministic. */
    @Override
    public void verifyDeterministic() {}

    @Override
    public List<? extends Coder<?>> getCoderArguments() {
      return List.of();
    }

    @Override
    public boolean consistentWithEquals() {
      return true;
    }

    private Object readResolve() {
      return INSTANCE;
    }
  }
}
