package io.beamsuite.pipelines.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;
import java.util.regex.Pattern;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * A card payment on the {@code transactions} topic; amounts are integral cents.
 *
 * <pre>{@code
 * ParseJson.Result<Transaction> txns =
 *     raw.apply(ParseJson.of(Transaction.class).withStage("parse-transactions"));
 * }</pre>
 */
@DefaultCoder(EventCoders.TransactionCoder.class)
public final class Transaction implements Event {
  private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");

  public final String eventId;
  public final String customerId;
  public final String merchantId;
  public final long amountCents;
  public final String currency;
  public final String country;
  public final long eventTimeMillis;

  public Transaction(
      String eventId,
      String customerId,
      String merchantId,
      long amountCents,
      String currency,
      String country,
      long eventTimeMillis) {
    this.eventId = eventId;
    this.customerId = customerId;
    this.merchantId = merchantId;
    this.amountCents = amountCents;
    this.currency = currency;
    this.country = country;
    this.eventTimeMillis = eventTimeMillis;
  }

  @JsonCreator
  static Transaction fromJson(
      @JsonProperty(value = "event_id", required = true) String eventId,
      @JsonProperty(value = "customer_id", required = true) String customerId,
      @JsonProperty(value = "merchant_id", required = true) String merchantId,
      @JsonProperty(value = "amount_cents", required = true) long amountCents,
      @JsonProperty(value = "currency", required = true) String currency,
      @JsonProperty(value = "country", required = true) String country,
      @JsonProperty(value = "event_time", required = true) java.time.Instant eventTime) {
    Fields.requireNonBlank("event_id", eventId);
    Fields.requireNonBlank("customer_id", customerId);
    Fields.requireNonBlank("merchant_id", merchantId);
    Fields.requireNonBlank("country", country);
    if (amountCents < 0) {
      throw new IllegalArgumentException("amount_cents must be >= 0");
    }
    if (!CURRENCY.matcher(currency).matches()) {
      throw new IllegalArgumentException("currency must be three upper-case letters");
    }
    return new Transaction(
        eventId, customerId, merchantId, amountCents, currency, country, eventTime.toEpochMilli());
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
    if (!(o instanceof Transaction)) {
      return false;
    }
    Transaction t = (Transaction) o;
    return eventId.equals(t.eventId)
        && customerId.equals(t.customerId)
        && merchantId.equals(t.merchantId)
        && amountCents == t.amountCents
        && currency.equals(t.currency)
        && country.equals(t.country)
        && eventTimeMillis == t.eventTimeMillis;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        eventId, customerId, merchantId, amountCents, currency, country, eventTimeMillis);
  }

  @Override
  public String toString() {
    return "Transaction{"
        + eventId
        + ", "
        + customerId
        + ", "
        + amountCents
        + " "
        + currency
        + ", "
        + country
        + ", "
        + eventTime()
        + "}";
  }
}
