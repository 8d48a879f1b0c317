#!/usr/bin/env bash
# The Lambda architecture's commands: archive Kafka into the master dataset, run the batch layer
# up to a cutoff, run the speed layer from it, show what the serving views serve.
set -euo pipefail

# shellcheck source=run-scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
  cat <<EOF2
usage: lambda.sh archive [--on direct|flink|spark] [beam options...]
       lambda.sh batch   --cutoff=<ISO instant on a whole hour> --source=file:<master dataset> [--on ...] [beam options...]
       lambda.sh speed   [--cutoff=<instant>] [--on direct|flink] [beam options...]
       lambda.sh serve   [--printRows=N] [options...]
       lambda.sh --help

  archive  Kafka topics -> master dataset (append-only JSON lines by event hour; --archiveDir=DIR)
  batch    master dataset before the cutoff -> <view>_batch_v<N>, then publish version N and the
           cutoff to the serving views <view>_lambda in one transaction
  speed    Kafka from the cutoff (default: the published one) -> <view>_speed, streaming
  serve    print the served batch version, cutoff and row counts per serving view

--on picks the runner script: direct (default) -> run-direct.sh, flink -> run-flink.sh (pass
--flink-master as for run-flink.sh), spark -> run-spark.sh (bounded: archive with a bound, batch).
When sandbox.sh is running and no --jdbcUrl / --bootstrapServers is given, its PostgreSQL and
Kafka are used.

Examples:
  lambda.sh batch --source=file:/data/master --cutoff=2024-01-01T02:00:00Z
  lambda.sh speed
  lambda.sh serve --printRows=5

environment: as run-direct.sh (BEAMSUITE_ARTIFACTS_DIR, BEAMSUITE_PIPELINES_JAR, BEAMSUITE_STATE_DIR, BEAMSUITE_JAVA_OPTS, JAVA_HOME)
EOF2
}

case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
  archive | batch | speed | serve) ;;
  "") usage_error "missing the command: archive, batch, speed or serve" ;;
  *) usage_error "unknown command '$1' (archive, batch, speed, serve)" ;;
esac
command="$1"
shift

on="direct"
args=()
have_jdbc=false
have_kafka=false
while (($# > 0)); do
  case "$1" in
    --on)
      (($# >= 2)) || usage_error "--on needs a value: direct, flink or spark"
      on="$2"
      shift 2
      ;;
    --on=*)
      on="${1#*=}"
      shift
      ;;
    --runner | --runner=*)
      usage_error "do not pass $1: choose the runner with --on direct|flink|spark"
      ;;
    *)
      [[ "$1" == --jdbcUrl=* ]] && have_jdbc=true
      [[ "$1" == --bootstrapServers=* ]] && have_kafka=true
      args+=("$1")
      shift
      ;;
  esac
done
case "${on}" in
  direct | flink | spark) ;;
  *) usage_error "--on: expected direct, flink or spark, got '${on}'" ;;
esac
if [[ "${command}" == "speed" && "${on}" == "spark" ]]; then
  usage_error "the speed layer streams; run it --on direct or --on flink"
fi

# Defaults from a running sandbox (sandbox.sh start).
sandbox_state="${BEAMSUITE_STATE_DIR}/sandbox.env"
if [[ -f "${sandbox_state}" ]]; then
  # shellcheck source=/dev/null
  . "${sandbox_state}"
  if ! ${have_jdbc} && [[ -n "${SANDBOX_POSTGRES_JDBCURL:-}" ]]; then
    args+=("--jdbcUrl=${SANDBOX_POSTGRES_JDBCURL}" "--jdbcUser=${SANDBOX_POSTGRES_USER:-postgres}")
  fi
  if ! ${have_kafka} && [[ -n "${SANDBOX_KAFKA_BOOTSTRAP:-}" ]]; then
    args+=("--bootstrapServers=${SANDBOX_KAFKA_BOOTSTRAP}")
  fi
fi

here="$(dirname "${BASH_SOURCE[0]}")"
if [[ "${command}" == "serve" ]]; then
  require_java
  require_jar local
  mapfile -t java_opts < <(beamsuite_java_opts)
  exec "${BEAMSUITE_JAVA}" "${java_opts[@]}" -jar "${BEAMSUITE_JAR}" lambda-serve "${args[@]}"
fi
exec "${here}/run-${on}.sh" "lambda-${command}" "${args[@]}"
