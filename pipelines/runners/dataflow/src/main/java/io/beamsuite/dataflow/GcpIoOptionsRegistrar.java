package io.beamsuite.dataflow;

import java.util.List;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryOptions;
import org.apache.beam.sdk.io.gcp.firestore.FirestoreOptions;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsRegistrar;

/**
 * The options Beam's Google Cloud IO registers, without its test options. Beam's own registrar
 * ({@code GcpIoPipelineOptionsRegistrar}) also registers {@code TestBigQueryOptions} and {@code
 * BigtableChangeStreamTestOptions}, whose getters return Hamcrest matchers, so every {@code
 * PipelineOptionsFactory} call would need Hamcrest, a test library, in the Dataflow jar. The shade
 * configuration drops Beam's registrar from the jar and this one takes its place.
 */
public final class GcpIoOptionsRegistrar implements PipelineOptionsRegistrar {
  @Override
  public Iterable<Class<? extends PipelineOptions>> getPipelineOptions() {
    return List.of(BigQueryOptions.class, PubsubOptions.class, FirestoreOptions.class);
  }
}
