package io.beamsuite.pipelines.launcher;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import io.beamsuite.pipelines.options.BeamsuiteOptions;
import java.io.PrintStream;
import java.util.function.BiConsumer;
import org.apache.beam.sdk.Pipeline;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A command of the launcher: its name, a one-line description, its options interface, and either a
 * pipeline ({@code build(Pipeline, Options)}, optionally followed by an {@link AfterRun} step once
 * the run ended {@code DONE}) or a {@link Task} that runs no pipeline (a query, a cut-over).
 *
 * <pre>{@code
 * PipelineDefinition<ClickstreamOptions> clickstream =
 *     PipelineDefinition.of("clickstream", "page views, sessions, active users",
 *         ClickstreamOptions.class, ClickstreamPipeline::build);
 * PipelineDefinition<BatchLayerOptions> batch =
 *     PipelineDefinition.of("lambda-batch", "recompute the batch views up to a cutoff",
 *             BatchLayerOptions.class, BatchLayer::build)
 *         .withAfterRun(BatchLayer::publish);
 * PipelineDefinition<ServingOptions> serve =
 *     PipelineDefinition.task("lambda-serve", "query the serving view",
 *         ServingOptions.class, ServingLayer::query);
 * }</pre>
 */
public final class PipelineDefinition<O extends BeamsuiteOptions> {
  /** Work done after the command's pipeline ended {@code DONE}, e.g. publishing what it wrote. */
  @FunctionalInterface
  public interface AfterRun<O> {
    void run(O options, PrintStream out) throws Exception;
  }

  /** A command without a pipeline; returns the exit status. */
  @FunctionalInterface
  public interface Task<O> {
    int run(O options, PrintStream out) throws Exception;
  }

  private final String name;
  private final String description;
  private final Class<O> optionsClass;
  private final @Nullable BiConsumer<Pipeline, O> builder;
  private final @Nullable AfterRun<O> afterRun;
  private final @Nullable Task<O> task;

  private PipelineDefinition(
      String name,
      String description,
      Class<O> optionsClass,
      @Nullable BiConsumer<Pipeline, O> builder,
      @Nullable AfterRun<O> afterRun,
      @Nullable Task<O> task) {
    this.name = checkArgumentNotNull(name, "name");
    this.description = checkArgumentNotNull(description, "description");
    this.optionsClass = checkArgumentNotNull(optionsClass, "optionsClass");
    this.builder = builder;
    this.afterRun = afterRun;
    this.task = task;
  }

  /** A command that builds and runs a pipeline. */
  public static <O extends BeamsuiteOptions> PipelineDefinition<O> of(
      String name, String description, Class<O> optionsClass, BiConsumer<Pipeline, O> builder) {
    return new PipelineDefinition<>(
        name, description, optionsClass, checkArgumentNotNull(builder, "builder"), null, null);
  }

  /** A command that runs no pipeline. */
  public static <O extends BeamsuiteOptions> PipelineDefinition<O> task(
      String name, String description, Class<O> optionsClass, Task<O> task) {
    return new PipelineDefinition<>(
        name, description, optionsClass, null, null, checkArgumentNotNull(task, "task"));
  }

  /** Runs {@code afterRun} once the pipeline ended {@code DONE}; its failure fails the command. */
  public PipelineDefinition<O> withAfterRun(AfterRun<O> afterRun) {
    if (task != null) {
      throw new IllegalStateException(name + " is a task; it has no pipeline to run after");
    }
    return new PipelineDefinition<>(
        name, description, optionsClass, builder, checkArgumentNotNull(afterRun, "afterRun"), null);
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

  /** Whether this command runs a pipeline (else it is a {@link Task}). */
  public boolean runsPipeline() {
    return builder != null;
  }

  /** Adds the pipeline's steps to {@code pipeline}, reading its options from the pipeline. */
  public void build(Pipeline pipeline) {
    if (builder == null) {
      throw new IllegalStateException(name + " is a task, not a pipeline");
    }
    builder.accept(pipeline, pipeline.getOptions().as(optionsClass));
  }

  /** The after-run step, if any, with the options the pipeline ran with. */
  void afterRun(Pipeline pipeline, PrintStream out) throws Exception {
    if (afterRun != null) {
      afterRun.run(pipeline.getOptions().as(optionsClass), out);
    }
  }

  /** Runs the task with its parsed options. */
  int runTask(BeamsuiteOptions options, PrintStream out) throws Exception {
    if (task == null) {
      throw new IllegalStateException(name + " runs a pipeline, not a task");
    }
    return task.run(options.as(optionsClass), out);
  }
}
