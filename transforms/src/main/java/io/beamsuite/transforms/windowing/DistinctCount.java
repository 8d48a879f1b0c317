package io.beamsuite.transforms.windowing;

import java.util.HashSet;
import java.util.Set;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.SetCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.SerializableFunction;

/**
 * Exact number of distinct strings (e.g. user ids) among the inputs. The accumulator holds the set,
 * which is what exactness costs; windows of a few minutes keep it small.
 *
 * <pre>{@code
 * CombineFn<Click, Set<String>, Long> users = DistinctCount.of(c -> c.userId);
 * }</pre>
 */
public final class DistinctCount<T> extends CombineFn<T, Set<String>, Long> {
  private final SerializableFunction<T, String> valueFn;

  private DistinctCount(SerializableFunction<T, String> valueFn) {
    this.valueFn = valueFn;
  }

  /** Counts the distinct values of {@code valueFn} among the inputs. */
  public static <T> DistinctCount<T> of(SerializableFunction<T, String> valueFn) {
    return new DistinctCount<>(valueFn);
  }

  @Override
  public Set<String> createAccumulator() {
    return new HashSet<>();
  }

  @Override
  public Set<String> addInput(Set<String> accumulator, T input) {
    accumulator.add(valueFn.apply(input));
    return accumulator;
  }

  @Override
  public Set<String> mergeAccumulators(Iterable<Set<String>> accumulators) {
    Set<String> merged = new HashSet<>();
    for (Set<String> a : accumulators) {
      merged.addAll(a);
    }
    return merged;
  }

  @Override
  public Long extractOutput(Set<String> accumulator) {
    return (long) accumulator.size();
  }

  @Override
  public Coder<Set<String>> getAccumulatorCoder(CoderRegistry registry, Coder<T> inputCoder)
      throws CannotProvideCoderException {
    return SetCoder.of(StringUtf8Coder.of());
  }
}
