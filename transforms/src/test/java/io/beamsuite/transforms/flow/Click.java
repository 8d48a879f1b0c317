package io.beamsuite.transforms.flow;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;
import org.apache.beam.sdk.schemas.JavaFieldSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaCreate;
import org.checkerframework.checker.nullness.qual.Nullable;

/** A click as docs/pipelines.md describes it, with a Beam schema for a deterministic coder. */
@DefaultSchema(JavaFieldSchema.class)
public final class Click {
  public final String eventId;
  public final String userId;
  public final String page;
  public final @Nullable String referrer;
  public final long eventTimeMillis;

  @SchemaCreate
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
    if (eventId == null || eventId.isBlank() || page == null || page.isBlank()) {
      throw new IllegalArgumentException("event_id and page must be non-blank");
    }
    return new Click(eventId, userId, page, referrer, eventTime.toEpochMilli());
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
}
