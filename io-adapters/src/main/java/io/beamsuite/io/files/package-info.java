/**
 * JSON-lines file sources and sinks: the bounded counterpart of the Kafka adapters, used for the
 * Lambda master dataset and for {@code --source=file:...} batch runs.
 *
 * <pre>{@code
 * PCollection<RawRecord> raw = p.apply(JsonLinesFiles.read("/data/master/clicks/**.jsonl"));
 * }</pre>
 */
package io.beamsuite.io.files;
