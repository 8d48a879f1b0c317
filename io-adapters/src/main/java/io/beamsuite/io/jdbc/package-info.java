/**
 * PostgreSQL sinks and lookups for beamsuite pipelines: idempotent batched upserts ({@link
 * io.beamsuite.io.jdbc.JdbcUpsertSink}), position-guarded CDC application ({@link
 * io.beamsuite.io.jdbc.MutationSink}), enrichment lookups ({@link io.beamsuite.io.jdbc.JdbcLookup},
 * {@link io.beamsuite.io.jdbc.JdbcReferenceTable}) and a dead-letter table ({@link
 * io.beamsuite.io.jdbc.DeadLetterJdbcSink}).
 *
 * <p>Every SQL identifier that comes from options is validated by {@link
 * io.beamsuite.io.jdbc.SqlIdentifiers} before any SQL runs, and every value is a bound parameter.
 * Passwords never appear in {@code toString()}, display data or logs.
 */
package io.beamsuite.io.jdbc;
