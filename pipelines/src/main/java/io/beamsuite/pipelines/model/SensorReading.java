package io.beamsuite.pipelines.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * One measurement on the {@code sensor-readings} topic.
 *
 * <pre>{@code
 * ParseJson.Result<SensorReading> readings =
 *     raw.apply(ParseJson.of(SensorReading.class).withStage("parse-sensor-readings"));
 * }</pre>
 */
@DefaultCoder(EventCoders.SensorReadingCoder.class)
public final class SensorReading implements Event {
  public final String eventId;
  public final String sensorId;
  public final String metric;
  public final double value;
  public final long eventTimeMillis;

  public SensorReading(
      String eventId, String sensorId, String metric, double value, long eventTimeMillis) {
    this.eventId = eventId;
    this.sensorId = sensorId;
    this.metric = metric;
    this.value = value;
    this.eventTimeMillis = eventTimeMillis;
  }

  @JsonCreator
  static SensorReading fromJson(
      @JsonProperty(value = "event_id", required = true) String eventId,
      @JsonProperty(value = "sensor_id", required = true) String sensorId,
      @JsonProperty(value = "metric", required = true) String metric,
      @JsonProperty(value = "value", required = true) double value,
      @JsonProperty(value = "event_time", required = true) java.time.Instant eventTime) {
    Fields.requireNonBlank("event_id", eventId);
    Fields.requireNonBlank("sensor_id", sensorId);
    Fields.requireNonBlank("metric", metric);
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("value must be finite");
    }
    return new SensorReading(eventId, sensorId, metric, value, eventTime.toEpochMilli());
  }

  /** The aggregation key: one series per sensor and metric. */
  public String seriesKey() {
    return sensorId + "/" + metric;
  }

  @Override
  public String eventId() {
    return eventId;
  }

  @Override
  public Instant eventTime() {
    return new Instant(eventTimeMillis);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof SensorReading)) {
      return false;
    }
    SensorReading r = (SensorReading) o;
    return eventId.equals(r.eventId)
        && sensorId.equals(r.sensorId)
        && metric.equals(r.metric)
        && Double.compare(value, r.value) == 0
        && eventTimeMillis == r.eventTimeMillis;
  }

  @Override
  public int hashCode() {
    return Objects.hash(eventId, sensorId, metric, value, eventTimeMillis);
  }

  @Override
  public String toString() {
    return "SensorReading{"
        + eventId
        + ", "
        + sensorId
        + "/"
        + metric
        + "="
        + value
        + ", "
        + eventTime()
        + "}";
  }
}
