#!/usr/bin/env bash
# Kappa architecture: replay the Kafka log into a versioned view, cut the serving view over, status.
set -euo pipefail

# shellcheck source=run-scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
  cat <<EOF2
usage: kappa.sh replay  --version N [--from earliest|<ISO instant>|<topic:partition=offset,...>]
                        [--flink-master HOST:PORT|[local]] [--cutover-when-caught-up] [beam options...]
       kappa.sh cutover --version N [--drop-version M] [beam options...]
       kappa.sh status  [--version N] [beam options...]
       kappa.sh --help

Runs: java [\$BEAMSUITE_JAVA_OPTS] -jar beamsuite-local.jar kappa-replay|kappa-cutover|kappa-status [options...]

  replay    replays the transactions + clicks topics through the unchanged views into the tables
            <view>_v<N>, printing lag per partition, records/s and ETA; says when it has caught up
            with the live point (the end offsets when it started). DirectRunner by default;
            --flink-master runs it on Flink (a session cluster HOST:PORT, or [local] embedded) with
            --checkpointingInterval=5000 unless you pass one. Re-running it replays version N
            again from --from (its tables are emptied first; refused while N is served).
  cutover   points the serving views <view>_kappa at version N (one transaction per view);
            --drop-version M then drops version M's tables (refused while served).
  status    served version per view, versions present, lag of the replay's consumer group.

Every other option goes to the command unchanged (--bootstrapServers, --jdbcUrl, --groupId,
--transactionsTopic, --clicksTopic, --allowedLatenessSeconds, ...; java -jar <jar> kappa-replay --help
lists them). Design and trade-offs: docs/kappa.md.

environment:
  BEAMSUITE_ARTIFACTS_DIR  where the runner artifacts are (default <repo>/pipelines/target;
                           a replay on a session cluster runs beamsuite-flink.jar, the rest beamsuite-local.jar;
                           build it with: ${BEAMSUITE_PIPELINES_BUILD_CMD})
  BEAMSUITE_JAVA_OPTS      extra JVM flags, e.g. -Xmx2g
  JAVA_HOME                Java 17+ to use (else java on PATH)
EOF2
}

case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
  "")
    usage_error "missing command: replay, cutover or status"
    ;;
  replay | cutover | status) ;;
  *)
    usage_error "unknown command '$1' (replay, cutover or status)"
    ;;
esac
command="$1"
shift

args=()
flink_master=""
have_version=""
have_checkpointing=""
while (($# > 0)); do
  case "$1" in
    --version | --from | --drop-version | --flink-master | --flinkMaster)
      (($# >= 2)) || usage_error "$1 needs a value"
      set -- "$1=$2" "${@:3}"
      continue
      ;;
    --version=*)
      [[ "${1#*=}" =~ ^[0-9]+$ ]] || usage_error "--version must be a positive integer, got '${1#*=}'"
      have_version=1
      args+=("$1")
      ;;
    --drop-version=*)
      [[ "${command}" == cutover ]] || usage_error "--drop-version is an option of cutover"
      args+=("--dropVersion=${1#*=}")
      ;;
    --cutover-when-caught-up)
      [[ "${command}" == replay ]] || usage_error "--cutover-when-caught-up is an option of replay"
      args+=("--cutoverWhenCaughtUp=true")
      ;;
    --flink-master=* | --flinkMaster=*)
      [[ "${command}" == replay ]] || usage_error "${1%%=*} is an option of replay"
      flink_master="${1#*=}"
      [[ -n "${flink_master}" ]] || usage_error "${1%%=*} needs a value: HOST:PORT or [local]"
      ;;
    --runner | --runner=*)
      usage_error "do not pass ${1}: replay runs on the DirectRunner, or on Flink with --flink-master"
      ;;
    --checkpointingInterval=*)
      have_checkpointing=1
      args+=("$1")
      ;;
    *)
      args+=("$1")
      ;;
  esac
  shift
done

if [[ "${command}" != status && -z "${have_version}" ]]; then
  usage_error "${command} needs --version N"
fi

runner_args=()
if [[ "${command}" == replay ]]; then
  if [[ -n "${flink_master}" ]]; then
    runner_args+=("--runner=FlinkRunner" "--flinkMaster=${flink_master}" "--streaming=true")
    [[ -n "${have_checkpointing}" ]] || runner_args+=("--checkpointingInterval=5000")
  else
    runner_args+=("--runner=DirectRunner")
  fi
fi

require_java
case "${flink_master}" in
  '' | '[local]' | '[auto]' | '[collection]') require_jar local ;;
  *) require_jar flink ;;  # a session cluster gets the Flink job jar only
esac
mapfile -t submit_opts < <(submit_jvm_opts)
mapfile -t java_opts < <(beamsuite_java_opts)
mapfile -t launch < <(jar_launch_args)
exec "${BEAMSUITE_JAVA}" "${submit_opts[@]}" "${java_opts[@]}" "${launch[@]}" "kappa-${command}" \
  "${runner_args[@]}" "${args[@]}"
