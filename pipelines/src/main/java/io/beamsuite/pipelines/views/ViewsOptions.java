package io.beamsuite.pipelines.views;

import io.beamsuite.pipelines.options.BeamsuiteOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Options of the commands that compute {@link RevenueAndPageViews} (the Lambda layers and the Kappa
 * replay). For these commands {@code --source=file:<dir>} names the master dataset's root, which
 * holds one directory per topic ({@code <dir>/transactions/...}, {@code <dir>/clicks/...}).
 *
 * <pre>{@code
 * ViewsOptions options = PipelineOptionsFactory.fromArgs(
 *     "--source=file:/data/master", "--jdbcUrl=jdbc:postgresql://127.0.0.1:5432/postgres")
 *     .as(ViewsOptions.class);
 * }</pre>
 */
public interface ViewsOptions extends BeamsuiteOptions {
  @Description("Kafka topic (and master-dataset directory) of the transactions")
  @Default.String("transactions")
  String getTransactionsTopic();

  void setTransactionsTopic(String topic);

  @Description("Kafka topic (and master-dataset directory) of the clicks")
  @Default.String("clicks")
  String getClicksTopic();

  void setClicksTopic(String topic);

  @Description("Bounded Kafka runs: stop after this many transactions records; 0 = --maxRecords")
  @Default.Long(0)
  long getTransactionsMaxRecords();

  void setTransactionsMaxRecords(long maxRecords);

  @Description("Bounded Kafka runs: stop after this many clicks records; 0 = --maxRecords")
  @Default.Long(0)
  long getClicksMaxRecords();

  void setClicksMaxRecords(long maxRecords);
}
