package io.beamsuite.pipelines.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * A page view on the {@code clicks} topic. Parsed with the tolerant reader ({@code ParseJson}); its
 * default coder writes its fields (see {@code EventCoders}).
 *
 * <pre>{@code
 * ParseJson.Result<Click> clicks = raw.apply(ParseJson.of(Click.class).withStage("parse-clicks"));
 * }</pre>
 */
@DefaultCoder(EventCoders.ClickCoder.class)
public final class Click implements Event {
  public final String eventId;
  public final String userId;
  public final String page;
  public final @Nullable String referrer;
  public final long eventTimeMillis;

  public Click(
      String eventId, String userId, String page, @Nullable String referrer, long eventTimeMillis) {
    this.eventId = eventId;
    this.userId = userId;
    this.page = page;
    this.referrer = referrer;
    this.eventTimeMillis = eventTimeMillis;
  }

  @JsonCreator
  static Click fromJson(
      @JsonProperty(value = "event_id", required = true) String eventId,
      @JsonProperty(value = "user_id", required = true) String userId,
      @JsonProperty(value = "page", required = true) String page,
      @JsonProperty("referrer") @Nullable String referrer,
      @JsonProperty(value = "event_time", required = true) java.time.Instant eventTime) {
    Fields.requireNonBlank("event_id", eventId);
    Fields.requireNonBlank("user_id", userId);
    Fields.requireNonBlank("page", page);
    return new Click(eventId, userId, page, referrer, eventTime.toEpochMilli());
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
    if (!(o instanceof Click)) {
      return false;
    }
    Click c = (Click) o;
    return eventId.equals(c.eventId)
        && userId.equals(c.userId)
        && page.equals(c.page)
        && Objects.equals(referrer, c.referrer)
        && eventTimeMillis == c.eventTimeMillis;
  }

  @Override
  public int hashCode() {
    return Objects.hash(eventId, userId, page, referrer, eventTimeMillis);
  }

  @Override
  public String toString() {
    return "Click{" + eventId + ", " + userId + ", " + page + ", " + eventTime() + "}";
  }
}
