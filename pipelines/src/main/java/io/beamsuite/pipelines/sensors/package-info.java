/**
 * The {@code sensors} pipeline: per sensor and metric, statistics over sliding windows, each window
 * scored against the one a period earlier, upserted into {@code sensor_anomalies}.
 */
package io.beamsuite.pipelines.sensors;
