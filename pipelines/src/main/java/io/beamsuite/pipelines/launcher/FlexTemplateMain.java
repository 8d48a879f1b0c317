package io.beamsuite.pipelines.launcher;

import java.util.Arrays;
import java.util.Optional;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;

/**
 * The main class of a Dataflow Flex Template built from the bundled jar: a Flex Template passes
 * only {@code --name=value} parameters, so the command comes from the environment variable {@link
 * #COMMAND_ENV} set at build time ({@code gcloud dataflow flex-template build ...
 * --env=FLEX_TEMPLATE_JAVA_MAIN_CLASS=io.beamsuite.pipelines.launcher.FlexTemplateMain
 * --env=BEAMSUITE_COMMAND=clickstream}). It submits the pipeline and returns without waiting, as
 * the template launcher expects (docs/dataflow.md).
 *
 * <pre>{@code
 * BEAMSUITE_COMMAND=clickstream java -cp beamsuite-pipelines-bundled.jar \
 *     io.beamsuite.pipelines.launcher.FlexTemplateMain --runner=DataflowRunner --project=...
 * }</pre>
 */
public final class FlexTemplateMain {
  /** The environment variable naming the launcher command. */
  public static final String COMMAND_ENV = "BEAMSUITE_COMMAND";

  private FlexTemplateMain() {}

  public static void main(String[] args) {
    String command = System.getenv(COMMAND_ENV);
    Optional<PipelineDefinition<?>> definition =
        command == null ? Optional.empty() : PipelineCatalog.find(command);
    if (definition.isEmpty() || !definition.get().runsPipeline()) {
      System.err.printf(
          "error: %s must name a launcher command that runs a pipeline (got %s)%n", COMMAND_ENV, command);
      System.exit(Launcher.USAGE_ERROR);
      return;
    }
    Pipeline pipeline = Pipeline.create(Launcher.parseOptions(definition.get(), Arrays.asList(args)));
    definition.get().build(pipeline);
    PipelineResult result = pipeline.run();
    System.out.printf("%s submitted: %s%n", command, result);
  }
}
