package io.beamsuite.pipelines.sensors;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.List;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine.CombineFn;

/**
 * Combines values into {@link SeriesStats} (count, mean, population standard deviation). Values are
 * added with Welford's update and partial results merged with Chan et al.'s parallel formula, so
 * the result does not depend much on how a runner splits and merges the input (it does in the last
 * bits: floating-point addition is not associative) and a constant series has a standard deviation
 * of exactly 0.
 *
 * <p>Accumulator and output have explicit deterministic coders.
 *
 * <pre>{@code
 * CombineFn<SensorReading, SeriesStatsFn.Accumulator, SeriesStats> stats =
 *     SeriesStatsFn.of((SensorReading r) -> r.value);
 * }</pre>
 */
public final class SeriesStatsFn<T> extends CombineFn<T, SeriesStatsFn.Accumulator, SeriesStats> {
  private static final long serialVersionUID = 1L;

  /** The number a record contributes. */
  @FunctionalInterface
  public interface ValueFn<T> extends Serializable {
    double valueOf(T input);
  }

  private final ValueFn<T> valueFn;

  private SeriesStatsFn(ValueFn<T> valueFn) {
    this.valueFn = valueFn;
  }

  /** Statistics of {@code valueFn} over the inputs. */
  public static <T> SeriesStatsFn<T> of(ValueFn<T> valueFn) {
    if (valueFn == null) {
      throw new IllegalArgumentException("valueFn must not be null");
    }
    return new SeriesStatsFn<>(valueFn);
  }

  @Override
  public Accumulator createAccumulator() {
    return new Accumulator();
  }

  @Override
  public Accumulator addInput(Accumulator accumulator, T input) {
    accumulator.add(valueFn.valueOf(input));
    return accumulator;
  }

  @Override
  public Accumulator mergeAccumulators(Iterable<Accumulator> accumulators) {
    Accumulator merged = new Accumulator();
    for (Accumulator a : accumulators) {
      merged.merge(a);
    }
    return merged;
  }

  @Override
  public SeriesStats extractOutput(Accumulator accumulator) {
    return accumulator.toStats();
  }

  @Override
  public Coder<Accumulator> getAccumulatorCoder(CoderRegistry registry, Coder<T> inputCoder) {
    return AccumulatorCoder.INSTANCE;
  }

  @Override
  public Coder<SeriesStats> getDefaultOutputCoder(CoderRegistry registry, Coder<T> inputCoder) {
    return SeriesStats.coder();
  }

  /** Mutable running moments: count, mean and sum of squared deviations. */
  public static final class Accumulator {
    long count;
    double mean;
    double m2;

    /** Welford: one value. */
    void add(double x) {
      count++;
      double delta = x - mean;
      mean += delta / count;
      m2 += delta * (x - mean);
    }

    /** Chan et al.: the moments of the union of this and {@code other}'s values. */
    void merge(Accumulator other) {
      if (other.count == 0) {
        return;
      }
      if (count == 0) {
        count = other.count;
        mean = other.mean;
        m2 = other.m2;
        return;
      }
      long n = count + other.count;
      double delta = other.mean - mean;
      mean += delta * other.count / n;
      m2 += other.m2 + delta * delta * ((double) count * other.count / n);
      count = n;
    }

    SeriesStats toStats() {
      return SeriesStats.fromMoments(count, mean, m2);
    }
  }

  private static final class AccumulatorCoder extends AtomicCoder<Accumulator> {
    private static final long serialVersionUID = 1L;
    static final AccumulatorCoder INSTANCE = new AccumulatorCoder();

    @Override
    public void encode(Accumulator value, OutputStream out) throws IOException {
      SeriesStats.encodeMoments(value.count, value.mean, value.m2, out);
    }

    @Override
    public Accumulator decode(InputStream in) throws IOException {
      SeriesStats s = SeriesStats.decodeMoments(in);
      Accumulator a = new Accumulator();
      a.count = s.count();
      a.mean = s.mean();
      a.m2 = s.m2();
      return a;
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public List<? extends Coder<?>> getCoderArguments() {
      return List.of();
    }

    private Object readResolve() {
      return INSTANCE;
    }
  }
}
