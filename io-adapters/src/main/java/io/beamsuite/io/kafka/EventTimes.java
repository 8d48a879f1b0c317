package io.beamsuite.io.kafka;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.beamsuite.transforms.json.IsoInstants;
import java.time.format.DateTimeParseException;
import java.util.List;
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
  /** The event-time field of every event (docs/pipelines.md). */
  public static final String FIELD = "event_time";

  private static final JsonFactory FACTORY = new JsonFactory();

  private EventTimes() {}

  /**
   * The {@code event_time} of {@code payload}, or {@code null} if the payload is not a JSON object
   * whose top-level {@code event_time} is a parseable ISO-8601 instant. Never throws.
   */
  public static @Nullable Instant eventTimeOrNull(byte @Nullable [] payload) {
    return timeOrNull(payload, List.of(FIELD));
  }

  /**
   * The ISO-8601 instant at {@code path} (field names from the top-level object down, e.g. {@code
   * [after, updated_at]} in a Debezium envelope), or {@code null} when any step is missing, not an
   * object, or the value is not a parseable instant. Never throws.
   */
  public static @Nullable Instant timeOrNull(byte @Nullable [] payload, List<String> path) {
    if (payload == null || payload.length == 0 || path.isEmpty()) {
      return null;
    }
    try (JsonParser parser = FACTORY.createParser(payload)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      for (int depth = 0; depth < path.size(); depth++) {
        if (!seekField(parser, path.get(depth))) {
          return null;
        }
        JsonToken value = parser.nextToken();
        boolean last = depth == path.size() - 1;
        if (last) {
          return value == JsonToken.VALUE_STRING ? withinBeamBounds(parser.getText()) : null;
        }
        if (value != JsonToken.START_OBJECT) {
          return null;
        }
      }
      return null;
    } catch (java.io.IOException | DateTimeParseException | ArithmeticException e) {
      // Malformed payloads are dead-lettered by the parser downstream; here they just have no time.
      return null;
    }
  }

  /** Moves to the field {@code name} of the current object, skipping the others' values. */
  private static boolean seekField(JsonParser parser, String name) throws java.io.IOException {
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      if (name.equals(parser.currentName())) {
        return true;
      }
      parser.nextToken();
      parser.skipChildren();
    }
    return false;
  }

  private static @Nullable Instant withinBeamBounds(String text) {
    Instant t = new Instant(IsoInstants.parseMillis(text));
    // Beam refuses timestamps outside its window bounds; treat them as unreadable.
    return t.isBefore(BoundedWindow.TIMESTAMP_MIN_VALUE)
            || t.isAfter(BoundedWindow.TIMESTAMP_MAX_VALUE)
        ? null
        : t;
  }
}
