#!/usr/bin/env bash
# Run one pipeline of the bundled jar on Beam's DirectRunner (in this JVM).
set -euo pipefail

# shellcheck source=run-scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
  cat <<EOF2
usage: run-direct.sh <pipeline> [beam options...]
       run-direct.sh --help

Runs: java [\$BEAMSUITE_JAVA_OPTS] -jar <jar> <pipeline> --runner=DirectRunner [beam options...]

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
require_jar
mapfile -t java_opts < <(beamsuite_java_opts)
pipeline="$1"
shift
exec "${BEAMSUITE_JAVA}" "${java_opts[@]}" -jar "${BEAMSUITE_PIPELINES_JAR}" "${pipeline}" \
  --runner=DirectRunner "$@"
