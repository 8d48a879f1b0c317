/**
 * The concrete pipelines (clickstream, fraud, sensors, cdc-replication) and their launcher.
 *
 * <p>Nothing is implemented here yet: this package is a placeholder so the module layout of
 * DESIGN.md exists. Issue 5 delivers it.
 */
package io.beamsuite.pipelines;
