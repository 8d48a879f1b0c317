/**
 * Lambda architecture (docs/lambda.md): a batch layer recomputing the views from the master dataset
 * up to a cutoff into a new version, a speed layer computing them from Kafka from the cutoff on,
 * and a serving layer of PostgreSQL views merging both. All three use {@link
 * io.beamsuite.pipelines.views.RevenueAndPageViews}, the views' one implementation.
 */
package io.beamsuite.lambda;
