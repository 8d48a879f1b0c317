package io.beamsuite.pipelines.launcher;

import io.beamsuite.pipelines.options.BeamsuiteOptions;
import io.beamsuite.pipelines.options.FlinkStreamingBundles;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.joda.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar beamsuite-<runner>.jar <pipeline> [--runner=...] [options]}: runs one of the
 * {@link PipelineCatalog pipelines} on the runner the flags choose, logs progress while it runs and
 * prints a {@link RunSummary} at the end. Each {@link RunnerArtifacts runner artifact} has the same
 * launcher and commands. {@code --help} lists the pipelines and their options; an unknown pipeline,
 * a bad option or a runner that is in another artifact exits with status 2 and a message, a failed
 * run with 1.
 *
 * <pre>{@code
 * java -jar pipelines/target/beamsuite-local.jar clickstream \
 *     --source=file:/data/master/clicks/**.jsonl --jdbcUrl=jdbc:postgresql://127.0.0.1:5432/postgres
 * java -cp "pipelines/target/beamsuite-flink.jar:$FLINK_HOME/lib/*" io.beamsuite.pipelines.launcher.Launcher \
 *     fraud --runner=FlinkRunner --flinkMaster=127.0.0.1:8081 --bootstrapServers=127.0.0.1:9092 \
 *     --checkpointingInterval=10000
 * }</pre>
 */
public final class Launcher {
  /** Exit status of a usage error (unknown pipeline, bad option). */
  public static final int USAGE_ERROR = 2;

  /** Exit status of a run that did not end {@code DONE}. */
  public static final int RUN_FAILED = 1;

  private static final Logger LOG = LoggerFactory.getLogger(Launcher.class);

  /** The jar named in messages: this artifact, or the local one on a development class path. */
  private static final String JAR = RunnerArtifacts.current().orElse(RunnerArtifacts.LOCAL);

  private Launcher() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the command line; returns the process exit status. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0) {
      usage(err);
      return USAGE_ERROR;
    }
    if (args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
      usage(out);
      return 0;
    }
    Optional<PipelineDefinition<?>> found = PipelineCatalog.find(args[0]);
    if (found.isEmpty()) {
      err.printf("error: unknown command '%s'; known commands: %s%n", args[0], names());
      err.printf("Run 'java -jar %s --help' for usage.%n", JAR);
      return USAGE_ERROR;
    }
    PipelineDefinition<?> definition = found.get();
    List<String> pipelineArgs = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
    if (pipelineArgs.contains("--help") || pipelineArgs.contains("-h")) {
      pipelineHelp(definition, out);
      return 0;
    }

    // A task that runs no pipeline (e.g. kappa-status) needs no runner unless one is asked for.
    if (definition.runsPipeline() || RunnerArtifacts.flag(pipelineArgs, "runner") != null) {
      Optional<String> wrongArtifact =
          RunnerArtifacts.check(RunnerArtifacts.current(), pipelineArgs);
      if (wrongArtifact.isPresent()) {
        err.printf("error: %s%n", wrongArtifact.get());
        return USAGE_ERROR;
      }
    }
    if (!definition.runsPipeline()) {
      return runTask(definition, pipelineArgs, out, err);
    }
    Pipeline pipeline;
    PipelineDefinition.AfterRun afterRun;
    try {
      pipeline = Pipeline.create(parseOptions(definition, pipelineArgs));
      afterRun = definition.build(pipeline);
      FlinkStreamingBundles.preferOneElementBundles(pipeline);
    } catch (IllegalArgumentException e) {
      return usageError(definition, e, err);
    }
    int status = runToEnd(definition.name(), pipeline, out);
    if (status != 0) {
      return status;
    }
    try {
      afterRun.run(out);
      return 0;
    } catch (Exception e) {
      LOG.error("{}: the pipeline finished but its after-run step failed", definition.name(), e);
      err.printf(
          "error: %s: the pipeline finished but its after-run step failed: %s%n",
          definition.name(), e);
      return RUN_FAILED;
    }
  }

  private static int runTask(
      PipelineDefinition<?> definition, List<String> args, PrintStream out, PrintStream err) {
    BeamsuiteOptions options;
    try {
      options = parseOptions(definition, args).as(BeamsuiteOptions.class);
    } catch (IllegalArgumentException e) {
      return usageError(definition, e, err);
    }
    try {
      return definition.runTask(options, out);
    } catch (IllegalArgumentException e) {
      return usageError(definition, e, err);
    } catch (Exception e) {
      LOG.error("{} failed", definition.name(), e);
      err.printf("error: %s failed: %s%n", definition.name(), e);
      return RUN_FAILED;
    }
  }

  private static int usageError(
      PipelineDefinition<?> definition, IllegalArgumentException e, PrintStream err) {
    err.printf("error: %s%n", e.getMessage());
    err.printf("Run 'java -jar %s %s --help' for its options.%n", JAR, definition.name());
    return USAGE_ERROR;
  }

  /**
   * Flags the launcher adds on the Direct runner unless the user gave them: non-blocking, so that
   * progress can be logged while it runs, and without the Direct runner's immutability and
   * encodability checks. Those checks are a test aid for DoFn authors (the project's own tests keep
   * them on); they re-walk the pipeline graph and copy every element of every bundle, and they cost
   * about a third of a batch run's CPU time on this runner.
   */
  static final List<String> DIRECT_RUNNER_DEFAULTS =
      List.of("--blockOnRun=false", "--enforceImmutability=false", "--enforceEncodability=false");

  /**
   * Flags the launcher adds on the Flink runner for {@code args} unless the user gave them:
   *
   * <ul>
   *   <li>{@code --useDataStreamForBatch=true}: a bounded run is translated to Flink's DataStream
   *       API in batch execution mode instead of the DataSet API, where every output of a
   *       multi-output step is a filter over the union of all outputs (each decodes every element).
   *       {@code lambda-batch} on 1,060,000 records: 82 instead of 106 JVM CPU-seconds per million
   *       records, 52 instead of 58 s, the same rows. No effect on a streaming run.
   *   <li>{@code --fasterCopy=true}, only on a run without checkpointing: no deep copy (encode and
   *       decode) of every element between chained operators, about a tenth of a run's CPU (JFR:
   *       {@code CoderUtils.clone} 10.5% of kappa-replay, 11.1% of streaming fraud). The same flag
   *       also turns off the copy Flink's heap state backend makes of a state value that a
   *       checkpoint being written still refers to: a step that updates a value read from state in
   *       place (Beam's own combining state does) then changes the checkpoint under way. Seen on
   *       embedded Flink with {@code --checkpointingInterval}: a checkpoint failed with a {@code
   *       ConcurrentModificationException}, the job restarted, and a session counted a click twice.
   *       With checkpointing the copies stay on.
   * </ul>
   *
   * <p>After the build, a streaming run on Flink also gets one-element bundles ({@link
   * FlinkStreamingBundles}): whether a run streams depends on the pipeline's sources.
   */
  public static List<String> flinkRunnerDefaults(List<String> args) {
    return RunnerArtifacts.checkpointing(args)
        ? List.of("--useDataStreamForBatch=true")
        : List.of("--fasterCopy=true", "--useDataStreamForBatch=true");
  }

  /**
   * Parses and validates the options: the runner defaults to this artifact's own, the Direct runner
   * gets {@link #DIRECT_RUNNER_DEFAULTS}, the Flink runner {@link #flinkRunnerDefaults} (and, on
   * embedded Flink with checkpointing, checkpoints on local disk: {@link
   * EmbeddedFlinkCheckpoints}), and a submission to a Flink session cluster stages this jar alone.
   */
  static PipelineOptions parseOptions(PipelineDefinition<?> definition, List<String> args) {
    args = stagingOnlyThisJar(RunnerArtifacts.withDefaultRunner(args));
    PipelineOptionsFactory.register(definition.optionsClass());
    PipelineOptionsFactory.register(LauncherOptions.class);
    PipelineOptions options = parse(definition, args);
    List<String> runnerDefaults =
        switch (options.getRunner().getSimpleName()) {
          case "DirectRunner" -> DIRECT_RUNNER_DEFAULTS;
          case "FlinkRunner" ->
              Stream.concat(
                      flinkRunnerDefaults(args).stream(),
                      EmbeddedFlinkCheckpoints.defaults(args).stream())
                  .toList();
          default -> List.of();
        };
    if (!runnerDefaults.isEmpty()) {
      options = parse(definition, withDefaults(args, runnerDefaults));
    }
    return options;
  }

  /** {@code args} plus those of {@link #flinkRunnerDefaults} that {@code args} do not set. */
  public static List<String> withFlinkRunnerDefaults(List<String> args) {
    return withDefaults(args, flinkRunnerDefaults(args));
  }

  private static List<String> withDefaults(List<String> args, List<String> defaults) {
    List<String> withDefaults = new ArrayList<>(args);
    for (String flag : defaults) {
      String name = flag.substring(0, flag.indexOf('='));
      if (args.stream().noneMatch(a -> a.equals(name) || a.startsWith(name + "="))) {
        withDefaults.add(flag);
      }
    }
    return withDefaults;
  }

  private static PipelineOptions parse(PipelineDefinition<?> definition, List<String> args) {
    try {
      return PipelineOptionsFactory.fromArgs(args.toArray(new String[0]))
          .withValidation()
          .as(definition.optionsClass());
    } catch (IllegalArgumentException e) {
      throw namingTheOption(definition, args, e);
    }
  }

  /**
   * Beam stages the whole class path by default; the Flink job jar runs next to Flink's own jars
   * (the cluster has those), so a submission names the job jar itself unless the user chose.
   */
  private static List<String> stagingOnlyThisJar(List<String> args) {
    Optional<java.nio.file.Path> jar = RunnerArtifacts.currentJar();
    if (!RunnerArtifacts.submitsToFlinkCluster(args)
        || RunnerArtifacts.flag(args, "filesToStage") != null
        || jar.isEmpty()) {
      return args;
    }
    List<String> staged = new ArrayList<>(args);
    staged.add("--filesToStage=" + jar.get());
    return staged;
  }

  /**
   * Beam's message for a value of the wrong type ({@code Cannot deserialize value of type `long`
   * from String "lots"}) does not say which option it is: find the argument by parsing them one at
   * a time and put its name in front. Messages that already name the option are kept.
   */
  private static IllegalArgumentException namingTheOption(
      PipelineDefinition<?> definition, List<String> args, IllegalArgumentException e) {
    for (String arg : args) {
      try {
        PipelineOptionsFactory.fromArgs(arg).as(definition.optionsClass());
      } catch (IllegalArgumentException single) {
        String name = arg.replaceFirst("^--?", "").split("=", 2)[0];
        String message = String.valueOf(single.getMessage());
        if (message.contains(name)) {
          return e;
        }
        String firstLine = message.lines().findFirst().orElse("");
        return new IllegalArgumentException("--" + name + ": " + firstLine, e);
      }
    }
    return e;
  }

  private static int runToEnd(String name, Pipeline pipeline, PrintStream out) {
    long progressSeconds = pipeline.getOptions().as(LauncherOptions.class).getProgressSeconds();
    long start = System.nanoTime();
    PipelineResult result = pipeline.run();
    AtomicReference<PipelineResult.State> finalState = new AtomicReference<>();
    Thread cancelOnExit =
        new Thread(
            () -> {
              if (finalState.get() == null) {
                try {
                  result.cancel();
                } catch (Exception e) {
                  LOG.warn("could not cancel {} on exit: {}", name, e.toString());
                }
              }
            },
            "cancel-" + name);
    Runtime.getRuntime().addShutdownHook(cancelOnExit);
    PipelineResult.State state;
    while (true) {
      state = result.waitUntilFinish(Duration.standardSeconds(Math.max(1, progressSeconds)));
      if (state != null && state.isTerminal()) {
        break;
      }
      long elapsed = (System.nanoTime() - start) / 1_000_000;
      try {
        LOG.info(
            "{} running {} s: {}",
            name,
            elapsed / 1000,
            RunSummary.of(result, elapsed, false).progressLine());
      } catch (RuntimeException e) {
        LOG.info("{} running {} s (metrics not available yet)", name, elapsed / 1000);
      }
    }
    finalState.set(state);
    try {
      Runtime.getRuntime().removeShutdownHook(cancelOnExit);
    } catch (IllegalStateException shuttingDown) {
      // already exiting; the hook sees the final state and does nothing
    }
    long elapsed = (System.nanoTime() - start) / 1_000_000;
    RunSummary.of(result, elapsed, true).print(out, name, state);
    return state == PipelineResult.State.DONE ? 0 : RUN_FAILED;
  }

  private static String names() {
    StringBuilder names = new StringBuilder();
    for (PipelineDefinition<?> p : PipelineCatalog.all()) {
      names.append(names.length() == 0 ? "" : ", ").append(p.name());
    }
    return names.toString();
  }

  private static void usage(PrintStream out) {
    out.printf("usage: java -jar %s <command> [--runner=...] [options]%n", JAR);
    out.printf("       java -jar %s <command> --help%n%n", JAR);
    out.println("commands:");
    for (PipelineDefinition<?> p : PipelineCatalog.all()) {
      out.printf("  %-16s %s%n", p.name(), p.description());
    }
    out.println();
    out.printf(
        "runners (one jar per runner in pipelines/target, same commands, each jar defaults to its runner; this is %s):%n",
        JAR);
    out.println(
        "  beamsuite-local.jar     --runner=DirectRunner                         (default) in-process");
    out.println(
        "                          --runner=FlinkRunner                          embedded Flink mini cluster");
    out.println(
        "  beamsuite-flink.jar     --runner=FlinkRunner --flinkMaster=host:port  a Flink session cluster (REST port);");
    out.println(
        "                          Flink's jars on the class path: java -cp beamsuite-flink.jar:$FLINK_HOME/lib/* "
            + Launcher.class.getName()
            + " ... (run-scripts/run-flink.sh)");
    out.println(
        "  beamsuite-spark.jar     --runner=SparkRunner --sparkMaster=local[2]   Spark, bounded runs (Java 17 --add-opens, see run-scripts/run-spark.sh)");
    out.println(
        "  beamsuite-dataflow.jar  --runner=DataflowRunner --project=... --region=... --tempLocation=gs://... (run-scripts/run-dataflow.sh)");
    out.println();
    for (PipelineDefinition<?> p : PipelineCatalog.all()) {
      pipelineHelp(p, out);
      out.println();
    }
  }

  private static void pipelineHelp(PipelineDefinition<?> p, PrintStream out) {
    out.printf("%s: %s%n  options:%n", p.name(), p.description());
    OptionsHelp.print(p.optionsClass(), out);
    OptionsHelp.print(LauncherOptions.class, out);
  }
}
