/**
 * Tolerant JSON reading: {@link io.beamsuite.transforms.json.ParseJson} sends payloads it cannot
 * parse to dead letters with a reason.
 */
package io.beamsuite.transforms.json;
