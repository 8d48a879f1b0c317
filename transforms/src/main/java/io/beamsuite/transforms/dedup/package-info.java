/**
 * Event-time deduplication by record id with bounded state: {@link
 * io.beamsuite.transforms.dedup.Dedup}.
 */
package io.beamsuite.transforms.dedup;
