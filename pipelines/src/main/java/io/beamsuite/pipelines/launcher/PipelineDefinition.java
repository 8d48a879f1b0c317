package io.beamsuite.pipelines.launcher;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import io.beamsuite.pipelines.options.BeamsuiteOptions;
import java.io.PrintStream;
import java.util.function.BiConsumer;
import org.apache.beam.sdk.Pipeline;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A command of the launcher: its name, a one-line description, its options interface, and either a
 * pipeline ({@code build(Pipeline, Options)}, optionally returning an {@link AfterRun} step for
 * once the run ended {@code DONE}) or a {@link Task} that runs no pipeline (a query, a cut-over).
 * What the build decided (e.g. the version it writes) travels to its after-run step in that step,
 * never back through the options.
 *
 * <pre>{@code
 * PipelineDefinition<ClickstreamOptions> clickstream =
 *     PipelineDefinition.of("clickstream", "page views, sessions, active users",
 *         ClickstreamOptions.class, ClickstreamPipeline::build);
 * PipelineDefinition<LambdaOptions> batch =
 *     PipelineDefinition.withAfterRun("lambda-batch", "recompute the batch views up to a cutoff",
 *         LambdaOptions.class,
 *         (pipeline, options) -> {
 *           long version = BatchLayer.build(pipeline, options);
 *           return out -> BatchLayer.publish(options, version, out);
 *         });
 * PipelineDefinition<ServingOptions> serve =
 *     PipelineDefinition.task("lambda-serve", "query the serving view",
 *         ServingOptions.class, ServingLayer::query);
 * }</pre>
 */
public final class PipelineDefinition<O extends BeamsuiteOptions> {
  /** Work done after the command's pipeline ended {@code DONE}, e.g. publishing what it wrote. */
  @FunctionalInterface
  public interface AfterRun {
    /** Nothing to do after the run. */
    AfterRun NONE = out -> {};

    void run(PrintStream out) throws Exception;
  }

  /** Builds a pipeline and returns the step to run once it ended {@code DONE}. */
  @FunctionalInterface
  public interface BuilderWithAfterRun<O> {
    AfterRun build(Pipeline pipeline, O options);
  }

  /** A command without a pipeline; returns the exit status. */
  @FunctionalInterface
  public interface Task<O> {
    int run(O options, PrintStream out) throws Exception;
  }

  private final String name;
  private final String description;
  private final Class<O> optionsClass;
  private final @Nullable BuilderWithAfterRun<O> builder;
  private final @Nullable Task<O> task;

  private PipelineDefinition(
      String name,
      String description,
      Class<O> optionsClass,
      @Nullable BuilderWithAfterRun<O> builder,
      @Nullable Task<O> task) {
    this.name = checkArgumentNotNull(name, "name");
    this.description = checkArgumentNotNull(description, "description");
    this.optionsClass = checkArgumentNotNull(optionsClass, "optionsClass");
    this.builder = builder;
    this.task = task;
  }

  /** A command that builds and runs a pipeline. */
  public static <O extends BeamsuiteOptions> PipelineDefinition<O> of(
      String name, String description, Class<O> optionsClass, BiConsumer<Pipeline, O> builder) {
    checkArgumentNotNull(builder, "builder");
    return new PipelineDefinition<>(
        name,
        description,
        optionsClass,
        (pipeline, options) -> {
          builder.accept(pipeline, options);
          return AfterRun.NONE;
        },
        null);
  }

  /**
   * A command that builds and runs a pipeline, then the step its build returned once the run ended
   * {@code DONE}; that step's failure fails the command.
   */
  public static <O extends BeamsuiteOptions> PipelineDefinition<O> withAfterRun(
      String name, String description, Class<O> optionsClass, BuilderWithAfterRun<O> builder) {
    return new PipelineDefinition<>(
        name, description, optionsClass, checkArgumentNotNull(builder, "builder"), null);
  }

  /** A command that runs no pipeline. */
  public static <O extends BeamsuiteOptions> PipelineDefinition<O> task(
      String name, String description, Class<O> optionsClass, Task<O> task) {
    return new PipelineDefinition<>(
        name, description, optionsClass, null, checkArgumentNotNull(task, "task"));
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

  /**
   * Adds the pipeline's steps to {@code pipeline}, reading its options from the pipeline; returns
   * the step to run once the pipeline ended {@code DONE} ({@link AfterRun#NONE} if there is none).
   */
  public AfterRun build(Pipeline pipeline) {
    if (builder == null) {
      throw new IllegalStateException(name + " is a task, not a pipeline");
    }
    return builder.build(pipeline, pipeline.getOptions().as(optionsClass));
  }

  /** Runs the task with its parsed options. */
  int runTask(BeamsuiteOptions options, PrintStream out) throws Exception {
    if (task == null) {
      throw new IllegalStateException(name + " runs a pipeline, not a task");
    }
    return task.run(options.as(optionsClass), out);
  }
}
