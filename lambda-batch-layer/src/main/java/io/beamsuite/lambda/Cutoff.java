package io.beamsuite.lambda;

import io.beamsuite.pipelines.views.RevenueAndPageViews;
import java.time.format.DateTimeParseException;
import org.joda.time.Instant;

/**
 * Parses and checks {@code --cutoff}: an instant on a boundary of the widest window of the views
 * (one hour), so no window straddles the cutoff and each row of the serving view comes from exactly
 * one layer.
 */
final class Cutoff {
  private Cutoff() {}

  static Instant parse(String value) {
    Instant cutoff;
    try {
      cutoff = new Instant(java.time.Instant.parse(value).toEpochMilli());
    } catch (DateTimeParseException | NullPointerException e) {
      throw new IllegalArgumentException(
          "--cutoff: expected an ISO-8601 instant such as 2024-01-01T03:00:00Z, got '"
              + value
              + "'");
    }
    long window = RevenueAndPageViews.WIDEST_WINDOW.getMillis();
    if (Math.floorMod(cutoff.getMillis(), window) != 0) {
      throw new IllegalArgumentException(
          "--cutoff: "
              + value
              + " is not on a window boundary; it must be a whole hour (windows up to "
              + RevenueAndPageViews.WIDEST_WINDOW.getStandardMinutes()
              + " minutes must not straddle it), e.g. "
              + new Instant(Math.floorDiv(cutoff.getMillis(), window) * window));
    }
    return cutoff;
  }
}
