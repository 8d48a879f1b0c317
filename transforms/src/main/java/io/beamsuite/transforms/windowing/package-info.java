/**
 * Event-time windowing that routes late records instead of dropping them: {@link
 * io.beamsuite.transforms.windowing.WindowSpec} and {@link
 * io.beamsuite.transforms.windowing.WindowedAggregate}.
 */
package io.beamsuite.transforms.windowing;
