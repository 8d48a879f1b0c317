/**
 * Lambda architecture: batch layer, speed layer and serving-layer merge.
 *
 * <p>Nothing is implemented here yet: this package is a placeholder so the module layout of
 * DESIGN.md exists. Issue 6 delivers it.
 */
package io.beamsuite.lambda;
