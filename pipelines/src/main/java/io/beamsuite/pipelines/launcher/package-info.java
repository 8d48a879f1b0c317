/**
 * The one command-line entry point of every runner artifact
 * (beamsuite-{local,flink,dataflow,spark}.jar), its pipeline catalog and run summary.
 */
package io.beamsuite.pipelines.launcher;
