package io.beamsuite.transforms.enrichment;

import static org.apache.beam.sdk.util.Preconditions.checkStateNotNull;

import io.beamsuite.transforms.errors.DeadLetter;
import java.util.Map;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/** Bounded dimension: every record is joined at once against all versions of its key. */
final class SideInputJoinFn<InputT, K, V, OutputT> extends JoiningFn<InputT, K, V, OutputT> {
  private final PCollectionView<Map<K, DimensionVersions<V>>> versions;

  SideInputJoinFn(
      JoinFn<InputT, V, OutputT> joinFn,
      PCollectionView<Map<K, DimensionVersions<V>>> versions,
      String stage,
      TupleTag<OutputT> enrichedTag,
      TupleTag<InputT> unmatchedTag,
      TupleTag<DeadLetter> failuresTag) {
    super(joinFn, stage, enrichedTag, unmatchedTag, failuresTag);
    this.versions = versions;
  }

  @ProcessElement
  public void process(ProcessContext context, MultiOutputReceiver out) {
    KV<K, RecordOrChange<InputT, K, V>> element = context.element();
    Instant time = context.timestamp();
    join(
        checkStateNotNull(element.getValue().record, "record"),
        time.getMillis(),
        context.sideInput(versions).get(element.getKey()),
        time,
        out);
  }
}
