package io.beamsuite.pipelines.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.ExperimentalOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.MultimapState;
import org.apache.beam.sdk.state.SetState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.reflect.DoFnSignature;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PValue;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The offline Dataflow readiness check: a <em>template dry run</em> of the real {@code
 * DataflowRunner}. It builds a command's pipeline from the user's options, runs DataflowRunner's
 * client-side validation and translation with {@code --templateLocation} pointing at a local file,
 * a no-op path validator and no-op credentials, and reads back the job spec it wrote. Nothing is
 * sent to Google Cloud; the job is not launched (docs/dataflow.md says what that does not prove).
 *
 * <p>Runner v1 is the default; {@code --experiments=use_runner_v2} translates for Runner v2 (the
 * graph then goes into the staged pipeline proto). Batch or streaming follows the pipeline: a file
 * source is bounded (JOB_TYPE_BATCH), Kafka unbounded (JOB_TYPE_STREAMING). Runner v1 splits a
 * Kafka source at submission, so a streaming v1 dry run, like a real launch, needs the brokers
 * reachable from this machine.
 *
 * <p>On top of the runner's own checks it rejects what Dataflow refuses or runs wrongly and the
 * client does not notice (see {@link #problems}): {@code MapState}/{@code SetState} in Runner v2
 * streaming or in v1 streaming without Streaming Engine (found by state type, in any DoFn; the
 * built-in transforms use neither in streaming), and {@code --jdbcPassword} (it would be serialized
 * into the job spec).
 *
 * <pre>{@code
 * java -cp beamsuite-dataflow.jar io.beamsuite.pipelines.launcher.DataflowDryRun \
 *     /tmp/dry-run clickstream --source='file:/data/clicks/*.jsonl' --project=p --region=europe-west1
 * }</pre>
 */
public final class DataflowDryRun {
  static final String RUNNER_V2 = "use_runner_v2";
  private static final String NOOP_PATH_VALIDATOR =
      "org.apache.beam.sdk.extensions.gcp.storage.NoopPathValidator";
  private static final String NOOP_CREDENTIALS =
      "org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory";

  /** Options the dry run sets itself; a user value would be replaced, so it is refused instead. */
  private static final List<String> SET_BY_DRY_RUN =
      List.of(
          "runner",
          "templateLocation",
          "tempLocation",
          "gcpTempLocation",
          "stagingLocation",
          "pathValidatorClass",
          "credentialFactoryClass");

  private static final ObjectMapper JSON = new ObjectMapper();

  private DataflowDryRun() {}

  /** What one dry run produced. */
  public record Report(
      String command,
      boolean runnerV2,
      boolean streaming,
      Path specFile,
      JsonNode spec,
      @Nullable Path pipelineProto,
      List<String> stages) {
    /** {@code JOB_TYPE_BATCH} or {@code JOB_TYPE_STREAMING}, as the spec says. */
    public String jobType() {
      return spec.path("type").asText();
    }

    /** The user names of the Runner v1 steps (empty for Runner v2: the graph is in the proto). */
    public List<String> stepNames() {
      List<String> names = new ArrayList<>();
      for (JsonNode step : spec.path("steps")) {
        names.add(step.path("properties").path("user_name").path("value").asText());
      }
      return names;
    }

    /** The pipeline options as serialized into the spec. */
    public JsonNode options() {
      return spec.path("environment").path("sdkPipelineOptions").path("options");
    }

    String mode() {
      return (runnerV2 ? "Runner v2" : "Runner v1") + ", " + (streaming ? "streaming" : "batch");
    }
  }

  /** A pipeline that Dataflow would refuse, or run incorrectly, in the requested mode. */
  public static final class NotReadyException extends Exception {
    private static final long serialVersionUID = 1L;

    NotReadyException(String message) {
      super(message);
    }
  }

  /**
   * Dry-runs {@code definition} with the user's {@code args} (Beam options, without {@code
   * --runner}), writing the spec and staged files under {@code outDir}. {@code --project} and
   * {@code --region} default to placeholders; {@code --filesToStage} defaults to the jar holding
   * this class.
   *
   * @throws IllegalArgumentException for a bad command line (a task, a refused or invalid option)
   * @throws NotReadyException for a construct Dataflow would refuse or run wrongly in that mode
   */
  public static Report run(PipelineDefinition<?> definition, List<String> args, Path outDir)
      throws NotReadyException, IOException {
    if (!definition.runsPipeline()) {
      throw new IllegalArgumentException(
          definition.name() + " runs no pipeline (it is a task); there is nothing to translate");
    }
    for (String arg : args) {
      String name = optionName(arg);
      if (SET_BY_DRY_RUN.contains(name)) {
        throw new IllegalArgumentException(
            "--" + name + " is set by the dry run (it writes everything under " + outDir + ")");
      }
      if (name.equals("jdbcPassword")) {
        throw new IllegalArgumentException(
            "--jdbcPassword would be serialized into the job spec with the pipeline's JDBC steps;"
                + " on Dataflow use --jdbcPasswordEnv=NAME (a variable set in the workers' container)");
      }
    }
    Path absolute = outDir.toAbsolutePath();
    Path staging = Files.createDirectories(absolute.resolve("staging"));
    Path temp = Files.createDirectories(absolute.resolve("temp"));
    boolean runnerV2Requested =
        args.stream().anyMatch(a -> optionName(a).equals("experiments") && a.contains(RUNNER_V2));
    Path specFile =
        absolute.resolve(
            definition.name() + (runnerV2Requested ? "-runner-v2" : "-runner-v1") + ".json");
    Files.deleteIfExists(specFile);

    List<String> full = new ArrayList<>(args);
    full.add("--runner=DataflowRunner");
    addIfAbsent(full, "project", "dry-run-project");
    addIfAbsent(full, "region", "us-central1");
    addIfAbsent(full, "jobName", "beamsuite-" + definition.name());
    if (args.stream().noneMatch(a -> optionName(a).equals("filesToStage"))) {
      full.add("--filesToStage=" + ownJar());
    }
    full.add("--tempLocation=" + temp);
    full.add("--gcpTempLocation=" + temp);
    full.add("--stagingLocation=" + staging);
    full.add("--templateLocation=" + specFile);
    full.add("--pathValidatorClass=" + NOOP_PATH_VALIDATOR);
    full.add("--credentialFactoryClass=" + NOOP_CREDENTIALS);

    PipelineOptions options = Launcher.parseOptions(definition, full);
    Pipeline pipeline = Pipeline.create(options);
    definition.build(pipeline);
    Graph graph = Graph.of(pipeline);
    boolean runnerV2 = ExperimentalOptions.hasExperiment(options, RUNNER_V2);
    if (graph.unbounded) {
      // DataflowRunner switches to streaming itself (with a warning); say it up front.
      options.as(StreamingOptions.class).setStreaming(true);
    }
    boolean streaming = options.as(StreamingOptions.class).isStreaming();

    pipeline.run(); // writes the template; its result must not be used
    JsonNode spec = JSON.readTree(specFile.toFile());
    List<String> experiments = new ArrayList<>();
    spec.path("environment").path("experiments").forEach(e -> experiments.add(e.asText()));
    List<String> problems = problems(graph, runnerV2, streaming, experiments);
    String pipelineUrl =
        spec.path("environment")
            .path("sdkPipelineOptions")
            .path("options")
            .path("pipelineUrl")
            .asText("");
    Path proto = pipelineUrl.isEmpty() ? null : Path.of(pipelineUrl);
    removeStagedJars(staging);
    if (!problems.isEmpty()) {
      throw new NotReadyException(
          definition.name()
              + " is not ready for Dataflow ("
              + (runnerV2 ? "Runner v2" : "Runner v1")
              + (streaming ? ", streaming" : ", batch")
              + "):\n  - "
              + String.join("\n  - ", problems));
    }
    return new Report(
        definition.name(), runnerV2, streaming, specFile, spec, proto, List.copyOf(graph.stages));
  }

  /**
   * What Dataflow refuses or runs incorrectly and its client does not check, for a pipeline whose
   * DoFns are {@code graph.doFns}.
   */
  static List<String> problems(
      Graph graph, boolean runnerV2, boolean streaming, List<String> specExperiments) {
    Set<String> problems = new LinkedHashSet<>();
    if (!streaming) {
      return List.of();
    }
    boolean streamingEngine =
        specExperiments.contains("enable_streaming_engine")
            || specExperiments.contains("enable_windmill_service");
    for (DoFnAt fn : graph.doFns) {
      for (String state : fn.unorderedCollectionStates) {
        if (runnerV2) {
          problems.add(
              fn.step
                  + ": "
                  + state
                  + " is not supported by Runner v2 streaming jobs"
                  + " (use Runner v1 with Streaming Engine)");
        } else if (!streamingEngine) {
          problems.add(
              fn.step
                  + ": "
                  + state
                  + " needs Streaming Engine on Runner v1 streaming jobs"
                  + " (add --enableStreamingEngine)");
        }
      }
    }
    return List.copyOf(problems);
  }

  /** A stateful DoFn found in the graph. */
  record DoFnAt(String step, Class<?> doFnClass, List<String> unorderedCollectionStates) {}

  /** What the dry run needs to know about the pipeline as built (before runner overrides). */
  static final class Graph {
    final List<String> stages = new ArrayList<>();
    final List<DoFnAt> doFns = new ArrayList<>();
    boolean unbounded;

    static Graph of(Pipeline pipeline) {
      Graph graph = new Graph();
      pipeline.traverseTopologically(
          new Pipeline.PipelineVisitor.Defaults() {
            @Override
            public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
              if (!node.isRootNode() && node.getEnclosingNode().isRootNode()) {
                graph.stages.add(node.getFullName());
              }
              graph.inspect(node);
              return CompositeBehavior.ENTER_TRANSFORM;
            }

            @Override
            public void visitPrimitiveTransform(TransformHierarchy.Node node) {
              if (node.getEnclosingNode().isRootNode()) {
                graph.stages.add(node.getFullName());
              }
              graph.inspect(node);
            }

            @Override
            public void visitValue(PValue value, TransformHierarchy.Node producer) {
              if (value instanceof PCollection
                  && ((PCollection<?>) value).isBounded() == PCollection.IsBounded.UNBOUNDED) {
                graph.unbounded = true;
              }
            }
          });
      return graph;
    }

    private void inspect(TransformHierarchy.Node node) {
      PTransform<?, ?> transform = node.getTransform();
      DoFn<?, ?> fn = null;
      if (transform instanceof ParDo.MultiOutput) {
        fn = ((ParDo.MultiOutput<?, ?>) transform).getFn();
      } else if (transform instanceof ParDo.SingleOutput) {
        fn = ((ParDo.SingleOutput<?, ?>) transform).getFn();
      }
      String name = node.getFullName();
      if (fn == null || doFns.stream().anyMatch(d -> name.startsWith(d.step + "/"))) {
        return;
      }
      DoFnSignature signature = DoFnSignatures.getSignature(fn.getClass());
      List<String> states = new ArrayList<>();
      for (DoFnSignature.StateDeclaration state : signature.stateDeclarations().values()) {
        Class<?> type = state.stateType().getRawType();
        if (MapState.class.isAssignableFrom(type)
            || SetState.class.isAssignableFrom(type)
            || MultimapState.class.isAssignableFrom(type)) {
          states.add(type.getSimpleName() + " '" + state.id() + "'");
        }
      }
      doFns.add(new DoFnAt(name, fn.getClass(), states));
    }
  }

  private static String optionName(String arg) {
    return arg.replaceFirst("^--?", "").split("=", 2)[0];
  }

  private static void addIfAbsent(List<String> args, String name, String value) {
    if (args.stream().noneMatch(a -> optionName(a).equals(name))) {
      args.add("--" + name + "=" + value);
    }
  }

  /** The jar this class was loaded from (beamsuite-dataflow.jar when run with java -cp). */
  private static Path ownJar() {
    try {
      Path location =
          Path.of(DataflowDryRun.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (Files.isRegularFile(location)) {
        return location;
      }
    } catch (URISyntaxException | RuntimeException e) {
      // fall through
    }
    throw new IllegalArgumentException(
        "not running from a jar: pass --filesToStage=<the jar to stage>");
  }

  /** The spec names the staged copies; the copies themselves (the whole jar) are not kept. */
  private static void removeStagedJars(Path staging) throws IOException {
    try (DirectoryStream<Path> jars = Files.newDirectoryStream(staging, "*.jar")) {
      for (Path jar : jars) {
        Files.deleteIfExists(jar);
      }
    }
  }

  /**
   * {@code DataflowDryRun <out dir> <command> [beam options...]}: prints where the spec went; exit
   * 0 when it passes, 1 when Dataflow would refuse it (or translation failed), 2 on a bad command
   * line.
   */
  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length < 2) {
      err.println("usage: DataflowDryRun <out dir> <command> [beam options...]");
      return Launcher.USAGE_ERROR;
    }
    Optional<PipelineDefinition<?>> definition = PipelineCatalog.find(args[1]);
    if (definition.isEmpty()) {
      err.printf("error: unknown command '%s'%n", args[1]);
      return Launcher.USAGE_ERROR;
    }
    List<String> beamArgs = Arrays.asList(args).subList(2, args.length);
    try {
      Report report = run(definition.get(), beamArgs, Path.of(args[0]));
      out.printf(
          "%s (%s, %s): passes DataflowRunner's client-side validation and translation%n",
          report.command(), report.mode(), report.jobType());
      out.println("  dry run only: nothing was sent to Google Cloud, no job was launched");
      out.printf("  job spec:        %s%n", report.specFile());
      if (report.pipelineProto() != null) {
        out.printf("  pipeline proto:  %s%n", report.pipelineProto());
      }
      if (!report.runnerV2()) {
        out.printf("  steps:           %d%n", report.stepNames().size());
      }
      out.printf("  stages:          %s%n", String.join(", ", report.stages()));
      return 0;
    } catch (IllegalArgumentException e) {
      err.printf("error: %s%n", e.getMessage());
      return Launcher.USAGE_ERROR;
    } catch (NotReadyException e) {
      err.printf("error: %s%n", e.getMessage());
      return Launcher.RUN_FAILED;
    } catch (IOException | RuntimeException e) {
      String message = String.valueOf(e.getMessage());
      err.printf("error: DataflowRunner did not translate %s: %s%n", args[1], e);
      if (message.toLowerCase(Locale.ROOT).contains("fetching topic metadata")) {
        err.println(
            "  Runner v1 splits the Kafka source at submission: the machine that launches (or dry-runs)"
                + " the job must reach --bootstrapServers, as the workers must. Start one (run-scripts/"
                + "sandbox.sh start) or check with --experiments=use_runner_v2, which does not connect.");
      }
      return Launcher.RUN_FAILED;
    }
  }
}
