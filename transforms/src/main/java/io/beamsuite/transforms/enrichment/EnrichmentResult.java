package io.beamsuite.transforms.enrichment;

import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.results.TaggedOutputs;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.values.PCollection;
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
public final class EnrichmentResult<InputT, OutputT> extends TaggedOutputs {
  private final PCollection<OutputT> enriched;
  private final PCollection<InputT> unmatched;
  private final PCollection<DeadLetter> failures;

  public EnrichmentResult(
      Pipeline pipeline,
      TupleTag<OutputT> enrichedTag,
      PCollection<OutputT> enriched,
      TupleTag<InputT> unmatchedTag,
      PCollection<InputT> unmatched,
      TupleTag<DeadLetter> failuresTag,
      PCollection<DeadLetter> failures) {
    super(pipeline);
    this.enriched = output(enrichedTag, enriched);
    this.unmatched = output(unmatchedTag, unmatched);
    this.failures = output(failuresTag, failures);
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
}
