package io.beamsuite.pipelines.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.beamsuite.pipelines.clickstream.ClickstreamOptions;
import io.beamsuite.pipelines.options.BeamsuiteOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.options.Description;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The Flex Template {@code metadata.json} is derived from the options interfaces: one parameter per
 * option {@code --help} lists, with the same description and default, and no secrets.
 */
public class FlexTemplateMetadataTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static Map<String, JsonNode> parameters(JsonNode metadata) {
    Map<String, JsonNode> byName = new TreeMap<>();
    for (JsonNode parameter : metadata.path("parameters")) {
      byName.put(parameter.path("name").asText(), parameter);
    }
    return byName;
  }

  @Test
  public void clickstreamParametersComeFromItsOptionsInterface() throws Exception {
    JsonNode metadata = FlexTemplateMetadata.of(PipelineCatalog.find("clickstream").orElseThrow());
    assertEquals("beamsuite clickstream", metadata.path("name").asText());
    assertTrue(metadata.path("description").asText().contains("BEAMSUITE_COMMAND=clickstream"));

    Map<String, JsonNode> parameters = parameters(metadata);
    JsonNode source = parameters.get("source");
    assertEquals(
        BeamsuiteOptions.class.getMethod("getSource").getAnnotation(Description.class).value(),
        source.path("helpText").asText());
    assertEquals("kafka", source.path("defaultValue").asText());
    assertTrue(source.path("isOptional").asBoolean());
    assertEquals(
        ClickstreamOptions.class
            .getMethod("getSessionGapMinutes")
            .getAnnotation(Description.class)
            .value(),
        parameters.get("sessionGapMinutes").path("helpText").asText());
    assertEquals("30", parameters.get("sessionGapMinutes").path("defaultValue").asText());
    // No @Default: no defaultValue (Beam's null), still optional.
    assertFalse(parameters.get("groupId").has("defaultValue"));
    assertEquals(
        "jdbcPasswordEnv is a name, not a secret", true, parameters.containsKey("jdbcPasswordEnv"));
    assertFalse("secrets are not template parameters", parameters.containsKey("jdbcPassword"));
  }

  @Test
  public void everyPipelineCommandGetsOneParameterPerHelpOptionExceptSecrets() throws Exception {
    Path dir = tmp.newFolder("templates").toPath();
    List<Path> written = FlexTemplateMetadata.writeAll(dir);
    List<String> commands = new ArrayList<>();
    for (PipelineDefinition<?> definition : PipelineCatalog.all()) {
      if (!definition.runsPipeline()) {
        continue;
      }
      commands.add(definition.name());
      Path file = dir.resolve(definition.name()).resolve("metadata.json");
      assertTrue(written.contains(file));
      Map<String, JsonNode> parameters =
          parameters(new ObjectMapper().readTree(Files.readString(file)));
      List<String> expected = new ArrayList<>();
      for (var getter : OptionsHelp.getters(definition.optionsClass())) {
        if (!OptionsHelp.optionName(getter).equals("jdbcPassword")) {
          expected.add(OptionsHelp.optionName(getter));
        }
      }
      assertEquals(definition.name(), expected, new ArrayList<>(parameters.keySet()));
      for (JsonNode parameter : parameters.values()) {
        assertFalse(
            definition.name() + ": " + parameter, parameter.path("helpText").asText().isBlank());
      }
    }
    assertEquals(commands.size(), written.size());
    assertTrue(commands.containsAll(List.of("clickstream", "fraud", "sensors", "cdc-replication")));
  }
}
