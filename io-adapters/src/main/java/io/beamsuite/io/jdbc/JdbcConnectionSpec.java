package io.beamsuite.io.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.Serializable;
import java.sql.Driver;
import java.sql.SQLException;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Serializable connection settings for PostgreSQL (JDBC URL, user, password) and the per-JVM shared
 * HikariCP pool they open.
 *
 * <p>The pool is keyed by URL and user, so every DoFn instance on a worker reuses the same
 * connections instead of opening a pool each. The password never appears in {@link #toString()} or
 * display data (a {@code password=} parameter in the URL is masked as well). To keep the password
 * out of a serialized job spec entirely, use {@link #withPasswordFromEnv(String)}: the worker reads
 * the variable when it opens the pool.
 *
 * <pre>{@code
 * JdbcConnectionSpec db =
 *     JdbcConnectionSpec.of("jdbc:postgresql://db:5432/app", "beam")
 *         .withPasswordFromEnv("PGPASSWORD")
 *         .withMaxPoolSize(4);
 * DataSource pooled = db.dataSource(); // on a worker, e.g. in @Setup
 * }</pre>
 */
public final class JdbcConnectionSpec implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Pattern URL_PASSWORD = Pattern.compile("(?i)(password=)[^&;]*");
  private static final Map<String, HikariDataSource> POOLS = new ConcurrentHashMap<>();

  private final String jdbcUrl;
  private final String user;
  private final @Nullable String password;
  private final @Nullable String passwordEnv;
  private final int maxPoolSize;

  private JdbcConnectionSpec(
      String jdbcUrl,
      String user,
      @Nullable String password,
      @Nullable String passwordEnv,
      int maxPoolSize) {
    this.jdbcUrl = jdbcUrl;
    this.user = user;
    this.password = password;
    this.passwordEnv = passwordEnv;
    this.maxPoolSize = maxPoolSize;
  }

  /** Connects to {@code jdbcUrl} as {@code user} without a password (e.g. trust auth). */
  public static JdbcConnectionSpec of(String jdbcUrl, String user) {
    if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:")) {
      throw new IllegalArgumentException("jdbcUrl must start with jdbc:");
    }
    if (user == null || user.isEmpty()) {
      throw new IllegalArgumentException("user must be non-empty");
    }
    return new JdbcConnectionSpec(jdbcUrl, user, null, null, 4);
  }

  /** Connects with {@code password}; it travels with the serialized spec but is never printed. */
  public JdbcConnectionSpec withPassword(String password) {
    return new JdbcConnectionSpec(jdbcUrl, user, password, null, maxPoolSize);
  }

  /** Reads the password from environment variable {@code name} on the worker. */
  public JdbcConnectionSpec withPasswordFromEnv(String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("environment variable name must be non-empty");
    }
    return new JdbcConnectionSpec(jdbcUrl, user, null, name, maxPoolSize);
  }

  /** Upper bound of the shared pool's size (default 4); the first spec to open a pool sets it. */
  public JdbcConnectionSpec withMaxPoolSize(int maxPoolSize) {
    if (maxPoolSize < 1) {
      throw new IllegalArgumentException("maxPoolSize must be positive, got " + maxPoolSize);
    }
    return new JdbcConnectionSpec(jdbcUrl, user, password, passwordEnv, maxPoolSize);
  }

  public String jdbcUrl() {
    return jdbcUrl;
  }

  public String user() {
    return user;
  }

  /** The JVM-wide pooled data source for this URL and user, opened on first use. */
  public DataSource dataSource() {
    return POOLS.computeIfAbsent(poolKey(), key -> openPool());
  }

  private String poolKey() {
    return jdbcUrl + '\u0000' + user;
  }

  private HikariDataSource openPool() {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    String driver = driverClassFor(jdbcUrl);
    if (driver != null) {
      // Hikari then instantiates the driver itself instead of asking DriverManager, which on a
      // Flink session cluster only knows the driver class of the first job's user-code class
      // loader in the TaskManager JVM: a later job's first lookup failed with "No suitable driver".
      config.setDriverClassName(driver);
    }
    config.setUsername(user);
    String secret = passwordEnv != null ? System.getenv(passwordEnv) : password;
    if (secret != null) {
      config.setPassword(secret);
    }
    config.setMaximumPoolSize(maxPoolSize);
    config.setMinimumIdle(0);
    // Open lazily: a database that is briefly unreachable surfaces as a connection error (SQLSTATE
    // 08xxx) in getConnection(), which the sinks retry, instead of failing DoFn setup.
    config.setInitializationFailTimeout(-1);
    config.setPoolName("beamsuite-jdbc-" + POOLS.size());
    return new HikariDataSource(config);
  }

  /**
   * The class name of a JDBC driver, visible to this class's loader (the job's, on a worker), that
   * accepts {@code jdbcUrl}; null if none does (Hikari then falls back to DriverManager).
   */
  static @Nullable String driverClassFor(String jdbcUrl) {
    try {
      for (Driver driver :
          ServiceLoader.load(Driver.class, JdbcConnectionSpec.class.getClassLoader())) {
        try {
          if (driver.acceptsURL(jdbcUrl)) {
            return driver.getClass().getName();
          }
        } catch (SQLException e) {
          // Not this driver.
        }
      }
    } catch (ServiceConfigurationError e) {
      // A broken provider entry: leave the choice to DriverManager.
    }
    return null;
  }

  /** Closes every pool this JVM opened (tests; workers keep theirs until the JVM exits). */
  public static void closeAllPools() {
    for (String key : POOLS.keySet()) {
      HikariDataSource pool = POOLS.remove(key);
      if (pool != null) {
        pool.close();
      }
    }
  }

  /** Adds URL (password masked) and user; never the password. */
  public void populateDisplayData(DisplayData.Builder builder) {
    builder
        .add(DisplayData.item("jdbcUrl", maskedUrl()).withLabel("JDBC URL"))
        .add(DisplayData.item("user", user).withLabel("User"));
  }

  private String maskedUrl() {
    return URL_PASSWORD.matcher(jdbcUrl).replaceAll("$1***");
  }

  @Override
  public String toString() {
    return "JdbcConnectionSpec{url="
        + maskedUrl()
        + ", user="
        + user
        + ", password="
        + (password != null ? "***" : passwordEnv != null ? "env:" + passwordEnv : "none")
        + "}";
  }
}
