package io.beamsuite.bench;

import io.beamsuite.fixtures.generator.EventTopic;
import io.beamsuite.pipelines.model.Click;
import io.beamsuite.pipelines.model.Transaction;
import io.beamsuite.pipelines.views.PageViewsPerMinute;
import io.beamsuite.pipelines.views.RevenuePerMerchantHour;
import java.time.Duration;

/**
 * The two windowed aggregations compared across frameworks, with what a hand-written job needs to
 * know about them (key, value, window size); the Beam side applies the pipelines' own transform.
 */
public enum View {
  /** {@code revenue_per_merchant_hour}: sum of {@code amount_cents} per merchant per hour. */
  REVENUE(
      "revenue_per_merchant_hour",
      EventTopic.TRANSACTIONS,
      Transaction.class,
      Duration.ofMillis(RevenuePerMerchantHour.WINDOW.getMillis()),
      "merchant_id",
      "revenue_cents"),
  /** {@code page_views_per_minute}: count of clicks per page per minute. */
  PAGE_VIEWS(
      "page_views_per_minute",
      EventTopic.CLICKS,
      Click.class,
      Duration.ofMillis(PageViewsPerMinute.WINDOW.getMillis()),
      "page",
      "views");

  final String table;
  final EventTopic topic;
  final Class<?> type;
  final Duration window;

  /** The table's key and value columns, as the pipelines' {@code toTable} declares them. */
  final String keyColumn;

  final String valueColumn;

  View(
      String table,
      EventTopic topic,
      Class<?> type,
      Duration window,
      String keyColumn,
      String valueColumn) {
    this.table = table;
    this.topic = topic;
    this.type = type;
    this.window = window;
    this.keyColumn = keyColumn;
    this.valueColumn = valueColumn;
  }

  /**
   * The table {@code lambda-batch} writes as its first batch version (every headline side writes
   * it).
   */
  String batchTable() {
    return table + "_batch_v1";
  }

  /** The event time of a parsed event, epoch milliseconds. */
  long eventTimeMillis(Object event) {
    return this == REVENUE
        ? ((Transaction) event).eventTimeMillis
        : ((Click) event).eventTimeMillis;
  }

  /** The aggregation key of a parsed event. */
  String key(Object event) {
    return this == REVENUE ? ((Transaction) event).merchantId : ((Click) event).page;
  }

  /** The value summed per window (the amount, or 1 per click). */
  long value(Object event) {
    return this == REVENUE ? ((Transaction) event).amountCents : 1L;
  }

  String eventId(Object event) {
    return this == REVENUE ? ((Transaction) event).eventId : ((Click) event).eventId;
  }

  long windowStart(long eventTimeMillis) {
    long size = window.toMillis();
    return eventTimeMillis - Math.floorMod(eventTimeMillis, size);
  }
}
