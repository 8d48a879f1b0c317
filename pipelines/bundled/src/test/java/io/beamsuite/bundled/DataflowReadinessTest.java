package io.beamsuite.bundled;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.beamsuite.pipelines.launcher.DataflowDryRun;
import io.beamsuite.pipelines.launcher.DataflowDryRun.NotReadyException;
import io.beamsuite.pipelines.launcher.DataflowDryRun.Report;
import io.beamsuite.pipelines.launcher.FlexTemplateMain;
import io.beamsuite.pipelines.launcher.PipelineCatalog;
import io.beamsuite.pipelines.launcher.PipelineDefinition;
import io.beamsuite.pipelines.testing.SandboxProcess;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The offline Dataflow readiness check (docs/dataflow.md): every launcher command that runs a
 * pipeline ({@link PipelineCatalog#all()}, so Lambda and Kappa commands are covered once they are
 * registered) goes through a template dry run of the real DataflowRunner ({@link DataflowDryRun})
 * in Runner v1 and Runner v2, batch (file source) and streaming (Kafka source), and the job spec it
 * writes is checked. A command that stops translating fails here; so does a declaration in {@link
 * #DECLARED_NOT_READY} that no longer holds.
 *
 * <p>Runner v1 splits the Kafka source at submission, so streaming runs use a real broker (the
 * Kafka of a {@link SandboxProcess}, topics auto-created; a child JVM because this classpath's
 * Scala is Spark's 2.12). Translation only: no job is launched.
 */
public class DataflowReadinessTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  /** How a command runs: the options that make it batch or streaming, and the runner version. */
  enum Mode {
    BATCH_V1(false, false),
    BATCH_V2(false, true),
    STREAMING_V1(true, false),
    STREAMING_V2(true, true);

    final boolean streaming;
    final boolean runnerV2;

    Mode(boolean streaming, boolean runnerV2) {
      this.streaming = streaming;
      this.runnerV2 = runnerV2;
    }
  }

  /**
   * Command and mode that must NOT pass, with what the error must say: a refusal of the Dataflow
   * checks, or a mode the command does not have (e.g. a batch-only command refusing a Kafka
   * source). Every pipeline passes streaming on Runner v2: the engine decides lateness from its own
   * timers and uses no MapState/SetState in streaming. A command missing here must pass in every
   * mode; a command listed here that passes fails the test.
   */
  static final Map<String, String> DECLARED_NOT_READY =
      Map.of(
          "lambda-archive/" + Mode.BATCH_V1, "lambda-archive reads Kafka",
          "lambda-archive/" + Mode.BATCH_V2, "lambda-archive reads Kafka",
          "lambda-batch/" + Mode.STREAMING_V1, "the batch layer reads the master dataset",
          "lambda-batch/" + Mode.STREAMING_V2, "the batch layer reads the master dataset");

  /**
   * Options a command cannot run without, beyond the sources. lambda-batch reads the served version
   * from PostgreSQL when it builds (the sandbox's, here).
   */
  private static Map<String, List<String>> requiredArgs() {
    return Map.of(
        "lambda-archive", List.of("--archiveDir=" + input.resolve("master")),
        "lambda-batch",
            List.of(
                "--cutoff=2024-01-01T02:00:00Z",
                "--jdbcUrl=" + sandbox.setting("postgres.jdbcUrl"),
                "--jdbcUser=" + sandbox.setting("postgres.user")),
        "lambda-speed", List.of("--cutoff=2024-01-01T02:00:00Z"));
  }

  /**
   * Stages of the built-in pipelines that must survive translation (names docs/pipelines.md uses).
   */
  static final Map<String, List<String>> EXPECTED_STAGES =
      Map.of(
          "clickstream",
          List.of(
              "ReadClicks",
              "UniqueClicks",
              "PageViewsPerMinute",
              "UserSessions",
              "ActiveUsers",
              "WritePageViews",
              "WriteUserSessions",
              "WriteActiveUsers",
              "DeadLetters"),
          "fraud",
          List.of(
              "ReadTransactions",
              "UniqueTransactions",
              "ReadCustomerChanges",
              "CreditLimitAsOfEventTime",
              "WriteAlerts",
              "DeadLetters"),
          "sensors",
          List.of(
              "ReadSensorReadings",
              "UniqueReadings",
              "StatsPerSeriesWindow",
              "ScoreAgainstPreviousWindow",
              "WriteSensorAnomalies",
              "DeadLetters"),
          "cdc-replication",
          List.of("ReadChanges", "ParseChanges", "ApplyChanges", "WriteReplica", "DeadLetters"));

  private static SandboxProcess sandbox;
  private static String bootstrapServers;
  private static Path stagedJar;
  private static Path input;

  @BeforeClass
  public static void startKafka() throws Exception {
    sandbox = SandboxProcess.start(TMP.newFolder("sandbox").toPath());
    bootstrapServers = sandbox.setting("kafka.bootstrap");
    input = TMP.newFolder("input").toPath();
    // What gets staged does not matter to translation; a tiny jar keeps each run fast.
    stagedJar = TMP.getRoot().toPath().resolve("staged.jar");
    try (OutputStream os = Files.newOutputStream(stagedJar);
        JarOutputStream jar = new JarOutputStream(os, new Manifest())) {
      jar.flush();
    }
  }

  @AfterClass
  public static void stopKafka() throws InterruptedException {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  private static List<String> args(PipelineDefinition<?> command, Mode mode, String... extra) {
    List<String> args = new ArrayList<>();
    args.add("--filesToStage=" + stagedJar);
    // Every source option (--source, fraud's --customersSource, ...) is a file glob for a batch
    // run and Kafka for a streaming one.
    for (String source : PipelineCommands.sourceOptions(command)) {
      args.add(
          "--"
              + source
              + "="
              + (mode.streaming ? "kafka" : "file:" + input + "/" + source + "/*.jsonl"));
    }
    if (mode.streaming) {
      args.add("--bootstrapServers=" + bootstrapServers);
      // The docs' recommended streaming flags: MapState needs Streaming Engine on Runner v1.
      args.add("--enableStreamingEngine");
    }
    if (mode.runnerV2) {
      args.add("--experiments=use_runner_v2");
    }
    args.addAll(requiredArgs().getOrDefault(command.name(), List.of()));
    args.addAll(List.of(extra));
    return args;
  }

  private static Report dryRun(PipelineDefinition<?> command, Mode mode, String... extra)
      throws Exception {
    Path out = TMP.newFolder().toPath();
    return DataflowDryRun.run(command, args(command, mode, extra), out);
  }

  @Test
  public void everyPipelineCommandTranslatesInEveryModeItDeclares() throws Exception {
    List<String> failures = new ArrayList<>();
    Set<String> checked = new TreeSet<>();
    for (PipelineDefinition<?> command : PipelineCatalog.all()) {
      if (!command.runsPipeline()) {
        continue;
      }
      for (Mode mode : Mode.values()) {
        String key = command.name() + "/" + mode;
        checked.add(key);
        String declared = DECLARED_NOT_READY.get(key);
        try {
          Report report = dryRun(command, mode);
          if (declared != null) {
            failures.add(
                key
                    + ": declared not ready ("
                    + declared
                    + ") but it passed; update"
                    + " DECLARED_NOT_READY and docs/dataflow.md");
            continue;
          }
          checkSpec(command.name(), mode, report);
        } catch (NotReadyException | IllegalArgumentException e) {
          if (declared == null || !String.valueOf(e.getMessage()).contains(declared)) {
            failures.add(key + ": " + e);
          }
        } catch (Exception | AssertionError e) {
          failures.add(key + ": " + e);
        }
      }
    }
    assertEquals("failures:\n" + String.join("\n", failures), List.of(), failures);
    // Every declaration names a real command and mode (a renamed command cannot hide one).
    for (String key : DECLARED_NOT_READY.keySet()) {
      assertThat(checked, hasItem(key));
    }
    assertThat(checked, hasItems("clickstream/BATCH_V1", "cdc-replication/STREAMING_V2"));
  }

  private static void checkSpec(String command, Mode mode, Report report) throws Exception {
    String what = command + "/" + mode;
    assertEquals(what, mode.streaming ? "JOB_TYPE_STREAMING" : "JOB_TYPE_BATCH", report.jobType());
    assertEquals(what, mode.streaming, report.streaming());
    assertEquals(what, mode.runnerV2, report.runnerV2());
    JsonNode experiments = report.spec().path("environment").path("experiments");
    assertEquals(what, mode.runnerV2, contains(experiments, "use_runner_v2"));
    assertFalse(what + ": no stages", report.stages().isEmpty());
    List<String> expected = EXPECTED_STAGES.getOrDefault(command, List.of());
    assertTrue(what + ": " + report.stages(), report.stages().containsAll(expected));

    // The staged pipeline proto is there in both modes; on Runner v2 it is the graph itself.
    assertNotNull(what + ": no pipelineUrl", report.pipelineProto());
    RunnerApi.Pipeline proto =
        RunnerApi.Pipeline.parseFrom(Files.readAllBytes(report.pipelineProto()));
    Set<String> protoNames = new TreeSet<>();
    proto
        .getComponents()
        .getTransformsMap()
        .values()
        .forEach(t -> protoNames.add(t.getUniqueName()));
    for (String stage : report.stages()) {
      assertThat(what + ": stage missing from the pipeline proto", protoNames, hasItem(stage));
    }
    if (mode.runnerV2) {
      assertEquals(
          what + ": Runner v2 specs carry no v1 steps", 0, report.spec().path("steps").size());
      assertTrue(what, proto.getRootTransformIdsCount() > 0);
    } else {
      // Runner v1: every stage is translated into steps named after it.
      List<String> steps = report.stepNames();
      for (String stage : report.stages()) {
        assertTrue(
            what + ": no Runner v1 step for stage " + stage + " in " + steps,
            steps.stream().anyMatch(s -> s.equals(stage) || s.startsWith(stage + "/")));
      }
    }
  }

  private static boolean contains(JsonNode array, String value) {
    for (JsonNode e : array) {
      if (e.asText().equals(value)) {
        return true;
      }
    }
    return false;
  }

  private static PipelineDefinition<?> command(String name) {
    return PipelineCatalog.find(name).orElseThrow();
  }

  @Test
  public void networkingAndIdentityOptionsPassThroughUntouched() throws Exception {
    for (Mode mode : List.of(Mode.BATCH_V1, Mode.STREAMING_V1)) {
      Report report =
          dryRun(
              command("cdc-replication"),
              mode,
              "--usePublicIps=false",
              "--network=beam-vpc",
              "--subnetwork=regions/europe-west1/subnetworks/beam-subnet",
              "--serviceAccount=beam-runner@demo-project.iam.gserviceaccount.com",
              "--project=demo-project",
              "--region=europe-west1");
      JsonNode options = report.options();
      assertEquals(false, options.path("usePublicIps").asBoolean(true));
      assertEquals("beam-vpc", options.path("network").asText());
      assertEquals(
          "regions/europe-west1/subnetworks/beam-subnet", options.path("subnetwork").asText());
      assertEquals(
          "beam-runner@demo-project.iam.gserviceaccount.com",
          options.path("serviceAccount").asText());
      assertEquals("demo-project", options.path("project").asText());
      assertEquals("europe-west1", options.path("region").asText());
      // ... and reach the worker pool and job environment the service reads.
      JsonNode environment = report.spec().path("environment");
      JsonNode pool = environment.path("workerPools").path(0);
      assertEquals("beam-vpc", pool.path("network").asText());
      assertEquals(
          "regions/europe-west1/subnetworks/beam-subnet", pool.path("subnetwork").asText());
      assertEquals("WORKER_IP_PRIVATE", pool.path("ipConfiguration").asText());
      assertEquals(
          "beam-runner@demo-project.iam.gserviceaccount.com",
          environment.path("serviceAccountEmail").asText());
    }
  }

  @Test
  public void jdbcPasswordIsRefusedAndThePasswordEnvNameIsAllThatReachesTheSpec() throws Exception {
    String secret = "S3cr3t-" + System.nanoTime();
    try {
      dryRun(command("clickstream"), Mode.BATCH_V1, "--jdbcPassword=" + secret);
      fail("--jdbcPassword must be refused for Dataflow");
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage(), containsString("--jdbcPasswordEnv"));
      assertThat(e.getMessage(), not(containsString(secret)));
    }

    Report report =
        dryRun(
            command("clickstream"),
            Mode.BATCH_V1,
            "--jdbcUrl=jdbc:postgresql://10.0.0.5:5432/beamsuite",
            "--jdbcPasswordEnv=BEAMSUITE_DB_PASSWORD");
    String spec = Files.readString(report.specFile(), StandardCharsets.UTF_8);
    assertEquals("BEAMSUITE_DB_PASSWORD", report.options().path("jdbcPasswordEnv").asText());
    assertFalse(report.options().has("jdbcPassword"));
    assertThat(spec, containsString("jdbc:postgresql://10.0.0.5:5432/beamsuite"));
  }

  /**
   * Kafka security settings stay out of the Dataflow job: with {@code --kafkaProperties} (plain,
   * shown) and a {@code --kafkaSecretsFile} holding a SASL JAAS password and a truststore password,
   * on Runner v1 and v2, batch and streaming, the secret appears nowhere in what a launch would
   * send: not in the spec file as text, not in any step's {@code serialized_fn} (decoded from the
   * spec's byte-string encoding and Snappy-decompressed into the Java-serialized DoFn), and not in
   * the staged pipeline proto (raw bytes, and every ParDo's DoFn payload decompressed likewise).
   * What does travel is the file's path, inside the Kafka steps' serialized client factory.
   */
  @Test
  public void kafkaSecretsStayOutOfTheJobSpecAndItsSerializedSteps() throws Exception {
    String secret = "K4fka-" + System.nanoTime();
    Path secrets = TMP.newFile("kafka-secrets.properties").toPath();
    Files.writeString(
        secrets,
        "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required"
            + " username=\"beamsuite\" password=\""
            + secret
            + "\";\n"
            + "ssl.truststore.password="
            + secret
            + "\n");
    for (Mode mode : List.of(Mode.BATCH_V1, Mode.BATCH_V2, Mode.STREAMING_V1)) {
      Report report =
          dryRun(
              command("clickstream"),
              mode,
              "--kafkaProperties=security.protocol=PLAINTEXT,client.dns.lookup=use_all_dns_ips",
              "--kafkaSecretsFile=" + secrets,
              "--deadLetterTopic=dead-letters",
              "--jdbcPasswordEnv=BEAMSUITE_DB_PASSWORD");
      String spec = Files.readString(report.specFile(), StandardCharsets.UTF_8);
      assertThat(
          mode + ": the plain properties are shown", spec, containsString("use_all_dns_ips"));
      assertThat(mode + ": the path travels", spec, containsString(secrets.toString()));
      assertFalse(mode + ": secret in the spec text", spec.contains(secret));

      List<byte[]> blobs = new ArrayList<>();
      collectSerializedFns(new com.fasterxml.jackson.databind.ObjectMapper().readTree(spec), blobs);
      byte[] proto = Files.readAllBytes(report.pipelineProto());
      assertFalse(mode + ": secret in the pipeline proto", latin1(proto).contains(secret));
      for (RunnerApi.PTransform t :
          RunnerApi.Pipeline.parseFrom(proto).getComponents().getTransformsMap().values()) {
        if (t.getSpec().getUrn().equals("beam:transform:pardo:v1")) {
          blobs.add(
              snappy(
                  RunnerApi.ParDoPayload.parseFrom(t.getSpec().getPayload())
                      .getDoFn()
                      .getPayload()
                      .toByteArray()));
        }
      }
      long withPath = blobs.stream().filter(b -> latin1(b).contains(secrets.toString())).count();
      System.out.printf(
          "%s: %d serialized DoFns decoded, %d hold the secrets file path, none the secret%n",
          mode, blobs.size(), withPath);
      // The decoding must reach the Kafka steps' factory, or it would prove nothing.
      assertTrue(mode + ": no decoded DoFn holds the secrets file path", withPath > 0);
      for (byte[] blob : blobs) {
        assertFalse(mode + ": secret in a serialized DoFn", latin1(blob).contains(secret));
      }
    }
  }

  /** Every {@code serialized_fn} of the spec, decoded and decompressed to Java serialization. */
  private static void collectSerializedFns(JsonNode node, List<byte[]> out) throws Exception {
    if (node.isObject()) {
      var fields = node.fields();
      while (fields.hasNext()) {
        var field = fields.next();
        if (field.getKey().equals("serialized_fn") && field.getValue().isTextual()) {
          out.add(
              snappy(
                  org.apache.beam.sdk.util.StringUtils.jsonStringToByteArray(
                      field.getValue().asText())));
        } else {
          collectSerializedFns(field.getValue(), out);
        }
      }
    } else if (node.isArray()) {
      for (JsonNode item : node) {
        collectSerializedFns(item, out);
      }
    }
  }

  /** Beam's SerializableUtils writes Java serialization through Snappy framing. */
  private static byte[] snappy(byte[] compressed) throws Exception {
    try (org.xerial.snappy.SnappyInputStream in =
        new org.xerial.snappy.SnappyInputStream(new java.io.ByteArrayInputStream(compressed))) {
      return in.readAllBytes();
    }
  }

  private static String latin1(byte[] bytes) {
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }

  /**
   * Why {@code --jdbcPassword} is refused: {@code @JsonIgnore} keeps it out of the options in the
   * spec, but the JDBC steps' serialized DoFns carry it. If this ever stops holding (the password
   * no longer serialized), the refusal in DataflowDryRun and the docs can be relaxed.
   */
  @Test
  public void aJdbcPasswordWouldBeSerializedIntoTheSpecsSteps() throws Exception {
    String secret = "S3cr3t" + System.nanoTime();
    Path out = TMP.newFolder().toPath();
    Path spec = out.resolve("spec.json");
    List<String> args = new ArrayList<>(templateArgs(out, spec));
    args.add("--source=file:" + input + "/*.jsonl");
    args.add("--jdbcPassword=" + secret);
    PipelineDefinition<?> clickstream = command("clickstream");
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs(args.toArray(new String[0]))
                .as(clickstream.optionsClass()));
    clickstream.build(p);
    p.run();
    String json = Files.readString(spec, StandardCharsets.UTF_8);
    JsonNode options =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(json)
            .path("environment")
            .path("sdkPipelineOptions")
            .path("options");
    assertFalse("kept out of the options", options.has("jdbcPassword"));
    assertThat("but inside the steps' serialized DoFns", json, containsString(secret));
  }

  @Test
  public void noBuiltInPipelineUsesMapStateInStreaming() throws Exception {
    // Without Streaming Engine, Runner v1 streaming refuses MapState/SetState: the built-in
    // transforms use neither in streaming, so clickstream passes even then.
    List<String> args = new ArrayList<>(args(command("clickstream"), Mode.STREAMING_V1));
    args.remove("--enableStreamingEngine");
    Report report = DataflowDryRun.run(command("clickstream"), args, TMP.newFolder().toPath());
    assertEquals("JOB_TYPE_STREAMING", report.jobType());
  }

  /** The Flex Template main class builds the command named by BEAMSUITE_COMMAND and submits it. */
  @Test
  public void flexTemplateMainSubmitsTheCommandItIsGiven() throws Exception {
    Path out = TMP.newFolder().toPath();
    Path spec = out.resolve("spec.json");
    List<String> args = new ArrayList<>(templateArgs(out, spec));
    args.add("--source=file:" + input + "/*.jsonl");
    java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
    java.io.PrintStream stream = new java.io.PrintStream(printed, true, StandardCharsets.UTF_8);
    assertEquals(
        0, FlexTemplateMain.run("cdc-replication", args.toArray(new String[0]), stream, stream));
    assertThat(
        printed.toString(StandardCharsets.UTF_8), containsString("cdc-replication submitted"));
    JsonNode written = new com.fasterxml.jackson.databind.ObjectMapper().readTree(spec.toFile());
    assertEquals("JOB_TYPE_BATCH", written.path("type").asText());
    assertTrue(written.toString(), written.toString().contains("ApplyChanges"));

    assertEquals(2, FlexTemplateMain.run(null, new String[0], stream, stream));
    assertEquals(2, FlexTemplateMain.run("no-such-command", new String[0], stream, stream));
    assertThat(
        printed.toString(StandardCharsets.UTF_8), containsString("BEAMSUITE_COMMAND must name"));
  }

  /** What DataflowDryRun adds, written out: a template dry run without its checks. */
  private static List<String> templateArgs(Path out, Path spec) {
    return List.of(
        "--runner=DataflowRunner",
        "--project=demo-project",
        "--region=us-central1",
        "--filesToStage=" + stagedJar,
        "--tempLocation=" + out,
        "--gcpTempLocation=" + out,
        "--stagingLocation=" + out,
        "--templateLocation=" + spec,
        "--pathValidatorClass=org.apache.beam.sdk.extensions.gcp.storage.NoopPathValidator",
        "--credentialFactoryClass=org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory");
  }
}
