# shellcheck shell=bash
# Shared helpers for the run-scripts. Source it, do not run it:
#   . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
#
# Environment it honours (all optional):
#   JAVA_HOME               java is $JAVA_HOME/bin/java when set, else `java` on PATH (must be 17+)
#   BEAMSUITE_ARTIFACTS_DIR where the runner artifacts are: beamsuite-local.jar, beamsuite-flink.jar
#                           (+ beamsuite-flink-client.classpath), beamsuite-dataflow.jar,
#                           beamsuite-spark.jar (default <repo>/pipelines/target)
#   BEAMSUITE_PIPELINES_JAR one jar to run instead of the runner artifact a script picks
#                           (java -jar <it> ..., e.g. a jar of your own build); default unset
#   FLINK_HOME              a Flink installation: run-flink.sh puts its lib/* next to the Flink
#                           job jar (else the Maven jars listed in beamsuite-flink-client.classpath)
#   BEAMSUITE_STATE_DIR     where background services keep state files and logs
#                           (default <repo>/.beamsuite)
#   BEAMSUITE_JAVA_OPTS     extra JVM flags for the pipeline JVM (split on whitespace)

if [[ -n "${BEAMSUITE_COMMON_SH_LOADED:-}" ]]; then
  return 0
fi
BEAMSUITE_COMMON_SH_LOADED=1

# ---------------------------------------------------------------------------------------------
# Locations

# The repository root: the parent of the directory holding this file.
BEAMSUITE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
BEAMSUITE_STATE_DIR="${BEAMSUITE_STATE_DIR:-${BEAMSUITE_ROOT}/.beamsuite}"
BEAMSUITE_ARTIFACTS_DIR="${BEAMSUITE_ARTIFACTS_DIR:-${BEAMSUITE_ROOT}/pipelines/target}"
BEAMSUITE_PIPELINES_JAR="${BEAMSUITE_PIPELINES_JAR:-}"
BEAMSUITE_FIXTURES_DIR="${BEAMSUITE_ROOT}/test-fixtures"
# Written by test-fixtures' build (maven-dependency-plugin, execution run-scripts-classpath).
BEAMSUITE_FIXTURES_CLASSPATH_FILE="${BEAMSUITE_FIXTURES_DIR}/target/run-scripts.classpath"
# Builds the four runner artifacts (pipelines/runners and what they need; -amd takes its modules).
BEAMSUITE_PIPELINES_BUILD_CMD="mvn -B -ntp -DskipTests package -pl pipelines/runners -am -amd"
BEAMSUITE_FIXTURES_BUILD_CMD="mvn -B -ntp -DskipTests compile -pl test-fixtures"

# ---------------------------------------------------------------------------------------------
# Logging: everything goes to stderr so stdout stays clean for values a caller may capture.

_bs_prog() { basename "${0}"; }
log_info() { printf '%s: %s\n' "$(_bs_prog)" "$*" >&2; }
log_warn() { printf '%s: warning: %s\n' "$(_bs_prog)" "$*" >&2; }
log_error() { printf '%s: error: %s\n' "$(_bs_prog)" "$*" >&2; }

# die MESSAGE [EXIT_CODE]: print an error and exit (default 1).
die() {
  log_error "$1"
  exit "${2:-1}"
}

# usage_error MESSAGE: a bad command line; exit 2 with a pointer to --help.
usage_error() {
  log_error "$1"
  printf "Try '%s --help'.\n" "$(_bs_prog)" >&2
  exit 2
}

# ---------------------------------------------------------------------------------------------
# Java

# Sets BEAMSUITE_JAVA to a java 17+ binary, or exits with a clear message.
require_java() {
  local java_bin
  if [[ -n "${JAVA_HOME:-}" ]]; then
    java_bin="${JAVA_HOME}/bin/java"
    [[ -x "${java_bin}" ]] || die "JAVA_HOME is set to '${JAVA_HOME}' but ${java_bin} is not an executable; install Java 17+ or fix JAVA_HOME"
  else
    java_bin="$(command -v java || true)"
    [[ -n "${java_bin}" ]] || die "java not found: install Java 17 or newer and put it on PATH (or set JAVA_HOME)"
  fi
  local version_line version major
  version_line="$("${java_bin}" -version 2>&1 | sed -n 1p || true)"
  # e.g. openjdk version "17.0.15" 2025-04-15 | java version "1.8.0_392" | openjdk version "21" ...
  version="$(sed -n 's/^[^"]*"\([^"]*\)".*/\1/p' <<<"${version_line}")"
  if [[ "${version}" == 1.* ]]; then
    major="$(cut -d. -f2 <<<"${version}")"
  else
    major="${version%%[.+-]*}"
  fi
  if ! [[ "${major}" =~ ^[0-9]+$ ]]; then
    die "cannot tell the version of ${java_bin} (it printed: ${version_line:-nothing}); Java 17 or newer is required"
  fi
  if ((major < 17)); then
    die "${java_bin} is Java ${version}; Java 17 or newer is required (set JAVA_HOME to a JDK 17+)"
  fi
  # shellcheck disable=SC2034  # used by the scripts that source this file
  BEAMSUITE_JAVA="${java_bin}"
}

# require_jar ARTIFACT: sets BEAMSUITE_JAR to the runner artifact beamsuite-ARTIFACT.jar (local,
# flink, dataflow or spark; or to BEAMSUITE_PIPELINES_JAR when set), or exits with the command
# that builds it.
require_jar() {
  BEAMSUITE_JAR="${BEAMSUITE_PIPELINES_JAR:-${BEAMSUITE_ARTIFACTS_DIR}/beamsuite-${1:-local}.jar}"
  if [[ ! -f "${BEAMSUITE_JAR}" ]]; then
    die "pipelines jar not found: ${BEAMSUITE_JAR}
  build it with: ${BEAMSUITE_PIPELINES_BUILD_CMD}
  (run from ${BEAMSUITE_ROOT}; or point BEAMSUITE_ARTIFACTS_DIR at the built jars)"
  fi
}

# submit_jvm_opts: JVM flags for BEAMSUITE_JAR, one per line, to go before the user's. A JVM that
# only translates and submits to a Flink session cluster is done before C2 pays off: C1 alone and
# the serial GC halve launcher start to job RUNNING (about 12 s -> 6 s on 2 busy cores).
submit_jvm_opts() {
  if [[ -z "${BEAMSUITE_PIPELINES_JAR}" && "$(basename "${BEAMSUITE_JAR}")" == beamsuite-flink.jar ]]; then
    printf '%s\n' -XX:TieredStopAtLevel=1 -XX:+UseSerialGC
  fi
}

# jar_launch_args: the java arguments that run the launcher of BEAMSUITE_JAR, one per line (for
# mapfile). The Flink job jar leaves Flink out (the cluster has it), so it runs with Flink's own
# jars next to it: $FLINK_HOME/lib/* of an installation, else the Maven jars its build listed.
jar_launch_args() {
  if [[ -n "${BEAMSUITE_PIPELINES_JAR}" || "$(basename "${BEAMSUITE_JAR}")" != beamsuite-flink.jar ]]; then
    printf '%s\n' -jar "${BEAMSUITE_JAR}"
    return 0
  fi
  local flink_cp
  if [[ -n "${FLINK_HOME:-}" && -d "${FLINK_HOME}/lib" ]]; then
    flink_cp="${FLINK_HOME}/lib/*"
  else
    local cp_file="${BEAMSUITE_ARTIFACTS_DIR}/beamsuite-flink-client.classpath"
    [[ -s "${cp_file}" ]] || die "no Flink to submit with: set FLINK_HOME to a Flink 1.19 installation, or build ${cp_file} with: ${BEAMSUITE_PIPELINES_BUILD_CMD}"
    flink_cp="$(tr -d '\n' <"${cp_file}")"
  fi
  printf '%s\n' -cp "${BEAMSUITE_JAR}:${flink_cp}" io.beamsuite.pipelines.launcher.Launcher
}

# The extra JVM flags from BEAMSUITE_JAVA_OPTS, one per line (for mapfile).
beamsuite_java_opts() {
  local opt
  # Word splitting is the point here: BEAMSUITE_JAVA_OPTS="-Xmx2g -Dfoo=bar".
  # shellcheck disable=SC2086
  for opt in ${BEAMSUITE_JAVA_OPTS:-}; do
    printf '%s\n' "${opt}"
  done
}

# run_script_help_footer [ENV_LINE]: the end of every run-*.sh --help: the pipelines and the
# environment the script honours (ENV_LINE, already indented, goes after BEAMSUITE_PIPELINES_JAR).
run_script_help_footer() {
  cat <<EOF2
pipelines: clickstream, fraud, sensors, cdc-replication
  (java -jar <jar> --help lists them and their options; do not pass --runner)

environment:
  BEAMSUITE_ARTIFACTS_DIR  where the runner artifacts are (default <repo>/pipelines/target;
                           build them with: ${BEAMSUITE_PIPELINES_BUILD_CMD})
  BEAMSUITE_PIPELINES_JAR  one jar to run instead of the runner artifact (default unset)
EOF2
  [[ -z "${1:-}" ]] || printf '%s\n' "$1"
  cat <<'EOF2'
  BEAMSUITE_JAVA_OPTS      extra JVM flags, e.g. -Xmx2g
  JAVA_HOME                Java 17+ to use (else java on PATH)
EOF2
}

# check_pipeline_args SCRIPT_RUNNER ARGS...: the first argument must be a pipeline name and no
# later one may choose another runner (this script sets --runner itself).
check_pipeline_args() {
  local runner="$1"
  shift
  (($# > 0)) || usage_error "missing the pipeline name (clickstream, fraud, sensors, cdc-replication; java -jar <jar> --help lists them)"
  [[ "$1" != -* ]] || usage_error "unknown option '$1' (the pipeline name comes first)"
  shift
  local arg
  for arg in "$@"; do
    case "${arg}" in
      --runner | --runner=*)
        usage_error "do not pass ${arg}: this script always runs on the ${runner}; use run-direct.sh, run-flink.sh or run-spark.sh for the others"
        ;;
    esac
  done
}

# ---------------------------------------------------------------------------------------------
# test-fixtures runtime classpath (for FlinkCluster and Sandbox as programs)

# Prints "<test-fixtures>/target/classes:<runtime deps>" or exits with the build command.
#
# The classes dir must hold the compiled fixtures and the flink-cluster-*.classpath resources
# that FlinkCluster reads to build the cluster JVMs' classpath (Flink is `provided` scope, so it
# is not in the launcher JVM's classpath and need not be). The runtime-scope dependency list is
# written by every build of test-fixtures to target/run-scripts.classpath; when it is missing
# (e.g. target/ built by an older pom) it is written once with `mvn dependency:build-classpath`
# and cached there. A listed jar that no longer exists is reported with the build command.
fixtures_classpath() {
  local classes="${BEAMSUITE_FIXTURES_DIR}/target/classes"
  local res="${classes}/io/beamsuite/fixtures/services"
  if [[ ! -f "${res}/FlinkCluster.class" || ! -f "${res}/flink-cluster-provided.classpath" \
    || ! -f "${res}/flink-cluster-runtime.classpath" ]]; then
    die "test-fixtures is not built (no ${res}/FlinkCluster.class or flink-cluster-*.classpath)
  build it with: ${BEAMSUITE_FIXTURES_BUILD_CMD}
  (run from ${BEAMSUITE_ROOT})"
  fi
  local cp_file="${BEAMSUITE_FIXTURES_CLASSPATH_FILE}"
  if [[ ! -s "${cp_file}" ]]; then
    if command -v mvn >/dev/null 2>&1; then
      log_info "writing the test-fixtures runtime classpath to ${cp_file} (mvn dependency:build-classpath, once)"
      local tmp="${cp_file}.tmp.$$"
      if ! (cd "${BEAMSUITE_ROOT}" && mvn -B -ntp -q -pl test-fixtures dependency:build-classpath \
        -DincludeScope=runtime -Dmdep.outputFile="${tmp}" >&2); then
        rm -f "${tmp}"
        die "mvn dependency:build-classpath failed for test-fixtures; build it with: ${BEAMSUITE_FIXTURES_BUILD_CMD}"
      fi
      mv -f "${tmp}" "${cp_file}"
    else
      die "no ${cp_file} and mvn is not on PATH; build test-fixtures with: ${BEAMSUITE_FIXTURES_BUILD_CMD}"
    fi
  fi
  local deps entry
  deps="$(tr -d '\n' <"${cp_file}")"
  local -a entries
  IFS=':' read -r -a entries <<<"${deps}"
  for entry in "${entries[@]}"; do
    if [[ -n "${entry}" && ! -e "${entry}" ]]; then
      die "classpath entry ${entry} (from ${cp_file}) is missing; rebuild with: ${BEAMSUITE_FIXTURES_BUILD_CMD}"
    fi
  done
  printf '%s:%s\n' "${classes}" "${deps}"
}

# ---------------------------------------------------------------------------------------------
# Background services and state files
#
# A state file is a sourceable shell fragment of NAME='value' lines (single-quoted; a value's
# own single quotes are escaped as '\''), written atomically (temp file + mv).

ensure_state_dir() {
  mkdir -p "${BEAMSUITE_STATE_DIR}"
}

# shell_quote VALUE: VALUE in single quotes, safe to source.
shell_quote() {
  local q="'\\''"
  printf "'%s'" "${1//\'/${q}}"
}

# write_state FILE NAME VALUE [NAME VALUE ...]
write_state() {
  local file="$1"
  shift
  local tmp="${file}.tmp.$$"
  {
    printf '# written by %s on %s; sourceable shell\n' "$(_bs_prog)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    while (($# >= 2)); do
      printf '%s=%s\n' "$1" "$(shell_quote "$2")"
      shift 2
    done
  } >"${tmp}"
  mv -f "${tmp}" "${file}"
}

# append_state FILE NAME VALUE
append_state() {
  printf '%s=%s\n' "$2" "$(shell_quote "$3")" >>"$1"
}

# pid_alive PID: true while a process with that pid exists (and is not a zombie).
pid_alive() {
  local pid="$1" stat
  [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
  kill -0 "${pid}" 2>/dev/null || return 1
  stat="$(ps -o stat= -p "${pid}" 2>/dev/null || true)"
  [[ -n "${stat}" && "${stat}" != Z* ]]
}

# group_alive PGID: true while any live process is in that process group.
group_alive() {
  local pgid="$1"
  [[ "${pgid}" =~ ^[0-9]+$ ]] || return 1
  ps -eo pgid=,stat= | awk -v g="${pgid}" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

# start_background LOG CMD...: starts CMD detached (nohup, new session = own process group),
# output to LOG; prints its pid (which is also its process-group id).
start_background() {
  local log="$1"
  shift
  : >"${log}"
  # In a non-interactive shell the background child is not a group leader, so setsid makes it
  # one without forking: $! is the java process itself and its pgid equals its pid.
  setsid nohup "$@" >>"${log}" 2>&1 </dev/null &
  printf '%s\n' "$!"
}

# wait_for_line LOG PATTERN PID TIMEOUT_S: waits (dots on stderr) until LOG has a line matching the
# extended regex PATTERN. Fails if PID dies or TIMEOUT_S passes, printing the log tail.
wait_for_line() {
  local log="$1" pattern="$2" pid="$3" timeout="$4"
  local deadline=$((SECONDS + timeout)) last_dot="${SECONDS}"
  printf '%s: waiting' "$(_bs_prog)" >&2
  while ! grep -Eq "${pattern}" "${log}" 2>/dev/null; do
    if ! pid_alive "${pid}"; then
      printf ' exited\n' >&2
      log_error "process ${pid} exited before it was ready; last lines of ${log}:"
      tail -n 40 "${log}" >&2 || true
      return 1
    fi
    if ((SECONDS >= deadline)); then
      printf ' timed out\n' >&2
      log_error "not ready within ${timeout} s; last lines of ${log}:"
      tail -n 40 "${log}" >&2 || true
      return 1
    fi
    if ((SECONDS > last_dot)); then
      printf '.' >&2
      last_dot="${SECONDS}"
    fi
    sleep 0.5
  done
  printf ' ready\n' >&2
}

# stop_group PID PGID TIMEOUT_S: SIGTERM to PID (its shutdown hook stops its children), wait up to
# TIMEOUT_S for the whole process group to go, then SIGKILL the group. Returns 0 when gone.
stop_group() {
  local pid="$1" pgid="$2" timeout="$3"
  local deadline=$((SECONDS + timeout)) last_dot="${SECONDS}"
  if pid_alive "${pid}"; then
    kill -TERM "${pid}" 2>/dev/null || true
  fi
  printf '%s: stopping' "$(_bs_prog)" >&2
  local group_termed=""
  while group_alive "${pgid}" || pid_alive "${pid}"; do
    # The main process is gone (or was killed) but children of it are left: TERM them directly.
    if [[ -z "${group_termed}" ]] && ! pid_alive "${pid}"; then
      kill -TERM -- "-${pgid}" 2>/dev/null || true
      group_termed=1
    fi
    if ((SECONDS >= deadline)); then
      printf ' still running after %s s, sending SIGKILL' "${timeout}" >&2
      kill -KILL -- "-${pgid}" 2>/dev/null || true
      kill -KILL "${pid}" 2>/dev/null || true
      sleep 1
      break
    fi
    if ((SECONDS > last_dot)); then
      printf '.' >&2
      last_dot="${SECONDS}"
    fi
    sleep 0.5
  done
  if group_alive "${pgid}" || pid_alive "${pid}"; then
    printf ' FAILED\n' >&2
    return 1
  fi
  printf ' stopped\n' >&2
}

# pids_matching TEXT: pids of live processes whose command line contains TEXT (fixed string),
# excluding this shell and its children.
pids_matching() {
  local text="$1"
  ps -eo pid=,stat=,args= | awk -v t="${text}" -v self="$$" \
    '$2 !~ /^Z/ && index($0, t) > 0 && $1 != self && $3 !~ /(^|\/)(awk|ps|grep)$/ { print $1 }'
}

# rest_get URL: the body of GET URL, or fails (needs curl).
rest_get() {
  command -v curl >/dev/null 2>&1 || die "curl not found: install curl to check the REST endpoint"
  curl -fsS --max-time 10 "$1"
}
