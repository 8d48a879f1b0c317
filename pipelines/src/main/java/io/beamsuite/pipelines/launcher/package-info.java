/** The one command-line entry point of the bundled jar, its pipeline catalog and run summary. */
package io.beamsuite.pipelines.launcher;
