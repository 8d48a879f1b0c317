package io.beamsuite.transforms.portability;

import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;

/**
 * Gives an additional output of a multi-output {@code ParDo} a consumer of its own, so that every
 * runner keeps it apart from the main output: Beam's Spark runner (2.70) merges an additional
 * output that nothing consumes into the main output (Dedup's duplicates became "unique"). A
 * single-input {@code Flatten} is the cheapest consumer that changes nothing.
 *
 * <pre>{@code
 * PCollection<DeadLetter> deadLetters =
 *     AdditionalOutputs.consumed("DeadLetters", outputs.get(deadLetterTag));
 * }</pre>
 */
public final class AdditionalOutputs {
  private AdditionalOutputs() {}

  /** {@code output} through a single-input {@code Flatten} step named {@code stepName}. */
  public static <T> PCollection<T> consumed(String stepName, PCollection<T> output) {
    return PCollectionList.of(output).apply(stepName, Flatten.pCollections());
  }
}
