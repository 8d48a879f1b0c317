/**
 * Benchmark mains behind {@code docs/benchmarks.md} (run by {@code run-scripts/bench.sh}, never by
 * {@code mvn verify}). Every figure is a ratio of sides measured in one JVM, over the same
 * pre-generated events, in rotating order; each main appends its results as JSON lines through
 * {@link io.beamsuite.bench.Results} and {@link io.beamsuite.bench.ReportWriter} renders the page.
 */
package io.beamsuite.bench;
