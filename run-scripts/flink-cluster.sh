#!/usr/bin/env bash
# Start, stop or inspect a local Flink 1.19 session cluster for run-flink.sh.
set -euo pipefail

# shellcheck source=run-scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

START_TIMEOUT_S=120
STOP_TIMEOUT_S=30
STATE_FILE="${BEAMSUITE_STATE_DIR}/flink-cluster.env"
LOG_FILE="${BEAMSUITE_STATE_DIR}/flink-cluster.log"

usage() {
  cat <<EOF
usage: flink-cluster.sh start [--slots N]
       flink-cluster.sh stop
       flink-cluster.sh status
       flink-cluster.sh --help

Starts, stops or inspects a local Flink session cluster (one JobManager, one TaskManager, on
127.0.0.1) that run-flink.sh submits to by default.

Without FLINK_HOME the cluster is started from the Maven jars of a built test-fixtures module
(io.beamsuite.fixtures.services.FlinkCluster, in the background); build it first with:
  ${BEAMSUITE_FIXTURES_BUILD_CMD}
With FLINK_HOME set, \$FLINK_HOME/bin/start-cluster.sh and stop-cluster.sh are used instead and
the REST port is read from \$FLINK_HOME/conf/config.yaml (or flink-conf.yaml; default 8081).

commands:
  start [--slots N]  start the cluster (N task slots = default parallelism, default 2; ignored
                     with FLINK_HOME); waits up to ${START_TIMEOUT_S} s; already running -> exit 0
  stop               SIGTERM, up to ${STOP_TIMEOUT_S} s, then SIGKILL; checks no cluster JVM is left;
                     not running -> exit 0
  status             print the recorded settings and GET /overview; exit 0 when running, 3 when not

environment:
  FLINK_HOME           use a Flink installation instead of the Maven jars
  BEAMSUITE_STATE_DIR  state and log directory (default <repo>/.beamsuite); files:
                       flink-cluster.env (sourceable: FLINK_MASTER, FLINK_WEB_UI, ...), flink-cluster.log
  JAVA_HOME            Java 17+ to use (else java on PATH)
EOF
}

# ---------------------------------------------------------------------------------------------

# Loads the state file into FLINK_CLUSTER_* / FLINK_* variables; false when there is none.
load_state() {
  FLINK_CLUSTER_MODE="" FLINK_CLUSTER_PID="" FLINK_CLUSTER_PGID="" FLINK_MASTER="" FLINK_WEB_UI=""
  FLINK_WORK_DIR="" FLINK_CLUSTER_LOG=""
  [[ -f "${STATE_FILE}" ]] || return 1
  # shellcheck source=/dev/null
  . "${STATE_FILE}"
}

# True when the recorded cluster is up (Maven mode: its launcher JVM lives; FLINK_HOME mode: its
# REST endpoint answers).
state_running() {
  load_state || return 1
  case "${FLINK_CLUSTER_MODE}" in
    maven) pid_alive "${FLINK_CLUSTER_PID}" ;;
    flink-home) curl -fsS --max-time 5 -o /dev/null "${FLINK_WEB_UI}overview" 2>/dev/null ;;
    *) return 1 ;;
  esac
}

# Reads a key from a Flink YAML config: flat "a.b: v" or nested "a:\n  b: v" (two levels).
flink_conf_value() {
  local conf="$1" key="$2" parent="${2%%.*}" child="${2#*.}"
  awk -v key="${key}" -v parent="${parent}" -v child="${child}" '
    function clean(v) { sub(/[ \t]+#.*$/, "", v); gsub(/^[ \t]+|[ \t]+$/, "", v); gsub(/^["'\'']|["'\'']$/, "", v); return v }
    /^[ \t]*#/ { next }
    {
      line = $0
      if (match(line, "^" key "[ \t]*:")) { print clean(substr(line, RLENGTH + 1)); exit }
      if (line ~ /^[^ \t]/) { inparent = (line ~ "^" parent "[ \t]*:[ \t]*$") ; next }
      if (inparent && match(line, "^[ \t]+" child "[ \t]*:")) { print clean(substr(line, RLENGTH + 1)); exit }
    }' "${conf}"
}

flink_home_rest() {
  local conf="" port="" address=""
  if [[ -f "${FLINK_HOME}/conf/config.yaml" ]]; then
    conf="${FLINK_HOME}/conf/config.yaml"
  elif [[ -f "${FLINK_HOME}/conf/flink-conf.yaml" ]]; then
    conf="${FLINK_HOME}/conf/flink-conf.yaml"
  fi
  if [[ -n "${conf}" ]]; then
    port="$(flink_conf_value "${conf}" rest.port)"
    address="$(flink_conf_value "${conf}" rest.address)"
  fi
  port="${port:-8081}"
  address="${address:-localhost}"
  [[ "${port}" =~ ^[0-9]+$ ]] || die "cannot use rest.port '${port}' from ${conf} (expected a single port number)"
  REST_ADDRESS="${address}:${port}"
}

# ---------------------------------------------------------------------------------------------

cmd_start() {
  local slots=2
  while (($# > 0)); do
    case "$1" in
      --slots)
        (($# >= 2)) || usage_error "--slots needs a value"
        slots="$2"
        shift 2
        ;;
      --slots=*)
        slots="${1#--slots=}"
        shift
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      *) usage_error "unknown option for start: '$1'" ;;
    esac
  done
  [[ "${slots}" =~ ^[1-9][0-9]*$ ]] || usage_error "--slots must be a positive integer, got '${slots}'"

  ensure_state_dir
  if state_running; then
    log_info "a Flink cluster is already running (flinkMaster=${FLINK_MASTER}, state ${STATE_FILE})"
    exit 0
  fi
  if load_state && [[ "${FLINK_CLUSTER_MODE}" == maven ]]; then
    stop_maven # a stale record: clean up what its dead launcher may have left
  fi
  rm -f "${STATE_FILE}"

  if [[ -n "${FLINK_HOME:-}" ]]; then
    start_flink_home
  else
    start_maven "${slots}"
  fi
  log_info "Flink cluster running: flinkMaster=${FLINK_MASTER} webUi=${FLINK_WEB_UI}"
  printf 'flinkMaster=%s\nwebUi=%s\n' "${FLINK_MASTER}" "${FLINK_WEB_UI}"
}

start_maven() {
  local slots="$1" classpath pid
  require_java
  classpath="$(fixtures_classpath)"
  log_info "starting a Flink session cluster (${slots} slots) from Maven jars; log ${LOG_FILE}"
  pid="$(start_background "${LOG_FILE}" "${BEAMSUITE_JAVA}" -cp "${classpath}" \
    io.beamsuite.fixtures.services.FlinkCluster start "${slots}")"
  # Record the pid at once, so `stop` can clean up even if start-up is interrupted.
  write_state "${STATE_FILE}" FLINK_CLUSTER_MODE maven FLINK_CLUSTER_PID "${pid}" \
    FLINK_CLUSTER_PGID "${pid}" FLINK_CLUSTER_LOG "${LOG_FILE}"
  # FlinkCluster prints flinkMaster=, webUi=, workDir= in this order once the TaskManager is up.
  if ! wait_for_line "${LOG_FILE}" '^workDir=' "${pid}" "${START_TIMEOUT_S}"; then
    stop_group "${pid}" "${pid}" "${STOP_TIMEOUT_S}" || true
    rm -f "${STATE_FILE}"
    die "the Flink cluster did not start (full log: ${LOG_FILE})"
  fi
  FLINK_MASTER="$(sed -n "/^flinkMaster=/{s///p;q}" "${LOG_FILE}")"
  FLINK_WEB_UI="$(sed -n "/^webUi=/{s///p;q}" "${LOG_FILE}")"
  FLINK_WORK_DIR="$(sed -n "/^workDir=/{s///p;q}" "${LOG_FILE}")"
  write_state "${STATE_FILE}" FLINK_CLUSTER_MODE maven FLINK_CLUSTER_PID "${pid}" \
    FLINK_CLUSTER_PGID "${pid}" FLINK_MASTER "${FLINK_MASTER}" FLINK_WEB_UI "${FLINK_WEB_UI}" \
    FLINK_WORK_DIR "${FLINK_WORK_DIR}" FLINK_CLUSTER_LOG "${LOG_FILE}"
}

start_flink_home() {
  [[ -x "${FLINK_HOME}/bin/start-cluster.sh" ]] \
    || die "FLINK_HOME=${FLINK_HOME} has no executable bin/start-cluster.sh (unset FLINK_HOME to use the Maven jars)"
  flink_home_rest
  log_info "starting the Flink cluster of FLINK_HOME=${FLINK_HOME} (REST ${REST_ADDRESS})"
  "${FLINK_HOME}/bin/start-cluster.sh" >>"${LOG_FILE}" 2>&1 \
    || { tail -n 40 "${LOG_FILE}" >&2; die "${FLINK_HOME}/bin/start-cluster.sh failed (log ${LOG_FILE})"; }
  FLINK_MASTER="${REST_ADDRESS}"
  FLINK_WEB_UI="http://${REST_ADDRESS}/"
  local waited=0
  printf '%s: waiting' "$(_bs_prog)" >&2
  until curl -fsS --max-time 5 -o /dev/null "${FLINK_WEB_UI}overview" 2>/dev/null; do
    if ((waited >= START_TIMEOUT_S)); then
      printf ' timed out\n' >&2
      tail -n 40 "${LOG_FILE}" >&2 || true
      die "the REST endpoint ${FLINK_WEB_UI} did not answer within ${START_TIMEOUT_S} s (logs in ${FLINK_HOME}/log)"
    fi
    printf '.' >&2
    sleep 1
    waited=$((waited + 1))
  done
  printf ' ready\n' >&2
  write_state "${STATE_FILE}" FLINK_CLUSTER_MODE flink-home FLINK_HOME "${FLINK_HOME}" \
    FLINK_MASTER "${FLINK_MASTER}" FLINK_WEB_UI "${FLINK_WEB_UI}" FLINK_CLUSTER_LOG "${LOG_FILE}"
}

# ---------------------------------------------------------------------------------------------

cmd_stop() {
  (($# == 0)) || usage_error "stop takes no arguments, got '$1'"
  if [[ -n "${FLINK_HOME:-}" ]]; then
    [[ -x "${FLINK_HOME}/bin/stop-cluster.sh" ]] \
      || die "FLINK_HOME=${FLINK_HOME} has no executable bin/stop-cluster.sh"
    ensure_state_dir
    flink_home_rest
    if ! curl -fsS --max-time 5 -o /dev/null "http://${REST_ADDRESS}/overview" 2>/dev/null; then
      log_info "no Flink cluster is running (nothing answers at http://${REST_ADDRESS}/overview)"
      rm -f "${STATE_FILE}"
      return 0
    fi
    log_info "stopping the Flink cluster of FLINK_HOME=${FLINK_HOME}"
    "${FLINK_HOME}/bin/stop-cluster.sh" >>"${LOG_FILE}" 2>&1 \
      || { tail -n 40 "${LOG_FILE}" >&2; die "${FLINK_HOME}/bin/stop-cluster.sh failed (log ${LOG_FILE})"; }
    rm -f "${STATE_FILE}"
    log_info "stopped"
    return 0
  fi
  if ! load_state || [[ "${FLINK_CLUSTER_MODE}" != maven ]]; then
    log_info "no Flink cluster is running (no state file ${STATE_FILE})"
    return 0
  fi
  stop_maven
}

# Stops the cluster of the loaded maven-mode state (also a stale one: a launcher that died and
# left its JobManager/TaskManager behind) and removes the state file.
stop_maven() {
  if ! pid_alive "${FLINK_CLUSTER_PID}" && ! group_alive "${FLINK_CLUSTER_PGID}"; then
    log_info "no Flink cluster is running (pid ${FLINK_CLUSTER_PID} is gone); removing stale ${STATE_FILE}"
    kill_leftovers
    rm -f "${STATE_FILE}"
    return 0
  fi
  log_info "stopping the Flink cluster (pid ${FLINK_CLUSTER_PID}, flinkMaster=${FLINK_MASTER:-?})"
  stop_group "${FLINK_CLUSTER_PID}" "${FLINK_CLUSTER_PGID}" "${STOP_TIMEOUT_S}" \
    || die "processes of group ${FLINK_CLUSTER_PGID} survived SIGKILL; see: ps -o pid,args -g ${FLINK_CLUSTER_PGID}"
  kill_leftovers
  rm -f "${STATE_FILE}"
  log_info "stopped; no JobManager/TaskManager of this cluster is left"
}

# Kills (and then requires the absence of) any JVM started with this cluster's work dir, e.g. a
# JobManager or TaskManager left behind by a SIGKILLed launcher; removes that work dir.
kill_leftovers() {
  [[ -n "${FLINK_WORK_DIR:-}" ]] || return 0
  local -a left
  mapfile -t left < <(pids_matching "${FLINK_WORK_DIR}")
  if ((${#left[@]} > 0)); then
    log_warn "killing leftover cluster JVMs ${left[*]} (work dir ${FLINK_WORK_DIR})"
    kill -KILL "${left[@]}" 2>/dev/null || true
    sleep 1
    mapfile -t left < <(pids_matching "${FLINK_WORK_DIR}")
    ((${#left[@]} == 0)) || die "cluster JVMs ${left[*]} survived SIGKILL"
  fi
  # FlinkCluster deletes its work dir on a clean stop; after a SIGKILL it is still there.
  if [[ -d "${FLINK_WORK_DIR}" && "$(basename "${FLINK_WORK_DIR}")" == flink-cluster-* ]]; then
    rm -rf -- "${FLINK_WORK_DIR}"
  fi
}

# ---------------------------------------------------------------------------------------------

cmd_status() {
  (($# == 0)) || usage_error "status takes no arguments, got '$1'"
  if ! load_state; then
    printf 'status=stopped\n'
    log_info "no Flink cluster is running (no state file ${STATE_FILE}); start one with run-scripts/flink-cluster.sh start"
    exit 3
  fi
  if ! state_running; then
    printf 'status=stopped\n'
    log_info "the recorded Flink cluster is not running (stale ${STATE_FILE}); run-scripts/flink-cluster.sh stop cleans up"
    exit 3
  fi
  printf 'status=running\nmode=%s\n' "${FLINK_CLUSTER_MODE}"
  [[ -z "${FLINK_CLUSTER_PID}" ]] || printf 'pid=%s\n' "${FLINK_CLUSTER_PID}"
  printf 'flinkMaster=%s\nwebUi=%s\n' "${FLINK_MASTER}" "${FLINK_WEB_UI}"
  [[ -z "${FLINK_WORK_DIR}" ]] || printf 'workDir=%s\n' "${FLINK_WORK_DIR}"
  printf 'log=%s\nstateFile=%s\n' "${FLINK_CLUSTER_LOG}" "${STATE_FILE}"
  local overview
  if ! overview="$(rest_get "${FLINK_WEB_UI}overview")"; then
    printf 'rest=unreachable\n'
    die "the cluster process is alive but GET ${FLINK_WEB_UI}overview failed"
  fi
  printf 'overview=%s\n' "${overview}"
}

# ---------------------------------------------------------------------------------------------

main() {
  (($# > 0)) || usage_error "missing command (start, stop or status)"
  local cmd="$1"
  shift
  case "${cmd}" in
    -h | --help | help)
      usage
      ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    *) usage_error "unknown command '${cmd}' (expected start, stop or status)" ;;
  esac
}

main "$@"
