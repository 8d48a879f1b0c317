#!/usr/bin/env bash
# Start, stop or inspect the sandbox: real PostgreSQL, Kafka, Debezium CDC (and optionally a
# Flink session cluster) on 127.0.0.1, as one background program (io.beamsuite.fixtures.services.Sandbox).
set -euo pipefail

# shellcheck source=run-scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

START_TIMEOUT_S=180
STOP_TIMEOUT_S=60
STATE_FILE="${BEAMSUITE_STATE_DIR}/sandbox.env"
PROPERTIES_FILE="${BEAMSUITE_STATE_DIR}/sandbox.properties"
LOG_FILE="${BEAMSUITE_STATE_DIR}/sandbox.log"

usage() {
  cat <<EOF2
usage: sandbox.sh start [--with-flink]
       sandbox.sh stop
       sandbox.sh status
       sandbox.sh --help

Runs io.beamsuite.fixtures.services.Sandbox in the background: PostgreSQL 17 with the customers table,
a Kafka broker with the topics clicks, transactions, sensor-readings, dead-letters, alerts,
Debezium capturing customers into cdc.public.customers, and with --with-flink a Flink session
cluster. Needs a built test-fixtures module: ${BEAMSUITE_FIXTURES_BUILD_CMD}

commands:
  start [--with-flink]  start it and wait (up to ${START_TIMEOUT_S} s) for "sandbox ready";
                        already running -> exit 0
  stop                  SIGTERM, up to ${STOP_TIMEOUT_S} s, then SIGKILL; not running -> exit 0
  status                print the settings; exit 0 when running, 3 when not

state (in \$BEAMSUITE_STATE_DIR, default <repo>/.beamsuite):
  sandbox.properties  the settings exactly as Sandbox printed them (key=value), e.g.
                      postgres.jdbcUrl, postgres.user, kafka.bootstrap, kafka.topics, cdc.table,
                      cdc.topic, and with --with-flink flink.master, flink.webUi
  sandbox.env         the same, sourceable: SANDBOX_POSTGRES_JDBCURL, SANDBOX_POSTGRES_USER,
                      SANDBOX_KAFKA_BOOTSTRAP, SANDBOX_KAFKA_TOPICS, SANDBOX_CDC_TABLE,
                      SANDBOX_CDC_TOPIC, SANDBOX_FLINK_MASTER, SANDBOX_FLINK_WEBUI, plus
                      SANDBOX_PID, SANDBOX_PGID, SANDBOX_LOG
  sandbox.log         the program's output

environment:
  BEAMSUITE_STATE_DIR  state and log directory (default <repo>/.beamsuite)
  JAVA_HOME            Java 17+ to use (else java on PATH)
EOF2
}

load_state() {
  SANDBOX_PID="" SANDBOX_PGID="" SANDBOX_LOG=""
  [[ -f "${STATE_FILE}" ]] || return 1
  # shellcheck source=/dev/null
  . "${STATE_FILE}"
}

running() {
  load_state && pid_alive "${SANDBOX_PID}"
}

# setting key -> SANDBOX_<KEY upper-cased, non-alphanumerics as _>
env_name() {
  local name
  name="$(tr '[:lower:]' '[:upper:]' <<<"$1" | tr -c 'A-Z0-9\n' '_')"
  printf 'SANDBOX_%s\n' "${name}"
}

cmd_start() {
  local -a sandbox_args=()
  while (($# > 0)); do
    case "$1" in
      --with-flink) sandbox_args=(--with-flink) ;;
      -h | --help)
        usage
        exit 0
        ;;
      *) usage_error "unknown option for start: '$1'" ;;
    esac
    shift
  done
  ensure_state_dir
  if running; then
    log_info "the sandbox is already running (pid ${SANDBOX_PID}, settings in ${PROPERTIES_FILE})"
    exit 0
  fi
  if [[ -f "${STATE_FILE}" ]]; then
    cmd_stop # a stale record: clean up what its dead sandbox may have left
  fi
  rm -f "${STATE_FILE}" "${PROPERTIES_FILE}"
  require_java
  local classpath pid
  classpath="$(fixtures_classpath)"
  log_info "starting the sandbox${sandbox_args[*]:+ ${sandbox_args[*]}}; log ${LOG_FILE}"
  pid="$(start_background "${LOG_FILE}" "${BEAMSUITE_JAVA}" -cp "${classpath}" \
    io.beamsuite.fixtures.services.Sandbox "${sandbox_args[@]}")"
  write_state "${STATE_FILE}" SANDBOX_PID "${pid}" SANDBOX_PGID "${pid}" SANDBOX_LOG "${LOG_FILE}"
  if ! wait_for_line "${LOG_FILE}" '^sandbox ready$' "${pid}" "${START_TIMEOUT_S}"; then
    stop_group "${pid}" "${pid}" "${STOP_TIMEOUT_S}" || true
    rm -f "${STATE_FILE}"
    die "the sandbox did not start (full log: ${LOG_FILE})"
  fi
  # The settings are the key=value lines before the ready line (the log holds nothing else on
  # stdout; keys are dotted identifiers).
  local tmp="${PROPERTIES_FILE}.tmp.$$" line key value
  sed -n '/^sandbox ready$/q; /^[a-z][A-Za-z0-9.]*=/p' "${LOG_FILE}" >"${tmp}"
  mv -f "${tmp}" "${PROPERTIES_FILE}"
  while IFS= read -r line; do
    key="${line%%=*}"
    value="${line#*=}"
    append_state "${STATE_FILE}" "$(env_name "${key}")" "${value}"
  done <"${PROPERTIES_FILE}"
  log_info "sandbox running (pid ${pid}); settings:"
  cat "${PROPERTIES_FILE}"
}

# The embedded PostgreSQL server detaches into its own session, so it is not in the sandbox's
# process group: after a SIGKILLed sandbox it would be left running. Finds it by its port.
postgres_pids() {
  local port
  port="$(sed -n 's|^jdbc:postgresql://[^:/]*:\([0-9][0-9]*\)/.*|\1|p' <<<"${SANDBOX_POSTGRES_JDBCURL:-}")"
  [[ -n "${port}" ]] || return 0
  ps -eo pid=,stat=,args= | awk -v p=" -p ${port} " \
    '$2 !~ /^Z/ && $3 ~ /bin\/postgres$/ && index($0 " ", p) > 0 { print $1 }'
}

kill_leftovers() {
  local -a left
  mapfile -t left < <(postgres_pids)
  if ((${#left[@]} > 0)); then
    log_warn "stopping the leftover PostgreSQL server (pid ${left[*]})"
    kill -TERM "${left[@]}" 2>/dev/null || true
    local waited=0
    while ((${#left[@]} > 0 && waited < 20)); do
      sleep 0.5
      waited=$((waited + 1))
      mapfile -t left < <(postgres_pids)
    done
    if ((${#left[@]} > 0)); then
      kill -KILL "${left[@]}" 2>/dev/null || true
    fi
  fi
}

cmd_stop() {
  (($# == 0)) || usage_error "stop takes no arguments, got '$1'"
  if ! load_state; then
    log_info "the sandbox is not running (no state file ${STATE_FILE})"
    return 0
  fi
  if ! pid_alive "${SANDBOX_PID}" && ! group_alive "${SANDBOX_PGID}"; then
    log_info "the sandbox is not running (pid ${SANDBOX_PID} is gone); removing stale state"
    kill_leftovers
    rm -f "${STATE_FILE}" "${PROPERTIES_FILE}"
    return 0
  fi
  log_info "stopping the sandbox (pid ${SANDBOX_PID})"
  stop_group "${SANDBOX_PID}" "${SANDBOX_PGID}" "${STOP_TIMEOUT_S}" \
    || die "processes of group ${SANDBOX_PGID} survived SIGKILL; see: ps -o pid,args -g ${SANDBOX_PGID}"
  kill_leftovers
  rm -f "${STATE_FILE}" "${PROPERTIES_FILE}"
  log_info "stopped"
}

cmd_status() {
  (($# == 0)) || usage_error "status takes no arguments, got '$1'"
  if ! running; then
    printf 'status=stopped\n'
    log_info "the sandbox is not running; start it with run-scripts/sandbox.sh start"
    exit 3
  fi
  printf 'status=running\npid=%s\nlog=%s\nstateFile=%s\n' "${SANDBOX_PID}" "${SANDBOX_LOG}" "${STATE_FILE}"
  cat "${PROPERTIES_FILE}"
}

main() {
  (($# > 0)) || usage_error "missing command (start, stop or status)"
  local cmd="$1"
  shift
  case "${cmd}" in
    -h | --help | help) usage ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    *) usage_error "unknown command '${cmd}' (expected start, stop or status)" ;;
  esac
}

main "$@"
