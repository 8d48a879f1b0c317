package io.beamsuite.pipelines.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

/**
 * The runner artifacts (one jar per runner, in {@code pipelines/target}, as Beam's archetype builds
 * them): which one this launcher runs from, and which one a command line needs. A runner flag given
 * to the wrong artifact would otherwise end in Beam's "Unknown 'runner' specified" or a {@code
 * ClassNotFoundException}; here it is a usage error that names the artifact to use.
 *
 * <pre>{@code
 * Optional<String> problem = RunnerArtifacts.check(RunnerArtifacts.current(), args);
 * }</pre>
 */
public final class RunnerArtifacts {
  /** Direct runner and embedded Flink: local runs, the demo, {@code --help}. */
  public static final String LOCAL = "beamsuite-local.jar";

  /**
   * The Flink job jar for {@code --flinkMaster=host:port}; Flink itself comes from the class path.
   */
  public static final String FLINK = "beamsuite-flink.jar";

  /** Dataflow: what run-dataflow.sh stages and the Flex Template runs. */
  public static final String DATAFLOW = "beamsuite-dataflow.jar";

  /** Spark, bounded runs. */
  public static final String SPARK = "beamsuite-spark.jar";

  /** Written into each artifact by its build (pipelines/runners). */
  static final String RESOURCE = "META-INF/beamsuite/artifact.properties";

  private static final Set<String> EMBEDDED_FLINK_MASTERS =
      Set.of("[local]", "[auto]", "[collection]");

  /**
   * A class of flink-clients: present on a Flink installation's class path and in the local jar.
   */
  private static final String FLINK_CLIENT_CLASS = "org.apache.flink.client.program.ClusterClient";

  private RunnerArtifacts() {}

  /** The artifact this launcher was loaded from; empty on a development class path (tests, IDE). */
  public static Optional<String> current() {
    try (InputStream in = RunnerArtifacts.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        return Optional.empty();
      }
      Properties properties = new Properties();
      properties.load(in);
      return Optional.ofNullable(properties.getProperty("artifact"));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The jar file the launcher classes were loaded from, if they were loaded from a jar. */
  static Optional<Path> currentJar() {
    CodeSource source = RunnerArtifacts.class.getProtectionDomain().getCodeSource();
    if (source == null || source.getLocation() == null) {
      return Optional.empty();
    }
    try {
      Path path = Path.of(source.getLocation().toURI());
      return path.toString().endsWith(".jar") ? Optional.of(path) : Optional.empty();
    } catch (URISyntaxException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Whether {@code args} ask the Flink runner for periodic checkpoints. */
  static boolean checkpointing(List<String> args) {
    String interval = flag(args, "checkpointingInterval");
    return interval != null && interval.matches("[1-9][0-9]*");
  }

  /** The value of {@code --name=value} in {@code args} (the last one wins, as in Beam), or null. */
  static String flag(List<String> args, String name) {
    String value = null;
    for (String arg : args) {
      if (arg.startsWith("--" + name + "=")) {
        value = arg.substring(name.length() + 3);
      }
    }
    return value;
  }

  /**
   * The runner's simple name: {@code --runner} as given (simple or qualified), else the default of
   * the artifact this launcher runs from ({@link #defaultRunner}).
   */
  static String runner(List<String> args) {
    String runner = flag(args, "runner");
    if (runner == null || runner.isBlank()) {
      return defaultRunner(current());
    }
    return runner.substring(runner.lastIndexOf('.') + 1);
  }

  /**
   * Each artifact's own runner when no {@code --runner} is given; Beam's DirectRunner elsewhere.
   */
  static String defaultRunner(Optional<String> artifact) {
    return switch (artifact.orElse(LOCAL)) {
      case FLINK -> "FlinkRunner";
      case SPARK -> "SparkRunner";
      case DATAFLOW -> "DataflowRunner";
      default -> "DirectRunner";
    };
  }

  /** {@code args} with {@code --runner=<this artifact's runner>} added when none is given. */
  static List<String> withDefaultRunner(List<String> args) {
    String runner = defaultRunner(current());
    if (flag(args, "runner") != null || runner.equals("DirectRunner")) {
      return args;
    }
    List<String> withRunner = new java.util.ArrayList<>(args);
    withRunner.add("--runner=" + runner);
    return withRunner;
  }

  /** True when the command line submits to a Flink session cluster (not an embedded one). */
  public static boolean submitsToFlinkCluster(List<String> args) {
    String master = flag(args, "flinkMaster");
    return runner(args).equals("FlinkRunner")
        && master != null
        && !EMBEDDED_FLINK_MASTERS.contains(master);
  }

  /**
   * What is wrong with running {@code args} from {@code artifact}, or empty if nothing is (also
   * when the artifact is unknown: a development class path has every runner).
   */
  public static Optional<String> check(Optional<String> artifact, List<String> args) {
    if (artifact.isEmpty()) {
      return Optional.empty();
    }
    String self = artifact.get();
    // The runner is that of the artifact under test, not of the one this class was loaded from.
    if (flag(args, "runner") == null) {
      args = new java.util.ArrayList<>(args);
      args.add("--runner=" + defaultRunner(artifact));
    }
    String runner = runner(args);
    String given = "--runner=" + runner;
    List<String> carriers = carriers(args);
    if (!carriers.isEmpty() && !carriers.contains(self)) {
      String use = carriers.get(0);
      if (self.equals(LOCAL) && use.equals(FLINK)) {
        return Optional.of(
            "--flinkMaster="
                + flag(args, "flinkMaster")
                + " submits to a Flink session cluster: use pipelines/target/"
                + FLINK
                + ", the job jar the cluster gets (run-scripts/run-flink.sh). "
                + LOCAL
                + " runs Flink embedded only (no --flinkMaster, or --flinkMaster=[local]).");
      }
      return Optional.of(
          given
              + " is not in "
              + self
              + " (it carries "
              + carries(self)
              + "); use pipelines/target/"
              + use
              + (use.equals(FLINK)
                  ? " for a session cluster, or " + LOCAL + " to run Flink embedded"
                  : "")
              + " ("
              + script(use)
              + ").");
    }
    if (self.equals(FLINK) && !onClassPath(FLINK_CLIENT_CLASS)) {
      return Optional.of(
          FLINK
              + " leaves Flink out (the cluster has it): put Flink's jars next to it, e.g. java -cp "
              + FLINK
              + ":$FLINK_HOME/lib/* "
              + Launcher.class.getName()
              + " <command> ..., or use run-scripts/run-flink.sh.");
    }
    return Optional.empty();
  }

  /**
   * The artifacts that can run {@code args}, preferred first; empty for a runner we do not know.
   */
  public static List<String> carriers(List<String> args) {
    return switch (runner(args)) {
      case "DirectRunner" -> List.of(LOCAL);
      case "FlinkRunner" -> submitsToFlinkCluster(args) ? List.of(FLINK) : List.of(LOCAL, FLINK);
      case "SparkRunner" -> List.of(SPARK);
      case "DataflowRunner", "TestDataflowRunner" -> List.of(DATAFLOW);
      default -> List.of();
    };
  }

  /** What {@code artifact} runs, for messages and {@code --help}. */
  static String carries(String artifact) {
    return switch (artifact) {
      case LOCAL -> "DirectRunner and embedded FlinkRunner";
      case FLINK -> "FlinkRunner for --flinkMaster=host:port";
      case SPARK -> "SparkRunner";
      case DATAFLOW -> "DataflowRunner";
      default -> "an unknown set of runners";
    };
  }

  private static String script(String artifact) {
    return switch (artifact) {
      case LOCAL -> "run-scripts/run-direct.sh";
      case FLINK -> "run-scripts/run-flink.sh";
      case SPARK -> "run-scripts/run-spark.sh";
      case DATAFLOW -> "run-scripts/run-dataflow.sh";
      default -> "run-scripts/README.md";
    };
  }

  private static boolean onClassPath(String className) {
    try {
      Class.forName(className, false, RunnerArtifacts.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }
}
