package io.beamsuite.bundled;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code run-scripts/run-dataflow.sh --dry-run} on the Dataflow jar (beamsuite-dataflow.jar), the
 * way a user on a fresh clone runs it: no Google credentials (a fresh {@code HOME}, no {@code
 * GOOGLE_APPLICATION_CREDENTIALS}, no {@code NO_GCE_CHECK} in the environment: the script sets it),
 * no network to Google. This is what proves the shaded jar carries a working DataflowRunner (its
 * registrars merged, its options loadable without Hamcrest); {@link DataflowReadinessTest} covers
 * every command and mode in process.
 */
public class DataflowDryRunIT {
  private static final Path REPO = Path.of("..", "..").toAbsolutePath().normalize();
  private static final Path DATAFLOW_JAR = LaunchedJar.DATAFLOW_JAR;

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private record Result(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
    }
  }

  private Result script(String... args) throws Exception {
    assertTrue(
        "the Dataflow jar must exist (failsafe runs after package)",
        Files.isRegularFile(DATAFLOW_JAR));
    List<String> command =
        new ArrayList<>(List.of("bash", REPO.resolve("run-scripts/run-dataflow.sh").toString()));
    command.addAll(List.of(args));
    Path out = tmp.newFile().toPath();
    Path err = tmp.newFile().toPath();
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(REPO.toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    Map<String, String> env = builder.environment();
    env.remove("GOOGLE_APPLICATION_CREDENTIALS");
    env.remove("CLOUDSDK_CONFIG");
    env.remove("NO_GCE_CHECK");
    env.remove("BEAMSUITE_JAVA_OPTS");
    env.put("HOME", tmp.newFolder().toString());
    env.put("BEAMSUITE_STATE_DIR", tmp.newFolder().toString());
    env.remove("BEAMSUITE_PIPELINES_JAR");
    env.put(
        "BEAMSUITE_ARTIFACTS_DIR", LaunchedJar.ARTIFACTS.toAbsolutePath().normalize().toString());
    Process process = builder.start();
    assertTrue(command + " did not finish in 180 s", process.waitFor(180, TimeUnit.SECONDS));
    return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
  }

  private static JsonNode spec(Result result) throws Exception {
    Matcher m = Pattern.compile("job spec: +(\\S+)").matcher(result.out());
    assertTrue(result.toString(), m.find());
    return new ObjectMapper().readTree(Path.of(m.group(1)).toFile());
  }

  @Test
  public void batchOnRunnerV1AndStreamingOnRunnerV2WithoutCredentials() throws Exception {
    Path dir = tmp.newFolder("batch").toPath();
    Result batch =
        script(
            "clickstream",
            "--dry-run=" + dir,
            "--source=file:/data/clicks/*.jsonl",
            "--project",
            "demo-project",
            "--region",
            "europe-west1");
    assertEquals(batch.toString(), 0, batch.exit());
    assertThat(
        batch.out(),
        containsString("passes DataflowRunner's client-side validation and translation"));
    assertThat(batch.out(), containsString("no job was launched"));
    JsonNode spec = spec(batch);
    assertEquals("JOB_TYPE_BATCH", spec.path("type").asText());
    assertTrue(spec.path("steps").size() > 10);
    JsonNode options = spec.path("environment").path("sdkPipelineOptions").path("options");
    assertEquals("demo-project", options.path("project").asText());
    assertEquals("europe-west1", options.path("region").asText());
    // The Dataflow jar is what the spec stages (the copy itself is not kept).
    assertThat(
        spec.path("environment")
            .path("workerPools")
            .path(0)
            .path("packages")
            .path(0)
            .path("name")
            .asText(),
        containsString("beamsuite-dataflow"));

    // Runner v2 does not split the Kafka source at submission: no broker needed.
    Result streaming =
        script(
            "cdc-replication",
            "--dry-run=" + tmp.newFolder("streaming").toPath(),
            "--experiments=use_runner_v2",
            "--enableStreamingEngine");
    assertEquals(streaming.toString(), 0, streaming.exit());
    assertThat(streaming.out(), containsString("Runner v2, streaming, JOB_TYPE_STREAMING"));
    assertEquals("JOB_TYPE_STREAMING", spec(streaming).path("type").asText());
    Matcher proto = Pattern.compile("pipeline proto: +(\\S+)").matcher(streaming.out());
    assertTrue(streaming.toString(), proto.find());
    assertTrue(Files.size(Path.of(proto.group(1))) > 1000);
  }

  @Test
  public void flexTemplateMetadataForEveryPipeline() throws Exception {
    Path dir = tmp.newFolder("templates").toPath();
    Result result = script("--flex-template-metadata", dir.toString());
    assertEquals(result.toString(), 0, result.exit());
    for (String command : List.of("clickstream", "fraud", "sensors", "cdc-replication")) {
      Path file = dir.resolve(command).resolve("metadata.json");
      assertThat(result.out(), containsString(file.toString()));
      JsonNode metadata = new ObjectMapper().readTree(file.toFile());
      assertEquals("beamsuite " + command, metadata.path("name").asText());
      assertTrue(metadata.path("parameters").size() > 10);
    }
  }
}
