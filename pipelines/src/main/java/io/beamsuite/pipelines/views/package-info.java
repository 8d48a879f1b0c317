/**
 * The aggregations behind the Lambda (and Kappa) serving views, as composite transforms that the
 * streaming pipelines, the batch layer and the speed layer apply unchanged: {@link
 * io.beamsuite.pipelines.views.PageViewsPerMinute} and {@link
 * io.beamsuite.pipelines.views.RevenuePerMerchantHour}. Each also owns the layout of its table, so
 * every layer writes the same columns into its own (e.g. versioned) table.
 */
package io.beamsuite.pipelines.views;
