#!/usr/bin/env bash
# Run one (bounded) pipeline of beamsuite-spark.jar on Beam's SparkRunner, local Spark by default.
set -euo pipefail

# shellcheck source=run-scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DEFAULT_SPARK_MASTER='local[2]'

# What Spark 3.5 needs on Java 17 (docs/architecture.md, Platform notes).
SPARK_JAVA17_OPTS=(
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  -Djdk.reflect.useDirectMethodHandle=false
)

usage() {
  cat <<EOF2
usage: run-spark.sh <pipeline> [--spark-master MASTER] [beam options...]
       run-spark.sh --help

Runs: java <Java 17 --add-opens for Spark> -Djdk.reflect.useDirectMethodHandle=false
        [\$BEAMSUITE_JAVA_OPTS] -jar beamsuite-spark.jar <pipeline> --runner=SparkRunner --sparkMaster=MASTER [beam options...]

  --spark-master MASTER  Spark master URL (also --spark-master=MASTER or --sparkMaster=MASTER);
                         default ${DEFAULT_SPARK_MASTER}. Spark is the batch runner here: use
                         bounded sources (e.g. --source=file:...).

EOF2
  run_script_help_footer ""
}

case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
esac
check_pipeline_args SparkRunner "$@"
pipeline="$1"
shift
spark_master="${DEFAULT_SPARK_MASTER}"
beam_args=()
while (($# > 0)); do
  case "$1" in
    --spark-master | --sparkMaster)
      (($# >= 2)) || usage_error "$1 needs a value, e.g. $1 ${DEFAULT_SPARK_MASTER}"
      spark_master="$2"
      shift 2
      ;;
    --spark-master=* | --sparkMaster=*)
      spark_master="${1#*=}"
      shift
      ;;
    *)
      beam_args+=("$1")
      shift
      ;;
  esac
done
[[ -n "${spark_master}" ]] || usage_error "--spark-master must not be empty"
require_java
require_jar spark
mapfile -t java_opts < <(beamsuite_java_opts)
exec "${BEAMSUITE_JAVA}" "${SPARK_JAVA17_OPTS[@]}" "${java_opts[@]}" -jar "${BEAMSUITE_JAR}" \
  "${pipeline}" --runner=SparkRunner "--sparkMaster=${spark_master}" "${beam_args[@]}"
