package io.beamsuite.transforms.enrichment;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;
import static org.apache.beam.sdk.util.Preconditions.checkStateNotNull;
import io.beamsuite.transforms.cdc.ChangeEvent;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.errors.DeadLetters;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/** Bounded dimension: every record is joined at once against all versions of its key. */
final class SideInputJoinFn<InputT, K, V, OutputT>
    extends JoiningFn<InputT, K, V, OutputT> {
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
