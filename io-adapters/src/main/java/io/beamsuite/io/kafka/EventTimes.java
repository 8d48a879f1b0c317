package io.beamsuite.io.kafka;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.time.format.DateTimeParseException;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Reads the top-level {@code event_time} field (ISO-8601 instant) of a JSON payload without
 * building a tree; shared by the Kafka and file sources so both assign the same event time.
 *
 * <pre>{@code
 * Instant t = EventTimes.eventTimeOrNull(payload); // null when absent or unreadable
 * }</pre>
 */
public final class EventTimes {
  /** The event-time field of DESIGN.md §3. */
  public static final String FIELD = "event_time";

  private static final JsonFactory FACTORY = new JsonFactory();

  private EventTimes() {}

  /**
   * The {@code event_time} of {@code payload}, or {@code null} if the payload is not a JSON object
   * whose top-level {@code event_time} is a parseable ISO-8601 instant. Never throws.
   */
  public static @Nullable Instant eventTimeOrNull(byte @Nullable [] payload) {
    if (payload == null || payload.length == 0) {
      return null;
    }
    try (JsonParser parser = FACTORY.createParser(payload)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      JsonToken token;
      while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        if (FIELD.equals(name)) {
          if (value != JsonToken.VALUE_STRING) {
            return null;
          }
          Instant t = new Instant(java.time.Instant.parse(parser.getText()).toEpochMilli());
          // Beam refuses timestamps outside its window bounds; treat them as unreadable.
          return t.isBefore(BoundedWindow.TIMESTAMP_MIN_VALUE)
                  || t.isAfter(BoundedWindow.TIMESTAMP_MAX_VALUE)
              ? null
              : t;
        }
        // Skip nested values; only the top-level field counts.
        parser.skipChildren();
      }
      return null;
    } catch (java.io.IOException | DateTimeParseException | ArithmeticException e) {
      // Malformed payloads are dead-lettered by the parser downstream; here they just have no time.
      return null;
    }
  }
}
