/**
 * The input of every source: {@link io.beamsuite.transforms.records.RawRecord} (the payload bytes
 * as read) and {@link io.beamsuite.transforms.records.SourceCoordinates} (where they were read:
 * topic or file, partition, offset or line), carried into dead letters so a bad record can be
 * found.
 */
package io.beamsuite.transforms.records;
