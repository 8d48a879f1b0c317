/**
 * Enrichment of records with dimension data, with one API and three strategies: a refreshed side
 * input, a batched and cached lookup, and an event-time (as-of) join fed by a change stream. See
 * {@link io.beamsuite.transforms.enrichment.Enrichment}.
 */
package io.beamsuite.transforms.enrichment;
