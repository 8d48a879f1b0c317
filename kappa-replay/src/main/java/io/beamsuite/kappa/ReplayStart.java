package io.beamsuite.kappa;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.TopicPartition;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Where a replay starts, parsed from {@code --from}: {@code earliest}, an ISO-8601 instant (by
 * Kafka record timestamp), or explicit offsets {@code topic:partition=offset,...}.
 *
 * <pre>{@code
 * ReplayStart.parse("transactions:0=1200,clicks:0=800").resolve(kafka, topics);
 * }</pre>
 */
public final class ReplayStart {
  private final @Nullable Instant time;
  private final Map<TopicPartition, Long> explicit;

  private ReplayStart(@Nullable Instant time, Map<TopicPartition, Long> explicit) {
    this.time = time;
    this.explicit = explicit;
  }

  /** Parses {@code --from}; a bad value is an {@link IllegalArgumentException} naming it. */
  public static ReplayStart parse(String from) {
    if (from == null || from.isBlank() || from.equals("earliest")) {
      return new ReplayStart(null, Map.of());
    }
    if (from.contains("=")) {
      Map<TopicPartition, Long> offsets = new TreeMap<>(KafkaPositions::compare);
      for (String part : from.split(",")) {
        String[] kv = part.trim().split("=", 2);
        int colon = kv[0].lastIndexOf(':');
        try {
          if (kv.length != 2 || colon <= 0) {
            throw new NumberFormatException();
          }
          TopicPartition tp =
              new TopicPartition(
                  kv[0].substring(0, colon), Integer.parseInt(kv[0].substring(colon + 1)));
          long offset = Long.parseLong(kv[1]);
          if (tp.partition() < 0 || offset < 0) {
            throw new NumberFormatException();
          }
          offsets.put(tp, offset);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "--from: expected topic:partition=offset[,...], got '" + part.trim() + "'");
        }
      }
      return new ReplayStart(null, offsets);
    }
    try {
      return new ReplayStart(Instant.parse(from), Map.of());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "--from: expected earliest, an ISO-8601 instant (2024-03-01T00:00:00Z) or"
              + " topic:partition=offset[,...], got '"
              + from
              + "'");
    }
  }

  /** The start offset of every partition of {@code topics}. */
  public Map<TopicPartition, Long> resolve(KafkaPositions kafka, List<String> topics) {
    Map<TopicPartition, Long> start =
        time != null ? kafka.offsetsForTime(topics, time) : kafka.beginningOffsets(topics);
    for (Map.Entry<TopicPartition, Long> e : explicit.entrySet()) {
      if (!start.containsKey(e.getKey())) {
        throw new IllegalArgumentException(
            "--from: " + e.getKey() + " is not a partition of the replayed topics " + topics);
      }
      start.put(e.getKey(), e.getValue());
    }
    return start;
  }

  @Override
  public String toString() {
    if (time != null) {
      return "records at or after " + time;
    }
    return explicit.isEmpty() ? "earliest" : "offsets " + explicit;
  }
}
