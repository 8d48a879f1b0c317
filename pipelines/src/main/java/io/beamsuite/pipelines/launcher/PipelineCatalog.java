package io.beamsuite.pipelines.launcher;

import io.beamsuite.pipelines.cdc.CdcReplicationOptions;
import io.beamsuite.pipelines.cdc.CdcReplicationPipeline;
import io.beamsuite.pipelines.clickstream.ClickstreamOptions;
import io.beamsuite.pipelines.clickstream.ClickstreamPipeline;
import io.beamsuite.pipelines.fraud.FraudOptions;
import io.beamsuite.pipelines.fraud.FraudPipeline;
import io.beamsuite.pipelines.sensors.SensorsOptions;
import io.beamsuite.pipelines.sensors.SensorsPipeline;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * The launcher's commands by name, in the order {@code --help} lists them: the pipelines of
 * docs/pipelines.md, then those of every {@link PipelineProvider} on the class path (Lambda and
 * Kappa in the runner jars).
 *
 * <pre>{@code
 * PipelineDefinition<?> p = PipelineCatalog.find("clickstream").orElseThrow();
 * }</pre>
 */
public final class PipelineCatalog {
  private static final List<PipelineDefinition<?>> BUILT_IN =
      List.of(
          PipelineDefinition.of(
              "clickstream",
              "clicks -> page views per minute, user sessions, active users",
              ClickstreamOptions.class,
              ClickstreamPipeline::build),
          PipelineDefinition.of(
              "fraud",
              "transactions + customers CDC -> as-of enrichment -> fraud_alerts (+ alerts topic)",
              FraudOptions.class,
              FraudPipeline::build),
          PipelineDefinition.of(
              "sensors",
              "sensor readings -> sliding-window z-score vs previous window -> sensor_anomalies",
              SensorsOptions.class,
              SensorsPipeline::build),
          PipelineDefinition.of(
              "cdc-replication",
              "Debezium changes of customers -> customers_replica",
              CdcReplicationOptions.class,
              CdcReplicationPipeline::build));

  private static final List<PipelineDefinition<?>> ALL = withProviders();

  private PipelineCatalog() {}

  /** Every command. */
  public static List<PipelineDefinition<?>> all() {
    return ALL;
  }

  /** The command called {@code name}. */
  public static Optional<PipelineDefinition<?>> find(String name) {
    return ALL.stream().filter(p -> p.name().equals(name)).findFirst();
  }

  private static List<PipelineDefinition<?>> withProviders() {
    List<PipelineDefinition<?>> all = new ArrayList<>(BUILT_IN);
    for (PipelineProvider provider :
        ServiceLoader.load(PipelineProvider.class, PipelineCatalog.class.getClassLoader())) {
      all.addAll(provider.definitions());
    }
    Set<String> names = new HashSet<>();
    for (PipelineDefinition<?> definition : all) {
      if (!names.add(definition.name())) {
        throw new IllegalStateException("two launcher commands are called " + definition.name());
      }
    }
    return List.copyOf(all);
  }
}
