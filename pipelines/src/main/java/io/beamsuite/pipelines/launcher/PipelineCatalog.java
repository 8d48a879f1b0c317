package io.beamsuite.pipelines.launcher;

import io.beamsuite.pipelines.cdc.CdcReplicationOptions;
import io.beamsuite.pipelines.cdc.CdcReplicationPipeline;
import io.beamsuite.pipelines.clickstream.ClickstreamOptions;
import io.beamsuite.pipelines.clickstream.ClickstreamPipeline;
import io.beamsuite.pipelines.fraud.FraudOptions;
import io.beamsuite.pipelines.fraud.FraudPipeline;
import io.beamsuite.pipelines.sensors.SensorsOptions;
import io.beamsuite.pipelines.sensors.SensorsPipeline;
import java.util.List;
import java.util.Optional;

/**
 * The pipelines of DESIGN §5 by command name, in the order {@code --help} lists them.
 *
 * <pre>{@code
 * PipelineDefinition<?> p = PipelineCatalog.find("clickstream").orElseThrow();
 * }</pre>
 */
public final class PipelineCatalog {
  private static final List<PipelineDefinition<?>> ALL =
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

  private PipelineCatalog() {}

  /** Every pipeline. */
  public static List<PipelineDefinition<?>> all() {
    return ALL;
  }

  /** The pipeline called {@code name}. */
  public static Optional<PipelineDefinition<?>> find(String name) {
    return ALL.stream().filter(p -> p.name().equals(name)).findFirst();
  }
}
