/** The {@code cdc-replication} pipeline: a Postgres table replicated through Debezium and Kafka. */
package io.beamsuite.pipelines.cdc;
