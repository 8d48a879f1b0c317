package io.beamsuite.pipelines.launcher;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Optional;
import org.apache.beam.sdk.Pipeline;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The main class of a Dataflow Flex Template built from the Dataflow jar (beamsuite-dataflow.jar):
 * a Flex Template passes only {@code --name=value} parameters, so the command comes from the
 * environment variable {@link #COMMAND_ENV} set at build time ({@code gcloud dataflow flex-template
 * build ... --jar=pipelines/target/beamsuite-dataflow.jar
 * --env=FLEX_TEMPLATE_JAVA_MAIN_CLASS=io.beamsuite.pipelines.launcher.FlexTemplateMain
 * --env=BEAMSUITE_COMMAND=clickstream}). It submits the pipeline and returns without waiting, as
 * the template launcher expects (docs/dataflow.md).
 *
 * <pre>{@code
 * BEAMSUITE_COMMAND=clickstream java -cp beamsuite-dataflow.jar \
 *     io.beamsuite.pipelines.launcher.FlexTemplateMain --runner=DataflowRunner --project=...
 * }</pre>
 */
public final class FlexTemplateMain {
  /** The environment variable naming the launcher command. */
  public static final String COMMAND_ENV = "BEAMSUITE_COMMAND";

  private FlexTemplateMain() {}

  public static void main(String[] args) {
    System.exit(run(System.getenv(COMMAND_ENV), args, System.out, System.err));
  }

  /** Submits {@code command} with {@code args}; returns the exit status (2: bad command line). */
  public static int run(@Nullable String command, String[] args, PrintStream out, PrintStream err) {
    Optional<PipelineDefinition<?>> definition =
        command == null ? Optional.empty() : PipelineCatalog.find(command);
    if (definition.isEmpty() || !definition.get().runsPipeline()) {
      err.printf(
          "error: %s must name a launcher command that runs a pipeline (got %s)%n",
          COMMAND_ENV, command);
      return Launcher.USAGE_ERROR;
    }
    // A template built from another runner jar fails here with the jar to use, not deep in Beam.
    Optional<String> wrongArtifact =
        RunnerArtifacts.check(RunnerArtifacts.current(), Arrays.asList(args));
    if (wrongArtifact.isPresent()) {
      err.printf("error: %s%n", wrongArtifact.get());
      return Launcher.USAGE_ERROR;
    }
    Pipeline pipeline;
    try {
      pipeline = Pipeline.create(Launcher.parseOptions(definition.get(), Arrays.asList(args)));
      definition.get().build(pipeline);
    } catch (IllegalArgumentException e) {
      err.printf("error: %s%n", e.getMessage());
      return Launcher.USAGE_ERROR;
    }
    pipeline.run(); // submitted; a template launcher does not wait for the job
    out.printf("%s submitted%n", command);
    return 0;
  }
}
