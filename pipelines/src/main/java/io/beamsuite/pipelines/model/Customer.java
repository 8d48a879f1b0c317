package io.beamsuite.pipelines.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;
import org.apache.beam.sdk.schemas.JavaFieldSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaCreate;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A row of the Postgres {@code customers} table as Debezium writes it ({@code updated_at} is a
 * timestamptz with microseconds, kept exactly).
 *
 * <pre>{@code
 * DebeziumJson.Result<String, Customer> changes =
 *     raw.apply(DebeziumJson.parse(Customer.class).withKeyField("customer_id"));
 * }</pre>
 */
@DefaultSchema(JavaFieldSchema.class)
public final class Customer {
  public final String customerId;
  public final String name;
  public final String tier;
  public final String homeCountry;
  public final long creditLimitCents;
  public final long updatedAtMicros;

  @SchemaCreate
  public Customer(
      String customerId,
      String name,
      String tier,
      String homeCountry,
      long creditLimitCents,
      long updatedAtMicros) {
    this.customerId = customerId;
    this.name = name;
    this.tier = tier;
    this.homeCountry = homeCountry;
    this.creditLimitCents = creditLimitCents;
    this.updatedAtMicros = updatedAtMicros;
  }

  @JsonCreator
  static Customer fromJson(
      @JsonProperty(value = "customer_id", required = true) String customerId,
      @JsonProperty(value = "name", required = true) String name,
      @JsonProperty(value = "tier", required = true) String tier,
      @JsonProperty(value = "home_country", required = true) String homeCountry,
      @JsonProperty(value = "credit_limit_cents", required = true) long creditLimitCents,
      @JsonProperty(value = "updated_at", required = true) java.time.Instant updatedAt) {
    Fields.requireNonBlank("customer_id", customerId);
    long micros =
        Math.addExact(
            Math.multiplyExact(updatedAt.getEpochSecond(), 1_000_000L),
            updatedAt.getNano() / 1_000L);
    return new Customer(customerId, name, tier, homeCountry, creditLimitCents, micros);
  }

  /** {@code updated_at} with its microseconds. */
  public java.time.Instant updatedAt() {
    return java.time.Instant.EPOCH.plusNanos(Math.multiplyExact(updatedAtMicros, 1_000L));
  }

  /** {@code updated_at} in milliseconds (Beam's time resolution), rounded down. */
  public org.joda.time.Instant updatedAtMillis() {
    return new org.joda.time.Instant(Math.floorDiv(updatedAtMicros, 1_000L));
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof Customer)) {
      return false;
    }
    Customer c = (Customer) o;
    return customerId.equals(c.customerId)
        && name.equals(c.name)
        && tier.equals(c.tier)
        && homeCountry.equals(c.homeCountry)
        && creditLimitCents == c.creditLimitCents
        && updatedAtMicros == c.updatedAtMicros;
  }

  @Override
  public int hashCode() {
    return Objects.hash(customerId, name, tier, homeCountry, creditLimitCents, updatedAtMicros);
  }

  @Override
  public String toString() {
    return "Customer{"
        + customerId
        + ", "
        + tier
        + ", limit="
        + creditLimitCents
        + ", "
        + updatedAt()
        + "}";
  }
}
