#!/usr/bin/env bash
# Sample data for the pipelines: the seeded workload of the test fixtures' event generator (clicks,
# transactions, sensor readings, with duplicates, disorder, late and malformed records) written to
# JSON-lines files and/or Kafka topics, so every README example has real input.
set -euo pipefail

# shellcheck source=run-scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
  cat <<EOF2
usage: generate-events.sh [--files DIR] [--kafka BOOTSTRAP] [--events N] [--seed S]
                          [--duplicate-rate R] [--late-rate R] [--malformed-rate R]
       generate-events.sh --help

Writes the generator's seeded workload (the one the tests and the demo check against the oracle):
  --files DIR        the master dataset layout: DIR/<topic>/dt=YYYY-MM-DD/hr=HH/part-N.jsonl for the
                     topics clicks, transactions and sensor-readings (read it with e.g.
                     --source='file:DIR/clicks/**.jsonl')
  --kafka BOOTSTRAP  the Kafka topics clicks, transactions, sensor-readings (the pipelines' defaults)
  Without either, the Kafka of a running run-scripts/sandbox.sh start is used.
  --events N         events to generate (default 10000; ~3% more records with duplicates and
                     malformed ones); --seed S (default 1) makes the same workload every time
  --duplicate-rate, --late-rate, --malformed-rate  fractions (defaults 0.02, 0.01, 0.01)

Runs io.beamsuite.fixtures.generator.GenerateEvents from the test-fixtures module's build (the generator is a
test fixture: it ships in no runner artifact). Customer rows for fraud come through CDC: see
run-scripts/sandbox.sh.

environment: BEAMSUITE_STATE_DIR (where sandbox.sh keeps its state), BEAMSUITE_JAVA_OPTS, JAVA_HOME
EOF2
}

args=()
have_output=""
while (($# > 0)); do
  case "$1" in
    -h | --help)
      usage
      exit 0
      ;;
    --files | --kafka | --events | --seed | --duplicate-rate | --late-rate | --malformed-rate)
      (($# >= 2)) || usage_error "$1 needs a value"
      [[ "$1" != --files && "$1" != --kafka ]] || have_output=1
      args+=("$1" "$2")
      shift 2
      ;;
    --files=* | --kafka=* | --events=* | --seed=* | --duplicate-rate=* | --late-rate=* | --malformed-rate=*)
      [[ "$1" != --files=* && "$1" != --kafka=* ]] || have_output=1
      args+=("${1%%=*}" "${1#*=}")
      shift
      ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done

if [[ -z "${have_output}" ]]; then
  sandbox_state="${BEAMSUITE_STATE_DIR}/sandbox.env"
  bootstrap=""
  if [[ -f "${sandbox_state}" ]]; then
    # shellcheck source=/dev/null
    bootstrap="$(. "${sandbox_state}" && printf '%s' "${SANDBOX_KAFKA_BOOTSTRAP:-}")"
  fi
  [[ -n "${bootstrap}" ]] || usage_error "give --files DIR and/or --kafka BOOTSTRAP (or start run-scripts/sandbox.sh first)"
  log_info "writing to the sandbox's Kafka at ${bootstrap}"
  args+=(--kafka "${bootstrap}")
fi

require_java
classpath="$(fixtures_classpath)"
mapfile -t java_opts < <(beamsuite_java_opts)
exec "${BEAMSUITE_JAVA}" "${java_opts[@]}" -cp "${classpath}" io.beamsuite.fixtures.generator.GenerateEvents "${args[@]}"
