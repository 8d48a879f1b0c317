package io.beamsuite.pipelines.clickstream;

import io.beamsuite.pipelines.options.BeamsuiteOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Options of {@link ClickstreamPipeline}.
 *
 * <pre>{@code
 * ClickstreamOptions options = PipelineOptionsFactory.fromArgs(args).as(ClickstreamOptions.class);
 * }</pre>
 */
public interface ClickstreamOptions extends BeamsuiteOptions {
  @Description("Kafka topic of click events")
  @Default.String("clicks")
  String getClicksTopic();

  void setClicksTopic(String topic);

  @Description("Inactivity gap that closes a user session, in minutes")
  @Default.Long(30)
  long getSessionGapMinutes();

  void setSessionGapMinutes(long minutes);
}
