package io.beamsuite.pipelines.launcher;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The Dataflow Flex Template {@code metadata.json} of a launcher command, derived from its options
 * interface: one parameter per beamsuite option, help text from its {@code @Description}, default
 * from its {@code @Default.*} (the same source as {@code --help}, so nothing is written twice).
 * Options marked {@code @JsonIgnore} (secrets such as {@code --jdbcPassword}) are left out:
 * template parameters are stored with the job.
 *
 * <pre>{@code
 * java -cp beamsuite-dataflow.jar io.beamsuite.pipelines.launcher.FlexTemplateMetadata out/
 * # writes out/<command>/metadata.json for every command that runs a pipeline
 * }</pre>
 */
public final class FlexTemplateMetadata {
  private static final ObjectMapper JSON = new ObjectMapper();

  private FlexTemplateMetadata() {}

  /** The metadata of {@code definition}. */
  public static ObjectNode of(PipelineDefinition<?> definition) {
    ObjectNode metadata = JSON.createObjectNode();
    metadata.put("name", "beamsuite " + definition.name());
    metadata.put(
        "description",
        definition.description()
            + " (beamsuite launcher command '"
            + definition.name()
            + "'; main class "
            + FlexTemplateMain.class.getName()
            + " of "
            + RunnerArtifacts.DATAFLOW
            + " with "
            + FlexTemplateMain.COMMAND_ENV
            + "="
            + definition.name()
            + ")");
    ArrayNode parameters = metadata.putArray("parameters");
    for (Method getter : OptionsHelp.getters(definition.optionsClass())) {
      if (getter.getAnnotation(JsonIgnore.class) != null) {
        continue;
      }
      String name = OptionsHelp.optionName(getter);
      org.apache.beam.sdk.options.Description description =
          getter.getAnnotation(org.apache.beam.sdk.options.Description.class);
      @Nullable String value = OptionsHelp.defaultValue(definition.optionsClass(), getter);
      ObjectNode parameter = parameters.addObject();
      parameter.put("name", name);
      parameter.put("label", name);
      parameter.put("helpText", description == null ? name : description.value());
      parameter.put("isOptional", true);
      if (value != null) {
        parameter.put("defaultValue", value);
      }
    }
    return metadata;
  }

  /** Writes {@code <dir>/<command>/metadata.json} for every command that runs a pipeline. */
  public static List<Path> writeAll(Path dir) throws IOException {
    List<Path> written = new ArrayList<>();
    for (PipelineDefinition<?> definition : PipelineCatalog.all()) {
      if (!definition.runsPipeline()) {
        continue;
      }
      Path file = Files.createDirectories(dir.resolve(definition.name())).resolve("metadata.json");
      JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), of(definition));
      written.add(file);
    }
    return written;
  }

  /** {@code FlexTemplateMetadata <dir>}: prints the files it wrote. */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: FlexTemplateMetadata <out dir>");
      System.exit(Launcher.USAGE_ERROR);
    }
    for (Path file : writeAll(Path.of(args[0]))) {
      System.out.println(file);
    }
  }
}
