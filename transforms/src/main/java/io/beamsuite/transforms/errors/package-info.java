/**
 * The dead-letter shape shared by every stage ({@link io.beamsuite.transforms.errors.DeadLetter})
 * and interoperation with Beam's {@code BadRecord} error handling.
 */
package io.beamsuite.transforms.errors;
