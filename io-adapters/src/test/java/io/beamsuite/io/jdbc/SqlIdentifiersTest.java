package io.beamsuite.io.jdbc;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.util.List;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** {@link SqlIdentifiers} and the builders that use it: hostile names never reach SQL. */
@RunWith(JUnit4.class)
public class SqlIdentifiersTest {
  private static final List<String> HOSTILE =
      List.of(
          "customers; DROP TABLE x",
          "\"quoted\"",
          "a-b",
          "a".repeat(64),
          "",
          "Customers",
          "1abc",
          "a b",
          "a.b.c",
          ".a",
          "a.",
          "naïve",
          "x'--");

  // No server: building these must throw before any connection could be opened.
  private static final JdbcConnectionSpec NOWHERE =
      JdbcConnectionSpec.of("jdbc:postgresql://127.0.0.1:1/none", "nobody");

  @Test
  public void acceptsPlainAndQualifiedNames() {
    assertEquals("customers", SqlIdentifiers.name("customers"));
    assertEquals("_x9", SqlIdentifiers.name("_x9"));
    assertEquals("a".repeat(63), SqlIdentifiers.name("a".repeat(63)));
    assertEquals("\"order\"", SqlIdentifiers.quote("order"));
    assertEquals("\"public\".\"customers\"", SqlIdentifiers.quoteQualified("public.customers"));
    assertEquals("numeric(12,2)", SqlIdentifiers.sqlType("numeric(12,2)"));
    assertEquals("timestamp with time zone", SqlIdentifiers.sqlType("timestamp with time zone"));
    assertEquals("text[]", SqlIdentifiers.sqlType("text[]"));
  }

  @Test
  public void rejectsHostileNamesEverywhere() {
    for (String bad : HOSTILE) {
      assertThrows(bad, IllegalArgumentException.class, () -> SqlIdentifiers.quoteQualified(bad));
      assertThrows(bad, IllegalArgumentException.class, () -> SqlIdentifiers.name(bad));
      assertThrows(bad, IllegalArgumentException.class, () -> JdbcUpsertSink.to(NOWHERE, bad));
      assertThrows(
          bad,
          IllegalArgumentException.class,
          () -> JdbcUpsertSink.<String>to(NOWHERE, "t").withColumn(bad, "text", s -> s));
      assertThrows(
          bad,
          IllegalArgumentException.class,
          () -> JdbcUpsertSink.<String>to(NOWHERE, "t").withKey(bad));
      assertThrows(bad, IllegalArgumentException.class, () -> MutationSink.to(NOWHERE, bad));
      assertThrows(
          bad,
          IllegalArgumentException.class,
          () -> JdbcLookup.of(NOWHERE, bad, "id", rs -> "", rs -> ""));
      assertThrows(
          bad,
          IllegalArgumentException.class,
          () -> JdbcLookup.of(NOWHERE, "t", bad, rs -> "", rs -> ""));
      assertThrows(
          bad,
          IllegalArgumentException.class,
          () -> JdbcReferenceTable.of(NOWHERE, bad, rs -> "", rs -> ""));
      assertThrows(
          bad, IllegalArgumentException.class, () -> DeadLetterJdbcSink.to(NOWHERE).withTable(bad));
    }
    assertThrows(IllegalArgumentException.class, () -> SqlIdentifiers.name(null));
  }

  @Test
  public void rejectsHostileTypes() {
    for (String bad :
        List.of("text; DROP TABLE x", "text)", "text CHECK (1=1)", "TEXT", "int -- x", "")) {
      assertThrows(bad, IllegalArgumentException.class, () -> SqlIdentifiers.sqlType(bad));
    }
  }

  @Test
  public void errorMessageNamesTheProblemBriefly() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> SqlIdentifiers.name("customers; DROP TABLE x"));
    assertEquals(
        "invalid SQL identifier 'customers; DROP TABLE x' (23 chars): expected"
            + " [a-z_][a-z0-9_]{0,62} (lower case letters, digits, underscore)",
        e.getMessage());
  }
}
