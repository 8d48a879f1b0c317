package io.beamsuite.bundled;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.beamsuite.fixtures.services.EmbeddedPostgres;
import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.pipelines.launcher.PipelineCatalog;
import io.beamsuite.pipelines.launcher.PipelineDefinition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.construction.PipelineTranslation;
import org.apache.beam.sdk.util.construction.RehydratedComponents;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * No pipeline of the catalog moves records or keeps state through Java serialization or Kryo.
 *
 * <p>Every command that builds a pipeline ({@link PipelineCatalog#all()}, so commands added later
 * are covered) is built from file sources and from Kafka and translated to the portable pipeline
 * proto, the form every runner starts from. The proto holds every coder the pipeline uses: each
 * PCollection's element and window coders and the coders of every state cell of the stateful DoFns
 * (dedup, windowed aggregates, the as-of join). Each of them, and each coder inside it, must be
 * something other than {@link SerializableCoder} or a Kryo coder (one exception, see {@link
 * #SPLIT_DESCRIPTORS}). On Flink this also rules out Kryo: the FlinkRunner wraps each Beam coder in
 * its own type serializer, so Flink falls back to Kryo only for types it is handed without a coder.
 */
public class NoJavaSerializationCodersTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  /**
   * Beam's own {@code Read} expansion (the SDF wrapper of an {@code UnboundedSource}, KafkaIO's
   * legacy reader) keeps the source of each split in its restriction with Java serialization. That
   * is per split and checkpoint, not per record, and the Direct and Flink runners replace the
   * wrapper with their primitive read anyway; nothing else is allowed.
   */
  private static final Set<Class<?>> SPLIT_DESCRIPTORS =
      Set.of(
          org.apache.beam.sdk.io.UnboundedSource.class, org.apache.beam.sdk.io.BoundedSource.class);

  private static EmbeddedPostgres postgres;

  @BeforeClass
  public static void startPostgres() {
    // lambda-batch reads the served version from PostgreSQL while it builds.
    postgres = new EmbeddedPostgres().start();
  }

  @AfterClass
  public static void stopPostgres() {
    JdbcConnectionSpec.closeAllPools();
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  public void everyCoderOfEveryPipelineIsFreeOfJavaSerializationAndKryo() throws Exception {
    Map<String, List<String>> offenders = new TreeMap<>();
    Set<String> built = new TreeSet<>();
    int coders = 0;
    for (PipelineDefinition<?> command : PipelineCatalog.all()) {
      if (!command.runsPipeline()) {
        continue;
      }
      for (boolean streaming : new boolean[] {false, true}) {
        Pipeline pipeline;
        try {
          pipeline = build(command, streaming);
        } catch (IllegalArgumentException e) {
          continue; // a mode the command does not have (e.g. lambda-batch from Kafka)
        }
        String what = command.name() + (streaming ? "/kafka" : "/files");
        built.add(command.name());
        RunnerApi.Pipeline proto = PipelineTranslation.toProto(pipeline);
        RehydratedComponents components = RehydratedComponents.forComponents(proto.getComponents());
        for (String coderId : proto.getComponents().getCodersMap().keySet()) {
          coders++;
          List<String> found = new ArrayList<>();
          offendingCoders(components.getCoder(coderId), found);
          if (!found.isEmpty()) {
            offenders.computeIfAbsent(what, k -> new ArrayList<>()).add(coderId + ": " + found);
          }
        }
      }
    }
    assertEquals("coders using Java serialization or Kryo", Map.of(), offenders);
    // Each pipeline command was really built (a command that stops building cannot pass silently).
    Set<String> expected = new TreeSet<>();
    PipelineCatalog.all().stream()
        .filter(PipelineDefinition::runsPipeline)
        .forEach(c -> expected.add(c.name()));
    assertEquals(expected, built);
    assertTrue(
        built.toString(),
        built.containsAll(Set.of("clickstream", "fraud", "sensors", "cdc-replication")));
    assertTrue("only " + coders + " coders seen", coders > 50);
  }

  @Test
  public void theCheckFindsAJavaSerializationCoderNestedInAnotherCoder() {
    List<String> found = new ArrayList<>();
    offendingCoders(
        org.apache.beam.sdk.coders.KvCoder.of(
            org.apache.beam.sdk.coders.StringUtf8Coder.of(),
            org.apache.beam.sdk.coders.ListCoder.of(
                SerializableCoder.of(java.util.ArrayList.class))),
        found);
    assertEquals(List.of("SerializableCoder(java.util.ArrayList)"), found);
  }

  private static Pipeline build(PipelineDefinition<?> command, boolean streaming) {
    List<String> args = new ArrayList<>();
    for (String source : PipelineCommands.sourceOptions(command)) {
      args.add(
          "--"
              + source
              + "="
              + (streaming ? "kafka" : "file:" + TMP.getRoot() + "/" + source + "/*.jsonl"));
    }
    // Nothing runs: a broker address is only recorded by the read transform.
    args.add("--bootstrapServers=127.0.0.1:9");
    args.add("--jdbcUrl=" + postgres.jdbcUrl());
    args.add("--jdbcUser=" + postgres.user());
    args.add("--archiveDir=" + TMP.getRoot().toPath().resolve("master"));
    args.add("--cutoff=2024-01-01T02:00:00Z");
    PipelineOptionsFactory.register(command.optionsClass());
    PipelineOptions options =
        PipelineOptionsFactory.fromArgs(args.toArray(new String[0]))
            .withoutStrictParsing()
            .as(command.optionsClass());
    options.setStableUniqueNames(PipelineOptions.CheckEnabled.OFF);
    Pipeline pipeline = Pipeline.create(options);
    command.build(pipeline);
    return pipeline;
  }

  /**
   * Adds a description of every Java-serialization or Kryo coder in {@code coder} to {@code found}.
   */
  private static void offendingCoders(Coder<?> coder, List<String> found) {
    if (coder instanceof SerializableCoder
        && SPLIT_DESCRIPTORS.contains(((SerializableCoder<?>) coder).getRecordType())) {
      return;
    }
    if (coder instanceof SerializableCoder) {
      found.add(
          "SerializableCoder(" + ((SerializableCoder<?>) coder).getRecordType().getName() + ")");
    } else if (coder.getClass().getName().toLowerCase(java.util.Locale.ROOT).contains("kryo")) {
      found.add(coder.getClass().getName());
    }
    for (Coder<?> component : components(coder)) {
      offendingCoders(component, found);
    }
  }

  private static List<? extends Coder<?>> components(Coder<?> coder) {
    if (coder instanceof org.apache.beam.sdk.coders.StructuredCoder) {
      return ((org.apache.beam.sdk.coders.StructuredCoder<?>) coder).getComponents();
    }
    List<? extends Coder<?>> arguments = coder.getCoderArguments();
    return arguments == null ? List.of() : arguments;
  }
}
