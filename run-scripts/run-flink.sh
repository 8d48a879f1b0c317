#!/usr/bin/env bash
# Run one pipeline on Beam's FlinkRunner: on a Flink session cluster (by default the one
# flink-cluster.sh started) from the Flink job jar beamsuite-flink.jar, with Flink's own jars next to
# it ($FLINK_HOME/lib/* or the Maven jars of its build); or embedded with --flink-master=[local]
# from beamsuite-local.jar.
set -euo pipefail

# shellcheck source=run-scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

FLINK_STATE_FILE="${BEAMSUITE_STATE_DIR}/flink-cluster.env"
SANDBOX_STATE_FILE="${BEAMSUITE_STATE_DIR}/sandbox.env"

usage() {
  cat <<EOF2
usage: run-flink.sh <pipeline> [--flink-master HOST:PORT|[local]] [beam options...]
       run-flink.sh --help

Runs: java [\$BEAMSUITE_JAVA_OPTS] -cp beamsuite-flink.jar:<Flink jars> io.beamsuite.pipelines.launcher.Launcher \\
        <pipeline> --runner=FlinkRunner --flinkMaster=MASTER [beam options...]
  (embedded: java -jar beamsuite-local.jar <pipeline> --runner=FlinkRunner --flinkMaster=[local] ...)

  --flink-master MASTER  the session cluster's REST address HOST:PORT (also --flink-master=MASTER
                         or --flinkMaster=MASTER); only the job jar is staged to it.
                         [local] runs an embedded Flink MiniCluster in this JVM instead.
                         Default: the cluster recorded by run-scripts/flink-cluster.sh start
                         (\$BEAMSUITE_STATE_DIR/flink-cluster.env), else the Flink cluster of a
                         running run-scripts/sandbox.sh start --with-flink.

EOF2
  run_script_help_footer '  BEAMSUITE_STATE_DIR      where flink-cluster.sh / sandbox.sh keep their state (default <repo>/.beamsuite)
  FLINK_HOME               a Flink 1.19 installation whose lib/* runs the job jar (default: the Maven
                           jars in <artifacts dir>/beamsuite-flink-client.classpath)'
}

# Prints the flinkMaster recorded by flink-cluster.sh (or sandbox.sh --with-flink), if any.
recorded_master() {
  local master
  if [[ -f "${FLINK_STATE_FILE}" ]]; then
    # shellcheck source=/dev/null
    master="$(. "${FLINK_STATE_FILE}" && printf '%s' "${FLINK_MASTER:-}")"
    if [[ -n "${master}" ]]; then
      log_info "using the Flink cluster recorded by flink-cluster.sh (${FLINK_STATE_FILE}): ${master}"
      printf '%s\n' "${master}"
      return 0
    fi
  fi
  if [[ -f "${SANDBOX_STATE_FILE}" ]]; then
    # shellcheck source=/dev/null
    master="$(. "${SANDBOX_STATE_FILE}" && printf '%s' "${SANDBOX_FLINK_MASTER:-}")"
    if [[ -n "${master}" ]]; then
      log_info "using the Flink cluster of the sandbox (${SANDBOX_STATE_FILE}): ${master}"
      printf '%s\n' "${master}"
      return 0
    fi
  fi
  return 1
}

case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
esac
check_pipeline_args FlinkRunner "$@"
pipeline="$1"
shift
flink_master=""
beam_args=()
while (($# > 0)); do
  case "$1" in
    --flink-master | --flinkMaster)
      (($# >= 2)) || usage_error "$1 needs a value: HOST:PORT or [local]"
      flink_master="$2"
      shift 2
      ;;
    --flink-master=* | --flinkMaster=*)
      flink_master="${1#*=}"
      [[ -n "${flink_master}" ]] || usage_error "${1%%=*} needs a value: HOST:PORT or [local]"
      shift
      ;;
    *)
      beam_args+=("$1")
      shift
      ;;
  esac
done

require_java
if [[ -z "${flink_master}" ]]; then
  flink_master="$(recorded_master)" \
    || die "no Flink cluster is recorded in ${BEAMSUITE_STATE_DIR} and no --flink-master was given;
  start one with run-scripts/flink-cluster.sh start
  (or pass --flink-master HOST:PORT, or --flink-master=[local] to run embedded)"
fi

case "${flink_master}" in
  '[local]' | '[auto]' | '[collection]') ;;
  *)
    # Fail fast and clearly instead of Beam's long connection timeout.
    if command -v curl >/dev/null 2>&1 \
      && ! curl -fsS --max-time 5 -o /dev/null "http://${flink_master}/overview" 2>/dev/null; then
      die "no Flink REST endpoint answers at http://${flink_master}/overview;
  start one with run-scripts/flink-cluster.sh start (or pass --flink-master=[local] to run embedded)"
    fi
    ;;
esac

case "${flink_master}" in
  '[local]' | '[auto]' | '[collection]') require_jar local ;;
  *) require_jar flink ;;
esac
mapfile -t submit_opts < <(submit_jvm_opts)
mapfile -t java_opts < <(beamsuite_java_opts)
mapfile -t launch < <(jar_launch_args)
exec "${BEAMSUITE_JAVA}" "${submit_opts[@]}" "${java_opts[@]}" "${launch[@]}" "${pipeline}" \
  --runner=FlinkRunner "--flinkMaster=${flink_master}" "${beam_args[@]}"
