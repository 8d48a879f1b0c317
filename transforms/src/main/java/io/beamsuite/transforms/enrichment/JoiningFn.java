package io.beamsuite.transforms.enrichment;

import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.errors.DeadLetters;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/** Joins a record with the version valid at its time and routes the outcome. */
abstract class JoiningFn<InputT, K, V, OutputT>
    extends DoFn<KV<K, RecordOrChange<InputT, K, V>>, OutputT> {
  private final JoinFn<InputT, V, OutputT> joinFn;
  final String stage;
  final TupleTag<OutputT> enrichedTag;
  final TupleTag<InputT> unmatchedTag;
  final TupleTag<DeadLetter> failuresTag;
  private final Counter enriched = Metrics.counter(AsOfEnrichment.class, "enriched");
  private final Counter unmatched = Metrics.counter(AsOfEnrichment.class, "unmatched");
  final Counter failures = Metrics.counter(AsOfEnrichment.class, "failures");

  JoiningFn(
      JoinFn<InputT, V, OutputT> joinFn,
      String stage,
      TupleTag<OutputT> enrichedTag,
      TupleTag<InputT> unmatchedTag,
      TupleTag<DeadLetter> failuresTag) {
    this.joinFn = joinFn;
    this.stage = stage;
    this.enrichedTag = enrichedTag;
    this.unmatchedTag = unmatchedTag;
    this.failuresTag = failuresTag;
  }

  void join(
      InputT record,
      long time,
      @Nullable DimensionVersions<V> versions,
      Instant outputTime,
      MultiOutputReceiver out) {
    DimensionVersions.Version<V> version = versions == null ? null : versions.validAt(time);
    V row = version == null ? null : version.value;
    if (row == null) {
      unmatched.inc();
      out.get(unmatchedTag).outputWithTimestamp(record, outputTime);
      return;
    }
    try {
      out.get(enrichedTag).outputWithTimestamp(joinFn.join(record, row), outputTime);
      enriched.inc();
    } catch (Exception e) {
      failures.inc();
      out.get(failuresTag)
          .outputWithTimestamp(DeadLetters.forRecord(stage, "join_failed", record, e), outputTime);
    }
  }
}
