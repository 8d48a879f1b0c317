package io.beamsuite.transforms.enrichment;

import io.beamsuite.transforms.errors.DeadLetter;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;

/**
 * The result shape of every {@link Enrichment} strategy: each input record ends in exactly one of
 * {@link #enriched()}, {@link #unmatched()} (no dimension value for its key, or none valid at its
 * event time) or {@link #failures()} (the lookup or the join failed; a dead letter with the record
 * as payload).
 *
 * <pre>{@code
 * EnrichmentResult<Transaction, EnrichedTransaction> result = transactions.apply(enrichment);
 * result.enriched().apply(...);
 * result.unmatched().apply(...);   // e.g. count, or route to a retry topic
 * result.failures().apply(...);    // dead letters
 * }</pre>
 */
public final class EnrichmentResult<InputT, OutputT> implements POutput {
  private final Pipeline pipeline;
  private final TupleTag<OutputT> enrichedTag;
  private final PCollection<OutputT> enriched;
  private final TupleTag<InputT> unmatchedTag;
  private final PCollection<InputT> unmatched;
  private final TupleTag<DeadLetter> failuresTag;
  private final PCollection<DeadLetter> failures;

  public EnrichmentResult(
      Pipeline pipeline,
      TupleTag<OutputT> enrichedTag,
      PCollection<OutputT> enriched,
      TupleTag<InputT> unmatchedTag,
      PCollection<InputT> unmatched,
      TupleTag<DeadLetter> failuresTag,
      PCollection<DeadLetter> failures) {
    this.pipeline = pipeline;
    this.enrichedTag = enrichedTag;
    this.enriched = enriched;
    this.unmatchedTag = unmatchedTag;
    this.unmatched = unmatched;
    this.failuresTag = failuresTag;
    this.failures = failures;
  }

  /** Records joined with their dimension value. */
  public PCollection<OutputT> enriched() {
    return enriched;
  }

  /** Records for which no dimension value exists (or none valid at their event time). */
  public PCollection<InputT> unmatched() {
    return unmatched;
  }

  /** Records whose lookup or join failed, as dead letters with the record as payload. */
  public PCollection<DeadLetter> failures() {
    return failures;
  }

  @Override
  public Pipeline getPipeline() {
    return pipeline;
  }

  @Override
  public Map<TupleTag<?>, PValue> expand() {
    return Map.of(enrichedTag, enriched, unmatchedTag, unmatched, failuresTag, failures);
  }

  @Override
  public void finishSpecifyingOutput(
      String transformName, PInput input, PTransform<?, ?> transform) {}
}
