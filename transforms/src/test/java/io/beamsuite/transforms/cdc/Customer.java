package io.beamsuite.transforms.cdc;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;
import org.apache.beam.sdk.schemas.JavaFieldSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaCreate;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A row of the {@code customers} table (docs/pipelines.md) as Debezium's Postgres connector emits
 * it: snake_case columns, {@code updated_at timestamptz} as an ISO-8601 string. Only the key is
 * required, because a delete under the default replica identity carries the key alone.
 */
@DefaultSchema(JavaFieldSchema.class)
public final class Customer {
  public final String customerId;
  public final @Nullable String name;
  public final @Nullable String tier;
  public final @Nullable String homeCountry;
  public final @Nullable Long creditLimitCents;

  /** {@code updated_at} in microseconds since the epoch (Postgres keeps microseconds). */
  public final @Nullable Long updatedAtMicros;

  @SchemaCreate
  public Customer(
      String customerId,
      @Nullable String name,
      @Nullable String tier,
      @Nullable String homeCountry,
      @Nullable Long creditLimitCents,
      @Nullable Long updatedAtMicros) {
    this.customerId = customerId;
    this.name = name;
    this.tier = tier;
    this.homeCountry = homeCountry;
    this.creditLimitCents = creditLimitCents;
    this.updatedAtMicros = updatedAtMicros;
  }

  /** A customer whose {@code updated_at} is given as an ISO-8601 instant, or null. */
  static Customer of(
      String customerId,
      @Nullable String name,
      @Nullable String tier,
      @Nullable String homeCountry,
      @Nullable Long creditLimitCents,
      @Nullable String updatedAt) {
    return new Customer(
        customerId,
        name,
        tier,
        homeCountry,
        creditLimitCents,
        updatedAt == null ? null : micros(java.time.Instant.parse(updatedAt)));
  }

  @JsonCreator
  static Customer fromJson(
      @JsonProperty(value = "customer_id", required = true) String customerId,
      @JsonProperty("name") @Nullable String name,
      @JsonProperty("tier") @Nullable String tier,
      @JsonProperty("home_country") @Nullable String homeCountry,
      @JsonProperty("credit_limit_cents") @Nullable Long creditLimitCents,
      @JsonProperty("updated_at") java.time.@Nullable Instant updatedAt) {
    if (customerId == null || customerId.isBlank()) {
      throw new IllegalArgumentException("customer_id must be non-blank");
    }
    return new Customer(
        customerId,
        name,
        tier,
        homeCountry,
        creditLimitCents,
        updatedAt == null ? null : micros(updatedAt));
  }

  private static long micros(java.time.Instant instant) {
    return Math.addExact(
        Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000L);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof Customer)) {
      return false;
    }
    Customer c = (Customer) o;
    return customerId.equals(c.customerId)
        && Objects.equals(name, c.name)
        && Objects.equals(tier, c.tier)
        && Objects.equals(homeCountry, c.homeCountry)
        && Objects.equals(creditLimitCents, c.creditLimitCents)
        && Objects.equals(updatedAtMicros, c.updatedAtMicros);
  }

  @Override
  public int hashCode() {
    return Objects.hash(customerId, name, tier, homeCountry, creditLimitCents, updatedAtMicros);
  }

  @Override
  public String toString() {
    return customerId
        + "{"
        + name
        + ", "
        + tier
        + ", "
        + homeCountry
        + ", "
        + creditLimitCents
        + ", "
        + updatedAtMicros
        + "}";
  }
}
