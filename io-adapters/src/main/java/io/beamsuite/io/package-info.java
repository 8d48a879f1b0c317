/**
 * Kafka and JDBC sources and sinks around Beam's KafkaIO and JdbcIO.
 *
 * <p>Nothing is implemented here yet: this package is a placeholder so the module layout of
 * DESIGN.md exists. Issue 4 delivers it.
 */
package io.beamsuite.io;
