#!/usr/bin/env bash
# The main job: one command runs the whole Lambda + Kappa demonstration on embedded services.
set -euo pipefail

# shellcheck source=run-scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
  cat <<EOF2
usage: demo.sh [--runner direct|flink|flink-cluster|spark-batch] [--events N] [--seed S] [--keep-running]
       demo.sh --help

Starts PostgreSQL, Kafka and Debezium CDC on 127.0.0.1 (no Docker), generates a workload (clicks,
transactions, sensor readings with duplicates, disorder, late and malformed records, and customer
changes through CDC), runs the Lambda flow (batch layer to a cutoff, speed layer after it, serving
views), fraud, sensors and cdc-replication from the runner artifacts (beamsuite-local.jar; the
Spark and Flink job jars for spark-batch and flink-cluster), and prints a report of every view
against an independent oracle. Exit status 0 when everything matches, 1 otherwise.

  --runner        flink (default): embedded Flink; direct: DirectRunner (in-process; its streaming
                  Kappa replay is slow: fine for a few thousand events, not for the default 50000);
                  flink-cluster: a local Flink session cluster started for the demo; spark-batch:
                  the batch layer on Spark local[2], the rest on the DirectRunner
  --events N      generated events (default 50000, about 1 minute on 2 cores after the build;
                  about 3% more records with duplicates and malformed ones)
  --seed S        generator seed (default 1)
  --keep-running  leave the services up after the report (Ctrl-C stops them)

Builds what is missing first (mvn package of pipelines/runners; a few minutes the first time).
State and logs: \${BEAMSUITE_STATE_DIR:-<repo>/.beamsuite}/demo.

environment: BEAMSUITE_ARTIFACTS_DIR, BEAMSUITE_PIPELINES_JAR, BEAMSUITE_STATE_DIR, BEAMSUITE_JAVA_OPTS (the demo JVM), JAVA_HOME
EOF2
}

# Bad values fail here, before a build or a service starts.
check_flag() {
  case "$1" in
    --runner)
      case "$2" in
        direct | flink | flink-cluster | spark-batch) ;;
        *) usage_error "--runner: expected direct, flink, flink-cluster or spark-batch, got '$2'" ;;
      esac
      ;;
    --events)
      [[ "$2" =~ ^[0-9]+$ ]] && (($2 >= 100)) || usage_error "--events: expected an integer >= 100, got '$2'"
      ;;
    --seed)
      [[ "$2" =~ ^-?[0-9]+$ ]] || usage_error "--seed: expected an integer, got '$2'"
      ;;
  esac
}

args=()
while (($# > 0)); do
  case "$1" in
    -h | --help)
      usage
      exit 0
      ;;
    --keep-running)
      args+=("$1")
      shift
      ;;
    --runner | --events | --seed)
      (($# >= 2)) || usage_error "$1 needs a value"
      check_flag "$1" "$2"
      args+=("$1" "$2")
      shift 2
      ;;
    --runner=* | --events=* | --seed=*)
      check_flag "${1%%=*}" "${1#*=}"
      args+=("$1")
      shift
      ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done

require_java
step() { printf '[build] %s\n' "$*"; }
local_jar="${BEAMSUITE_PIPELINES_JAR:-${BEAMSUITE_ARTIFACTS_DIR}/beamsuite-local.jar}"
artifacts_missing=""
if [[ -z "${BEAMSUITE_PIPELINES_JAR}" ]]; then
  for artifact in local flink spark; do
    [[ -f "${BEAMSUITE_ARTIFACTS_DIR}/beamsuite-${artifact}.jar" ]] || artifacts_missing=1
  done
fi
if [[ ! -f "${local_jar}" || -n "${artifacts_missing}" || ! -f "${BEAMSUITE_FIXTURES_CLASSPATH_FILE}" \
  || ! -f "${BEAMSUITE_FIXTURES_DIR}/target/classes/io/beamsuite/fixtures/demo/Demo.class" ]]; then
  command -v mvn >/dev/null 2>&1 || die "Maven is needed to build the demo the first time: install Maven 3.8+"
  ensure_state_dir
  build_log="${BEAMSUITE_STATE_DIR}/demo-build.log"
  step "building the runner artifacts and the fixtures (first run: a few minutes; log ${build_log})"
  (cd "${BEAMSUITE_ROOT}" && ${BEAMSUITE_PIPELINES_BUILD_CMD} >"${build_log}" 2>&1) \
    || die "the build failed; see ${build_log}"
fi
classpath="$(fixtures_classpath)"
work_dir="${BEAMSUITE_STATE_DIR}/demo"
mkdir -p "${work_dir}"
mapfile -t java_opts < <(beamsuite_java_opts)
# exec: the demo JVM is the foreground process, so Ctrl-C (SIGINT) and SIGTERM reach it, and its
# shutdown hooks stop every service and child JVM it started. (A background JVM started by this
# non-interactive script would inherit SIGINT as ignored.)
exec "${BEAMSUITE_JAVA}" -Xmx3g -Dslf4j.internal.verbosity=ERROR "${java_opts[@]}" -cp "${classpath}" \
  io.beamsuite.fixtures.demo.Demo --jar "${local_jar}" --work-dir "${work_dir}" "${args[@]}"
