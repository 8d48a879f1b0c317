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
 * (docs/pipelines.md, fraud). Every rule keys its alert by the transaction that raised it and
 * stamps it with that transaction's event time.
 *
 * <pre>{@code
 * FraudAlert alert = new FraudAlert("velocity", "t-17", "c-3", t.eventTimeMillis, 5, 5);
 * alert.toJson();  // {"rule":"velocity","alert_key":"t-17","customer_id":"c-3",...}
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
