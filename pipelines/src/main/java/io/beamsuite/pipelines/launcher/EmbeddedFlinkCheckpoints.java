package io.beamsuite.pipelines.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where embedded Flink ({@code --flinkMaster=[local]}) keeps the checkpoints of a run with {@code
 * --checkpointingInterval}: in a temporary directory, deleted when the JVM exits, unless the user
 * gave {@code --stateBackend} or {@code --stateBackendStoragePath}. Flink's default keeps them in
 * the JobManager's memory, at most 5 MiB per operator state: a Kappa replay of 2,000,000 records
 * (its dedup state) failed every checkpoint, and with them the Kafka offset commits that tell the
 * replay it has caught up, so it never did. A session cluster's own configuration decides there;
 * nothing is added.
 */
final class EmbeddedFlinkCheckpoints {
  private EmbeddedFlinkCheckpoints() {}

  /** The state backend flags to add for {@code args}, or none. */
  static List<String> defaults(List<String> args) {
    if (!"[local]".equals(RunnerArtifacts.flag(args, "flinkMaster"))
        || !RunnerArtifacts.checkpointing(args)
        || RunnerArtifacts.flag(args, "stateBackend") != null
        || RunnerArtifacts.flag(args, "stateBackendStoragePath") != null) {
      return List.of();
    }
    return List.of(
        "--stateBackend=filesystem", "--stateBackendStoragePath=" + temporaryDirectory().toUri());
  }

  private static Path temporaryDirectory() {
    try {
      Path dir = Files.createTempDirectory("beamsuite-flink-checkpoints-");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a directory for Flink's checkpoints", e);
    }
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // A leftover temporary directory is harmless.
    }
  }
}
