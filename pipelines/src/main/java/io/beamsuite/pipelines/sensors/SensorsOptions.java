package io.beamsuite.pipelines.sensors;

import io.beamsuite.pipelines.options.BeamsuiteOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Options of {@link SensorsPipeline}. {@link SensorsPipeline#validate} rejects bad values with a
 * message naming the option.
 *
 * <pre>{@code
 * SensorsOptions options =
 *     PipelineOptionsFactory.fromArgs("--windowMinutes=10", "--periodMinutes=2")
 *         .as(SensorsOptions.class);
 * }</pre>
 */
public interface SensorsOptions extends BeamsuiteOptions {
  @Description("Kafka topic of sensor readings")
  @Default.String("sensor-readings")
  String getReadingsTopic();

  void setReadingsTopic(String topic);

  @Description("Length of the sliding statistics windows, in minutes")
  @Default.Long(5)
  long getWindowMinutes();

  void setWindowMinutes(long minutes);

  @Description(
      "Distance between the starts of successive windows, in minutes; must divide"
          + " --windowMinutes. Each window is scored against the one starting a period earlier")
  @Default.Long(1)
  long getPeriodMinutes();

  void setPeriodMinutes(long minutes);

  // Spelled getzThreshold: Beam names properties by JavaBeans rules, under which getZThreshold
  // would be the property "ZThreshold" (flag --ZThreshold), not "zThreshold".
  @Description("A window is an anomaly when |z_score| exceeds this; must be > 0")
  @Default.Double(3.0)
  double getzThreshold();

  void setzThreshold(double threshold);
}
