package io.beamsuite.kappa;

import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * One look at a replay: per partition, how far the pipeline has got (its consumer group's committed
 * offset) against the live point (the end offset when the replay started), the lag in records, the
 * rate since the previous look and the time left at that rate.
 *
 * @param elapsedMillis since the replay started
 * @param position per partition: the committed offset, else the start offset
 * @param live per partition: the live point
 * @param recordsPerSecond records replayed per second since the previous look
 * @param caughtUp whether every partition's lag is at most the allowed lag
 */
public record ReplayProgress(
    long elapsedMillis,
    Map<TopicPartition, Long> position,
    Map<TopicPartition, Long> live,
    double recordsPerSecond,
    boolean caughtUp) {

  /** Records between the position and the live point, per partition (never negative). */
  public long lag(TopicPartition tp) {
    return Math.max(0, live.get(tp) - position.getOrDefault(tp, 0L));
  }

  /** The sum of the partitions' lags. */
  public long totalLag() {
    long total = 0;
    for (TopicPartition tp : live.keySet()) {
      total += lag(tp);
    }
    return total;
  }

  /** Seconds left at the current rate; -1 when unknown (no progress yet). */
  public long etaSeconds() {
    if (totalLag() == 0) {
      return 0;
    }
    return recordsPerSecond <= 0 ? -1 : Math.round(totalLag() / recordsPerSecond);
  }

  /** One line for the progress log. */
  public String line() {
    StringBuilder partitions = new StringBuilder();
    for (TopicPartition tp : live.keySet()) {
      partitions
          .append(partitions.length() == 0 ? "" : " ")
          .append(tp.topic())
          .append(':')
          .append(tp.partition())
          .append(" lag=")
          .append(lag(tp));
    }
    long eta = etaSeconds();
    return String.format(
        Locale.ROOT,
        "replay %.0f s: lag=%d [%s] %.0f records/s eta=%s%s",
        elapsedMillis / 1000.0,
        totalLag(),
        partitions,
        recordsPerSecond,
        eta < 0 ? "?" : eta + "s",
        caughtUp ? " CAUGHT UP" : "");
  }
}
