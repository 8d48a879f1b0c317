package io.beamsuite.kappa;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.TopicPartition;
import org.junit.Test;

/** {@code --from} parsing, progress arithmetic and the Kappa names, without services. */
public class ReplayStartTest {
  @Test
  public void parsesTheThreeForms() {
    assertEquals("earliest", ReplayStart.parse("earliest").toString());
    assertEquals(
        "records at or after 2024-01-01T12:00:00Z",
        ReplayStart.parse("2024-01-01T12:00:00Z").toString());
    assertEquals(
        "offsets {clicks-0=7, transactions-0=12}",
        ReplayStart.parse("transactions:0=12, clicks:0=7").toString());
  }

  @Test
  public void rejectsBadValuesNamingTheOption() {
    for (String bad :
        new String[] {"yesterday", "clicks=5", "clicks:x=5", "clicks:0=-1", "a:0=1,b"}) {
      IllegalArgumentException e =
          assertThrows(bad, IllegalArgumentException.class, () -> ReplayStart.parse(bad));
      assertThat(e.getMessage(), containsString("--from"));
    }
  }

  @Test
  public void progressLagRateAndEta() {
    TopicPartition a = new TopicPartition("clicks", 0);
    TopicPartition b = new TopicPartition("transactions", 0);
    Map<TopicPartition, Long> live = new TreeMap<>(KafkaPositions::compare);
    live.put(a, 100L);
    live.put(b, 50L);
    Map<TopicPartition, Long> position = new TreeMap<>(KafkaPositions::compare);
    position.put(a, 60L);
    position.put(b, 70L); // past the live point: new records arrived
    ReplayProgress p = new ReplayProgress(5_000, position, live, 20.0, false);
    assertEquals(40, p.lag(a));
    assertEquals(0, p.lag(b));
    assertEquals(40, p.totalLag());
    assertEquals(2, p.etaSeconds());
    assertEquals(
        "replay 5 s: lag=40 [clicks:0 lag=40 transactions:0 lag=0] 20 records/s eta=2s", p.line());
    assertEquals(-1, new ReplayProgress(1, position, live, 0, false).etaSeconds());
  }

  @Test
  public void versionedNamesAndServingDefinitions() {
    assertEquals("revenue_per_merchant_hour_v3", KappaViews.table("revenue_per_merchant_hour", 3));
    assertEquals("page_views_per_minute_kappa", KappaViews.servingView("page_views_per_minute"));
    assertEquals(
        "SELECT page, window_start, window_end, views FROM page_views_per_minute_v2",
        KappaViews.select("page_views_per_minute", 2));
    assertThrows(IllegalArgumentException.class, () -> KappaViews.table("x", 0));
    assertTrue(KappaViews.views().contains("revenue_per_merchant_hour"));
    assertFalse(KappaViews.views().contains("fraud_alerts"));
  }
}
