/**
 * Kappa architecture: replay the Kafka log into a versioned view, then cut over.
 *
 * <p>Nothing is implemented here yet: this package is a placeholder so the module layout of
 * DESIGN.md exists. Issue 7 delivers it.
 */
package io.beamsuite.kappa;
