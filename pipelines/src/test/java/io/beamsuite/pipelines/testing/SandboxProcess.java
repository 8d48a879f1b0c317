package io.beamsuite.pipelines.testing;

import io.beamsuite.fixtures.services.Sandbox;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The test-fixtures {@link Sandbox} (PostgreSQL, Kafka, Debezium on {@code customers}) in a child
 * JVM.
 *
 * <p>Why a child JVM: the Kafka broker is Scala 2.13, and this module's test classpath carries
 * Spark's Scala 2.12 (the Spark runner is a test dependency of the pipelines), so Maven mediates
 * {@code scala-library} to 2.12 and {@code EmbeddedKafka} cannot start in this JVM. The child gets
 * this JVM's classpath without the {@code _2.12} artifacts and Scala 2.12, plus the Scala 2.13
 * library Kafka needs, taken from the same local repository.
 *
 * <pre>{@code
 * try (SandboxProcess sandbox = SandboxProcess.start(workDir)) {
 *   String bootstrap = sandbox.setting("kafka.bootstrap");
 * }
 * }</pre>
 */
public final class SandboxProcess implements AutoCloseable {
  /** The Scala version of the Kafka broker (kafka_2.13 3.9.x). */
  private static final String SCALA_213 = "2.13.15";

  private final Process process;
  private final Map<String, String> settings;
  // What the child printed after its settings: the answers to inject().
  private final BlockingQueue<String> answers;

  private SandboxProcess(
      Process process, Map<String, String> settings, BlockingQueue<String> answers) {
    this.process = process;
    this.settings = settings;
    this.answers = answers;
  }

  /** Starts the sandbox and waits (at most 90 s) for its settings; logs go to {@code workDir}. */
  public static SandboxProcess start(Path workDir) throws IOException, InterruptedException {
    Path log = workDir.resolve("sandbox.log");
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g",
                "-cp",
                childClasspath(),
                Sandbox.class.getName())
            .redirectError(log.toFile());
    Process process = builder.start();
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      CompletableFuture<Map<String, String>> ready =
          CompletableFuture.supplyAsync(
              () -> {
                Map<String, String> settings = new HashMap<>();
                try {
                  String line;
                  while ((line = out.readLine()) != null) {
                    if (line.equals(Sandbox.READY_LINE)) {
                      return settings;
                    }
                    int eq = line.indexOf('=');
                    if (eq > 0) {
                      settings.put(line.substring(0, eq), line.substring(eq + 1));
                    }
                  }
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                }
                throw new IllegalStateException("sandbox exited before it was ready");
              });
      Map<String, String> settings = ready.get(90, TimeUnit.SECONDS);
      // Keep draining stdout so the child never blocks on a full pipe.
      BlockingQueue<String> answers = new LinkedBlockingQueue<>();
      Thread drain =
          new Thread(
              () -> {
                try {
                  String line;
                  while ((line = out.readLine()) != null) {
                    answers.add(line);
                  }
                } catch (IOException ignored) {
                  // The child is gone.
                }
              },
              "sandbox-stdout");
      drain.setDaemon(true);
      drain.start();
      return new SandboxProcess(process, settings, answers);
    } catch (Exception e) {
      process.destroyForcibly();
      String tail = Files.exists(log) ? Files.readString(log) : "";
      throw new IllegalStateException(
          "sandbox did not start: " + e + "\n" + tail.substring(Math.max(0, tail.length() - 4000)),
          e);
    }
  }

  /** A setting the sandbox printed, e.g. {@code kafka.bootstrap}. */
  public String setting(String key) {
    String value = settings.get(key);
    if (value == null) {
      throw new IllegalStateException("sandbox printed no " + key + ": " + settings.keySet());
    }
    return value;
  }

  /**
   * Creates database {@code name} (a plain lower-case name chosen by the test; dropped first if a
   * previous run left it) on the sandbox's PostgreSQL and returns its JDBC URL, so that runs of one
   * sandbox cannot see each other's rows.
   */
  public String createDatabase(String name) throws SQLException {
    String url = setting("postgres.jdbcUrl");
    try (Connection c = DriverManager.getConnection(url, setting("postgres.user"), "");
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + name);
      s.execute("CREATE DATABASE " + name);
    }
    return url.replaceFirst("/[^/?]+(\\?|$)", "/" + name + "$1");
  }

  /**
   * Injects a fault ({@link Sandbox#inject}: {@code "kafka stop"}, {@code "kafka start"}, {@code
   * "debezium stop"}, {@code "debezium start"}) and returns once the sandbox has carried it out.
   *
   * @throws IllegalStateException if the sandbox answers with an error or not within 90 s
   */
  public synchronized void inject(String command) throws IOException, InterruptedException {
    answers.clear();
    process.getOutputStream().write((command + "\n").getBytes(StandardCharsets.UTF_8));
    process.getOutputStream().flush();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      String answer = answers.poll(1, TimeUnit.SECONDS);
      if (answer == null) {
        if (!process.isAlive()) {
          throw new IllegalStateException("the sandbox exited during '" + command + "'");
        }
      } else if (answer.equals("ok " + command)) {
        return;
      } else if (answer.startsWith("error " + command)) {
        throw new IllegalStateException("sandbox: " + answer);
      }
    }
    throw new IllegalStateException("the sandbox did not carry out '" + command + "' within 90 s");
  }

  /** SIGTERM: the sandbox's shutdown hook stops Debezium, Kafka and PostgreSQL. */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static String childClasspath() {
    String testClasspath = System.getProperty("surefire.test.class.path");
    if (testClasspath == null || testClasspath.isBlank()) {
      testClasspath = System.getProperty("java.class.path");
    }
    List<String> entries = new ArrayList<>();
    Path scala212 = null;
    for (String entry : testClasspath.split(File.pathSeparator)) {
      String name = Path.of(entry).getFileName().toString();
      if (name.startsWith("scala-library-2.12") || name.startsWith("scala-reflect-2.12")) {
        scala212 = Path.of(entry);
        continue;
      }
      if (name.contains("_2.12")) {
        continue;
      }
      entries.add(entry);
    }
    if (scala212 != null) {
      // <repo>/org/scala-lang/<artifact>/<version>/<jar>: the 2.13 jars sit beside the 2.12 ones.
      Path scalaLang = scala212.getParent().getParent().getParent();
      for (String artifact : List.of("scala-library", "scala-reflect")) {
        Path jar =
            scalaLang
                .resolve(artifact)
                .resolve(SCALA_213)
                .resolve(artifact + "-" + SCALA_213 + ".jar");
        if (!Files.isRegularFile(jar)) {
          throw new IllegalStateException(
              "Kafka needs " + jar + " (run the test-fixtures build once)");
        }
        entries.add(jar.toString());
      }
    }
    return String.join(File.pathSeparator, entries);
  }
}
