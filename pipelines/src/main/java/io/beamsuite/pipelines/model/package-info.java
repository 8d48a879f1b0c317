/**
 * The events and rows of docs/pipelines.md ({@link io.beamsuite.pipelines.model.Click}, {@link
 * io.beamsuite.pipelines.model.Transaction}, {@link io.beamsuite.pipelines.model.SensorReading},
 * {@link io.beamsuite.pipelines.model.Customer}): tolerant JSON creators that enforce the field
 * domains of docs/pipelines.md, and deterministic coders: field-by-field {@code EventCoders} for
 * the events, a Beam schema for {@code Customer}.
 */
package io.beamsuite.pipelines.model;
