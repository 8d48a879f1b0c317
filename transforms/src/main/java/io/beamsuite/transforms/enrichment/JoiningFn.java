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
