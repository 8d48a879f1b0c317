/**
 * Kappa architecture (docs/kappa.md): replay the Kafka log through the unchanged views ({@code
 * RevenueAndPageViews}) into versioned tables {@code <view>_v<N>}, watch the replay catch up with
 * the live head, then switch the serving views {@code <view>_kappa} to the new version in one
 * transaction. Commands: {@code kappa-replay}, {@code kappa-cutover}, {@code kappa-status} ({@link
 * io.beamsuite.kappa.KappaCommands}); design and trade-offs in {@code docs/kappa.md}.
 */
package io.beamsuite.kappa;
