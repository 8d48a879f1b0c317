package io.beamsuite.io.jdbc;

import static org.junit.Assert.assertEquals;

import io.beamsuite.io.jdbc.JdbcWrites.ErrorKind;
import java.sql.BatchUpdateException;
import java.sql.SQLException;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** SQLSTATE classification that decides retry, dead letter or failure. */
@RunWith(JUnit4.class)
public class JdbcWritesTest {
  private static ErrorKind kind(String state) {
    return JdbcWrites.classify(new SQLException("x", state));
  }

  @Test
  public void classifiesBySqlState() {
    assertEquals(ErrorKind.TRANSIENT, kind("40001"));
    assertEquals(ErrorKind.TRANSIENT, kind("40P01"));
    assertEquals(ErrorKind.TRANSIENT, kind("08006"));
    // pg_terminate_backend, a server crash, a server still starting after a restart.
    assertEquals(ErrorKind.TRANSIENT, kind("57P01"));
    assertEquals(ErrorKind.TRANSIENT, kind("57P02"));
    assertEquals(ErrorKind.TRANSIENT, kind("57P03"));
    // 57014 (query_canceled by statement_timeout or pg_cancel_backend) stays a configuration error.
    assertEquals(ErrorKind.FATAL, kind("57014"));
    assertEquals(ErrorKind.TRANSIENT, kind("08001"));
    assertEquals(ErrorKind.CONSTRAINT, kind("23505"));
    assertEquals(ErrorKind.CONSTRAINT, kind("23514"));
    assertEquals(ErrorKind.DATA, kind("22001"));
    assertEquals(ErrorKind.DATA, kind("22P02"));
    assertEquals(ErrorKind.FATAL, kind("42P01"));
    assertEquals(ErrorKind.FATAL, kind("42501"));
    assertEquals(ErrorKind.FATAL, kind("40002")); // not a retryable rollback class member
  }

  @Test
  public void looksThroughBatchExceptionsAndCauses() {
    BatchUpdateException batch = new BatchUpdateException("batch entry 0 failed", null, 0, null);
    batch.setNextException(new SQLException("deadlock detected", "40P01"));
    assertEquals(ErrorKind.TRANSIENT, JdbcWrites.classify(batch));

    SQLException wrapped = new SQLException("wrapper", null, new SQLException("check", "23514"));
    assertEquals(ErrorKind.CONSTRAINT, JdbcWrites.classify(wrapped));

    assertEquals(
        ErrorKind.FATAL, JdbcWrites.classify(new BatchUpdateException("no state", null, 0, null)));
  }
}
