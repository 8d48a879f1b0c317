/**
 * The {@code fraud} pipeline: transactions joined as of their event time with the customers change
 * stream, and three rules (amount over credit limit, many countries, velocity) writing {@code
 * fraud_alerts} and the alerts topic.
 */
package io.beamsuite.pipelines.fraud;
