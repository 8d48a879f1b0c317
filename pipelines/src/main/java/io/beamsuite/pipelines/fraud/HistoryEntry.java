package io.beamsuite.pipelines.fraud;

import io.beamsuite.pipelines.model.Transaction;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Comparator;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.BigEndianLongCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What the trailing-window rules keep of one transaction of a customer: its id, country and event
 * time (the customer is the state key). Ordered by event time, then id.
 *
 * <pre>{@code
 * HistoryEntry e = HistoryEntry.of(txn);
 * boolean inWindow = e.eventTimeMillis >= t - window && e.eventTimeMillis <= t;
 * }</pre>
 */
final class HistoryEntry {
  static final Comparator<HistoryEntry> BY_TIME =
      Comparator.<HistoryEntry>comparingLong(e -> e.eventTimeMillis).thenComparing(e -> e.eventId);

  final String eventId;
  final String country;
  final long eventTimeMillis;

  HistoryEntry(String eventId, String country, long eventTimeMillis) {
    this.eventId = eventId;
    this.country = country;
    this.eventTimeMillis = eventTimeMillis;
  }

  static HistoryEntry of(Transaction t) {
    return new HistoryEntry(t.eventId, t.country, t.eventTimeMillis);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof HistoryEntry)) {
      return false;
    }
    HistoryEntry e = (HistoryEntry) o;
    return eventId.equals(e.eventId)
        && country.equals(e.country)
        && eventTimeMillis == e.eventTimeMillis;
  }

  @Override
  public int hashCode() {
    return eventId.hashCode() * 31 + Long.hashCode(eventTimeMillis);
  }

  @Override
  public String toString() {
    return eventId + "@" + eventTimeMillis + "/" + country;
  }

  /** Explicit, deterministic coder: two strings and a fixed-width time. */
  static final class EntryCoder extends AtomicCoder<HistoryEntry> {
    private static final long serialVersionUID = 1L;
    static final EntryCoder INSTANCE = new EntryCoder();
    private static final Coder<String> STRING = StringUtf8Coder.of();
    private static final Coder<Long> LONG = BigEndianLongCoder.of();

    @Override
    public void encode(HistoryEntry e, OutputStream out) throws IOException {
      STRING.encode(e.eventId, out);
      STRING.encode(e.country, out);
      LONG.encode(e.eventTimeMillis, out);
    }

    @Override
    public HistoryEntry decode(InputStream in) throws IOException {
      return new HistoryEntry(STRING.decode(in), STRING.decode(in), LONG.decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }
}
