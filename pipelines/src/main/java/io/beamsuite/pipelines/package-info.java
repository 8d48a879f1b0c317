/**
 * The concrete pipelines (docs/pipelines.md) ({@code clickstream}, {@code fraud}, {@code sensors},
 * {@code cdc-replication}), each a class with its own options and a static {@code build(Pipeline,
 * Options)}, and the launcher that runs them on any runner.
 */
package io.beamsuite.pipelines;
