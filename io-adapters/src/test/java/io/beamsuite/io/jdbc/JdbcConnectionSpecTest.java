package io.beamsuite.io.jdbc;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;

import javax.sql.DataSource;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.util.SerializableUtils;
import org.junit.AfterClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** {@link JdbcConnectionSpec}: secrets stay out of strings, one pool per URL and user. */
@RunWith(JUnit4.class)
public class JdbcConnectionSpecTest {
  // Nothing listens here; a Hikari pool with minimumIdle 0 opens no connection until asked.
  private static final String URL = "jdbc:postgresql://127.0.0.1:1/app";

  @AfterClass
  public static void closePools() {
    JdbcConnectionSpec.closeAllPools();
  }

  @Test
  public void driverIsFoundByUrlWithoutDriverManager() {
    // Pools name their driver class, so a worker with a fresh user-code class loader (a later job
    // on a Flink session cluster) does not depend on what DriverManager registered before.
    assertEquals(
        "org.postgresql.Driver",
        JdbcConnectionSpec.driverClassFor("jdbc:postgresql://127.0.0.1:5432/postgres"));
    assertEquals(null, JdbcConnectionSpec.driverClassFor("jdbc:nosuchdb://host/db"));
  }

  @Test
  public void passwordNeverAppearsInToStringOrDisplayData() {
    JdbcConnectionSpec spec = JdbcConnectionSpec.of(URL, "beam").withPassword("hunter2-secret");
    assertEquals("JdbcConnectionSpec{url=" + URL + ", user=beam, password=***}", spec.toString());
    JdbcConnectionSpec inUrl =
        JdbcConnectionSpec.of(URL + "?ssl=true&password=hunter2-secret&x=1", "beam");
    assertEquals(
        "JdbcConnectionSpec{url=" + URL + "?ssl=true&password=***&x=1, user=beam, password=none}",
        inUrl.toString());
    String display =
        DisplayData.from(
                JdbcUpsertSink.<String>to(inUrl.withPassword("hunter2-secret"), "t")
                    .withColumn("v", "text", s -> s))
            .toString();
    assertThat(display, not(containsString("hunter2")));
    assertThat(display, containsString("password=***"));
    assertEquals(
        "JdbcConnectionSpec{url=" + URL + ", user=beam, password=env:PGPASSWORD}",
        JdbcConnectionSpec.of(URL, "beam").withPasswordFromEnv("PGPASSWORD").toString());
  }

  @Test
  public void onePoolPerUrlAndUserSharedAcrossDeserializedCopies() {
    JdbcConnectionSpec spec = JdbcConnectionSpec.of(URL, "pool_user").withPassword("p");
    DataSource first = spec.dataSource();
    JdbcConnectionSpec copy = SerializableUtils.clone(spec);
    assertSame(first, copy.dataSource());
    assertSame(first, JdbcConnectionSpec.of(URL, "pool_user").dataSource());
    assertNotSame(first, JdbcConnectionSpec.of(URL, "other_user").dataSource());
  }

  @Test
  public void rejectsBadSettings() {
    assertThrows(IllegalArgumentException.class, () -> JdbcConnectionSpec.of("postgres://x", "u"));
    assertThrows(IllegalArgumentException.class, () -> JdbcConnectionSpec.of(URL, ""));
    assertThrows(
        IllegalArgumentException.class, () -> JdbcConnectionSpec.of(URL, "u").withMaxPoolSize(0));
  }
}
