/** Pipeline options shared by all beamsuite pipelines, and their validation. */
package io.beamsuite.pipelines.options;
