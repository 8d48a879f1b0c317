package io.beamsuite.transforms.enrichment;

import io.beamsuite.transforms.cdc.ChangeEvent;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.PCollection;

/**
 * One entry point for the three ways to enrich records with dimension data. All three take the
 * record's key function and a {@link JoinFn}, and return an {@link EnrichmentResult} (enriched,
 * unmatched, failures), so a pipeline can switch strategy without rewiring.
 *
 * <ul>
 *   <li>{@link #sideInput} — a small table broadcast to every worker and reloaded periodically.
 *   <li>{@link #lookup} — a per-record lookup in an external system, batched and cached.
 *   <li>{@link #asOf} — the dimension version valid at the record's event time, from a change
 *       stream (CDC).
 * </ul>
 *
 * <pre>{@code
 * EnrichmentResult<Transaction, ScoredTransaction> scored =
 *     transactions.apply("ScoreWithCustomer",
 *         Enrichment.asOf((Transaction t) -> t.customerId, customerChanges, Scoring::score)
 *             .withOutputCoder(scoredCoder));
 * }</pre>
 */
public final class Enrichment {
  private Enrichment() {}

  /**
   * Joins with a reference table held in memory as a side input; see {@link SideInputEnrichment}.
   */
  public static <InputT, K, V, OutputT> SideInputEnrichment<InputT, K, V, OutputT> sideInput(
      SerializableFunction<InputT, K> keyFn,
      ReferenceTable<K, V> table,
      JoinFn<InputT, V, OutputT> joinFn) {
    return SideInputEnrichment.of(keyFn, table, joinFn);
  }

  /**
   * Joins with values looked up in an external system, batched per bundle and optionally cached;
   * see {@link LookupEnrichment}.
   */
  public static <InputT, K, V, OutputT> LookupEnrichment<InputT, K, V, OutputT> lookup(
      SerializableFunction<InputT, K> keyFn,
      LookupFn<K, V> lookupFn,
      JoinFn<InputT, V, OutputT> joinFn) {
    return LookupEnrichment.of(keyFn, lookupFn, joinFn);
  }

  /**
   * Joins with the dimension version valid at each record's event time; see {@link AsOfEnrichment}.
   */
  public static <InputT, K, V, OutputT> AsOfEnrichment<InputT, K, V, OutputT> asOf(
      SerializableFunction<InputT, K> keyFn,
      PCollection<ChangeEvent<K, V>> dimensionChanges,
      JoinFn<InputT, V, OutputT> joinFn) {
    return AsOfEnrichment.of(keyFn, dimensionChanges, joinFn);
  }
}
