package io.beamsuite.io.jdbc;

import java.io.Serializable;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Maps the current row of a {@link ResultSet} to a value; used by {@link JdbcLookup} and {@link
 * JdbcReferenceTable}. Must not advance the result set.
 *
 * <pre>{@code
 * JdbcRowMapper<Customer> customer =
 *     rs -> new Customer(rs.getString("customer_id"), rs.getString("tier"));
 * }</pre>
 */
@FunctionalInterface
public interface JdbcRowMapper<T> extends Serializable {
  T map(ResultSet row) throws SQLException;
}
