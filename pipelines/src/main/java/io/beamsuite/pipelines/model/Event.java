package io.beamsuite.pipelines.model;

import org.joda.time.Instant;

/**
 * What every event (docs/pipelines.md, Parsing) has: an id that identifies duplicates and an event
 * time.
 *
 * <pre>{@code
 * SerializableFunction<Click, String> id = Event::eventId;
 * }</pre>
 */
public interface Event {
  /** The producer-assigned id; copies of one event share it. */
  String eventId();

  /** When the event happened ({@code event_time}). */
  Instant eventTime();
}
