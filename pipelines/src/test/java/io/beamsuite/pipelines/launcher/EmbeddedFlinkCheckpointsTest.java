package io.beamsuite.pipelines.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Test;

public class EmbeddedFlinkCheckpointsTest {
  @Test
  public void embeddedFlinkWithCheckpointingKeepsCheckpointsInATemporaryDirectory() {
    List<String> flags =
        EmbeddedFlinkCheckpoints.defaults(
            List.of("--flinkMaster=[local]", "--checkpointingInterval=2000"));
    assertEquals(2, flags.size());
    assertEquals("--stateBackend=filesystem", flags.get(0));
    String prefix = "--stateBackendStoragePath=";
    assertTrue(flags.get(1), flags.get(1).startsWith(prefix + "file:"));
    Path dir = Path.of(URI.create(flags.get(1).substring(prefix.length())));
    assertTrue(dir + " exists", Files.isDirectory(dir));
  }

  @Test
  public void nothingIsAddedOffEmbeddedFlinkWithoutCheckpointingOrWithTheUsersBackend() {
    List<List<String>> untouched =
        List.of(
            List.of("--flinkMaster=127.0.0.1:8081", "--checkpointingInterval=2000"),
            List.of("--checkpointingInterval=2000"),
            List.of("--flinkMaster=[local]"),
            List.of("--flinkMaster=[local]", "--checkpointingInterval=-1"),
            List.of("--flinkMaster=[local]", "--checkpointingInterval=0"),
            List.of(
                "--flinkMaster=[local]", "--checkpointingInterval=2000", "--stateBackend=rocksdb"),
            List.of(
                "--flinkMaster=[local]",
                "--checkpointingInterval=2000",
                "--stateBackendStoragePath=file:///data/checkpoints"));
    for (List<String> args : untouched) {
      assertEquals(args.toString(), List.of(), EmbeddedFlinkCheckpoints.defaults(args));
    }
  }
}
