package io.beamsuite.pipelines.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The Kafka watermark policy of {@link io.beamsuite.pipelines.wiring.EventSource}, as an option
 * only the commands that replay history (the Kappa replay) extend, so the other pipelines' options
 * and help stay as they were. {@code EventSource} reads it with {@code options.as(...)}: absent, it
 * is {@code false} (KafkaIO's limited-delay policy).
 *
 * <pre>{@code
 * interface KappaReplayOptions extends ViewsOptions, EventTimeWatermarkOptions { ... }
 * }</pre>
 */
public interface EventTimeWatermarkOptions extends PipelineOptions {
  @Description(
      "Kafka watermark from event time only: the largest event_time read per partition minus"
          + " --maxOutOfOrdernessSeconds, never the wall clock (for replays of history; a partition"
          + " that receives nothing holds the watermark). false = KafkaIO's limited-delay policy,"
          + " which moves a caught-up partition to wall-clock time minus that delay")
  @Default.Boolean(false)
  boolean getEventTimeWatermark();

  void setEventTimeWatermark(boolean eventTimeOnly);
}
