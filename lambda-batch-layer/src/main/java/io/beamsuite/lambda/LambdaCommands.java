package io.beamsuite.lambda;

import io.beamsuite.pipelines.launcher.PipelineDefinition;
import io.beamsuite.pipelines.launcher.PipelineProvider;
import java.util.List;

/**
 * The Lambda commands of the launcher (found through {@link PipelineProvider}): {@code
 * lambda-archive}, {@code lambda-batch}, {@code lambda-speed}, {@code lambda-serve}.
 *
 * <pre>{@code
 * java -jar beamsuite-local.jar lambda-batch --source=file:/data/master --cutoff=...
 * }</pre>
 */
public final class LambdaCommands implements PipelineProvider {
  @Override
  public List<PipelineDefinition<?>> definitions() {
    return List.of(
        PipelineDefinition.of(
            "lambda-archive",
            "Kafka topics -> master dataset (append-only JSON lines by event hour)",
            ArchiveOptions.class,
            MasterDatasetArchive::build),
        PipelineDefinition.withAfterRun(
            "lambda-batch",
            "master dataset before --cutoff -> new batch version, then publish it to serving",
            LambdaOptions.class,
            (pipeline, options) -> {
              long version = BatchLayer.build(pipeline, options);
              return out -> BatchLayer.publish(options, version, out);
            }),
        PipelineDefinition.of(
            "lambda-speed",
            "Kafka from the cutoff on -> speed tables (streaming)",
            LambdaOptions.class,
            SpeedLayer::build),
        PipelineDefinition.task(
            "lambda-serve",
            "what the serving views (batch below cutoff + speed from it) serve",
            LambdaOptions.class,
            ServingLayer::describe));
  }
}
