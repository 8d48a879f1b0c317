/**
 * The pieces every pipeline wires the same way: its input ({@link
 * io.beamsuite.pipelines.wiring.EventSource}), its dead-letter outputs and its late-record table.
 */
package io.beamsuite.pipelines.wiring;
