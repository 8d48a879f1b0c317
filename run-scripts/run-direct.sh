#!/usr/bin/env bash
# Run one pipeline of beamsuite-local.jar on Beam's DirectRunner (in this JVM).
set -euo pipefail

# shellcheck source=run-scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
  cat <<EOF2
usage: run-direct.sh <pipeline> [beam options...]
       run-direct.sh --help

Runs: java [\$BEAMSUITE_JAVA_OPTS] -jar beamsuite-local.jar <pipeline> --runner=DirectRunner [beam options...]

EOF2
  run_script_help_footer ""
}

case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
esac
check_pipeline_args DirectRunner "$@"
require_java
require_jar local
mapfile -t java_opts < <(beamsuite_java_opts)
pipeline="$1"
shift
mapfile -t launch < <(jar_launch_args)
exec "${BEAMSUITE_JAVA}" "${java_opts[@]}" "${launch[@]}" "${pipeline}" \
  --runner=DirectRunner "$@"
