package io.beamsuite.pipelines.launcher;

import io.beamsuite.pipelines.options.BeamsuiteOptions;
import java.util.function.BiConsumer;
import org.apache.beam.sdk.Pipeline;

/**
 * A pipeline the launcher can run: its command name, a one-line description, its options interface
 * and its {@code build(Pipeline, Options)} method.
 *
 * <pre>{@code
 * PipelineDefinition<ClickstreamOptions> clickstream =
 *     PipelineDefinition.of("clickstream", "page views, sessions, active users",
 *         ClickstreamOptions.class, ClickstreamPipeline::build);
 * }</pre>
 */
public final class PipelineDefinition<O extends BeamsuiteOptions> {
  private final String name;
  private final String description;
  private final Class<O> optionsClass;
  private final BiConsumer<Pipeline, O> builder;

  private PipelineDefinition(
      String name, String description, Class<O> optionsClass, BiConsumer<Pipeline, O> builder) {
    this.name = name;
    this.description = description;
    this.optionsClass = optionsClass;
    this.builder = builder;
  }

  public static <O extends BeamsuiteOptions> PipelineDefinition<O> of(
      String name, String description, Class<O> optionsClass, BiConsumer<Pipeline, O> builder) {
    return new PipelineDefinition<>(name, description, optionsClass, builder);
  }

  public String name() {
    return name;
  }

  public String description() {
    return description;
  }

  public Class<O> optionsClass() {
    return optionsClass;
  }

  /** Adds the pipeline's steps to {@code pipeline}, reading its options from the pipeline. */
  public void build(Pipeline pipeline) {
    builder.accept(pipeline, pipeline.getOptions().as(optionsClass));
  }
}
