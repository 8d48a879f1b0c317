package io.beamsuite.io.jdbc;

import java.util.regex.Pattern;

/**
 * Strict validation of SQL identifiers and column types that come from options, so they can be put
 * into SQL text safely. Names must match {@code [a-z_][a-z0-9_]{0,62}} (PostgreSQL's unquoted,
 * lower-case form, at most 63 bytes), optionally qualified by one schema name ({@code
 * schema.table}). Anything else is rejected with an {@link IllegalArgumentException} before any SQL
 * runs; there is no escaping fallback on purpose. Values never go through here: they are always
 * bound parameters.
 *
 * <pre>{@code
 * String table = SqlIdentifiers.quoteQualified(options.getTable()); // "public"."customers"
 * String col = SqlIdentifiers.quote("customer_id");                  // "customer_id"
 * SqlIdentifiers.name("customers; DROP TABLE x");                    // IllegalArgumentException
 * }</pre>
 */
public final class SqlIdentifiers {
  private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  // A type name of lower-case words with an optional (p) or (p,s) modifier and an optional [].
  private static final Pattern TYPE =
      Pattern.compile(
          "[a-z][a-z0-9_]*( [a-z][a-z0-9_]*){0,3}(\\(\\d{1,4}(, ?\\d{1,4})?\\))?(\\[\\])?");

  private SqlIdentifiers() {}

  /** Returns {@code name} if it is a valid unqualified identifier, else throws. */
  public static String name(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "invalid SQL identifier "
              + describe(name)
              + ": expected [a-z_][a-z0-9_]{0,62} (lower case letters, digits, underscore)");
    }
    return name;
  }

  /** Returns {@code name} if it is a valid identifier, optionally {@code schema.table}. */
  public static String qualifiedName(String name) {
    if (name == null) {
      throw new IllegalArgumentException("invalid SQL identifier null");
    }
    int dot = name.indexOf('.');
    if (dot < 0) {
      return name(name);
    }
    try {
      name(name.substring(0, dot));
      name(name.substring(dot + 1));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "invalid qualified SQL identifier "
              + describe(name)
              + ": expected name or schema.name, each [a-z_][a-z0-9_]{0,62}",
          e);
    }
    return name;
  }

  /** The validated name in double quotes, e.g. {@code "order"}, safe even for reserved words. */
  public static String quote(String name) {
    return '"' + name(name) + '"';
  }

  /** The validated, possibly schema-qualified name with each part quoted. */
  public static String quoteQualified(String name) {
    String valid = qualifiedName(name);
    int dot = valid.indexOf('.');
    return dot < 0
        ? quote(valid)
        : quote(valid.substring(0, dot)) + "." + quote(valid.substring(dot + 1));
  }

  /**
   * Returns {@code type} if it is a plain column type such as {@code numeric(12,2)}, else throws.
   */
  public static String sqlType(String type) {
    if (type == null || !TYPE.matcher(type).matches()) {
      throw new IllegalArgumentException(
          "invalid SQL column type "
              + describe(type)
              + ": expected lower-case type words with an optional (p[,s]) and [], e.g."
              + " text, bigint, numeric(12,2), timestamp with time zone");
    }
    return type;
  }

  private static String describe(String value) {
    if (value == null) {
      return "null";
    }
    // Show a bounded prefix: the value is untrusted input.
    String shown = value.length() > 80 ? value.substring(0, 80) + "..." : value;
    return "'" + shown + "' (" + value.length() + " chars)";
  }
}
