package io.beamsuite.transforms.windowing;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Combine.CombineFn;

/**
 * Test combiner over records {@code "key:id"} whose result names exactly which records a pane
 * contains ("1,2,3", sorted), so tests can assert contributions, not just counts.
 */
final class CollectIds extends CombineFn<String, List<String>, String> {
  static String keyOf(String record) {
    return record.substring(0, record.indexOf(':'));
  }

  static String idOf(String record) {
    return record.substring(record.indexOf(':') + 1);
  }

  @Override
  public List<String> createAccumulator() {
    return new ArrayList<>();
  }

  @Override
  public List<String> addInput(List<String> accumulator, String input) {
    accumulator.add(idOf(input));
    return accumulator;
  }

  @Override
  public List<String> mergeAccumulators(Iterable<List<String>> accumulators) {
    List<String> merged = new ArrayList<>();
    for (List<String> a : accumulators) {
      merged.addAll(a);
    }
    return merged;
  }

  @Override
  public String extractOutput(List<String> accumulator) {
    return String.join(",", new TreeSet<>(accumulator));
  }

  @Override
  public Coder<List<String>> getAccumulatorCoder(CoderRegistry registry, Coder<String> inputCoder) {
    return ListCoder.of(StringUtf8Coder.of());
  }

  @Override
  public Coder<String> getDefaultOutputCoder(CoderRegistry registry, Coder<String> inputCoder) {
    return StringUtf8Coder.of();
  }
}
