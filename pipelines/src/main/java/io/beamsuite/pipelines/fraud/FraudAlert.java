package io.beamsuite.pipelines.fraud;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Objects;
import org.apache.beam.sdk.schemas.JavaFieldSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaCreate;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * One row of {@code fraud_alerts(rule, alert_key, customer_id, event_time, observed, threshold)},
 * primary key {@code (rule, alert_key)}, and the JSON message sent for it on the alerts topic
 * (docs/pipelines.md, fraud).
 *
 * <pre>{@code
 * FraudAlert alert = FraudAlert.windowed("velocity", "c-3", windowStart, 5, 5);
 * alert.alertKey;  // "c-3@2026-01-05T10:20:00Z"
 * alert.toJson();  // {"rule":"velocity","alert_key":"c-3@2026-01-05T10:20:00Z",...}
 * }</pre>
 */
@DefaultSchema(JavaFieldSchema.class)
public final class FraudAlert {
  private static final JsonFactory JSON = new JsonFactory();

  public final String rule;
  public final String alertKey;
  public final String customerId;
  public final long eventTimeMillis;
  public final long observed;
  public final long threshold;

  @SchemaCreate
  public FraudAlert(
      String rule,
      String alertKey,
      String customerId,
      long eventTimeMillis,
      long observed,
      long threshold) {
    this.rule = rule;
    this.alertKey = alertKey;
    this.customerId = customerId;
    this.eventTimeMillis = eventTimeMillis;
    this.observed = observed;
    this.threshold = threshold;
  }

  /**
   * An alert about one window of one customer: the key is {@code <customer_id>@<window_start>}, the
   * start rendered as ISO-8601 by {@link java.time.Instant#toString()} (e.g. {@code
   * 2026-01-05T10:20:00Z}), and the event time is the window start.
   */
  public static FraudAlert windowed(
      String rule, String customerId, Instant windowStart, long observed, long threshold) {
    return new FraudAlert(
        rule,
        customerId + "@" + java.time.Instant.ofEpochMilli(windowStart.getMillis()),
        customerId,
        windowStart.getMillis(),
        observed,
        threshold);
  }

  /** The alert's {@code event_time}. */
  public Instant eventTime() {
    return new Instant(eventTimeMillis);
  }

  /**
   * The alerts-topic message: the row's columns under their column names, {@code event_time} as an
   * ISO-8601 instant.
   */
  public String toJson() {
    StringWriter out = new StringWriter(160);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("rule", rule);
      g.writeStringField("alert_key", alertKey);
      g.writeStringField("customer_id", customerId);
      g.writeStringField("event_time", java.time.Instant.ofEpochMilli(eventTimeMillis).toString());
      g.writeNumberField("observed", observed);
      g.writeNumberField("threshold", threshold);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof FraudAlert)) {
      return false;
    }
    FraudAlert a = (FraudAlert) o;
    return rule.equals(a.rule)
        && alertKey.equals(a.alertKey)
        && customerId.equals(a.customerId)
        && eventTimeMillis == a.eventTimeMillis
        && observed == a.observed
        && threshold == a.threshold;
  }

  @Override
  public int hashCode() {
    return Objects.hash(rule, alertKey, customerId, eventTimeMillis, observed, threshold);
  }

  @Override
  public String toString() {
    return "FraudAlert{" + rule + ", " + alertKey + ", " + observed + "/" + threshold + "}";
  }
}
