package io.beamsuite.pipelines.cdc;

import io.beamsuite.pipelines.options.BeamsuiteOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Options of {@link CdcReplicationPipeline}.
 *
 * <pre>{@code
 * CdcReplicationOptions options =
 *     PipelineOptionsFactory.fromArgs(args).as(CdcReplicationOptions.class);
 * }</pre>
 */
public interface CdcReplicationOptions extends BeamsuiteOptions {
  @Description("Kafka topic of Debezium change events of the customers table")
  @Default.String("cdc.public.customers")
  String getChangesTopic();

  void setChangesTopic(String topic);

  @Description("Table that receives the replica (created on demand; live rows WHERE NOT _deleted)")
  @Default.String("customers_replica")
  String getReplicaTable();

  void setReplicaTable(String table);

  @Description(
      "How long a delete is remembered in pipeline state, in hours, so a stale change of the"
          + " deleted row arriving later cannot resurrect it")
  @Default.Long(24)
  long getTombstoneRetentionHours();

  void setTombstoneRetentionHours(long hours);
}
