#!/usr/bin/env bash
# Launch one pipeline of beamsuite-dataflow.jar on Google Cloud Dataflow, or check it offline with a
# template dry run of the real DataflowRunner (--dry-run: no Google credentials or network needed).
set -euo pipefail

# shellcheck source=run-scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DRY_RUN_MAIN="io.beamsuite.pipelines.launcher.DataflowDryRun"
METADATA_MAIN="io.beamsuite.pipelines.launcher.FlexTemplateMetadata"

usage() {
  cat <<EOF2
usage: run-dataflow.sh <pipeline> --project P --region R --temp-location gs://BUCKET/PATH [beam options...]
       run-dataflow.sh <pipeline> --dry-run[=DIR] [--project P] [--region R] [beam options...]
       run-dataflow.sh --flex-template-metadata DIR
       run-dataflow.sh --help

Launch: java [\$BEAMSUITE_JAVA_OPTS] -jar beamsuite-dataflow.jar <pipeline> --runner=DataflowRunner --project=P
        --region=R --tempLocation=gs://... [beam options...]
  Needs Google credentials (gcloud auth application-default login, or a service account) and the
  Dataflow, Compute Engine and Cloud Storage APIs enabled. The launcher waits for the job and
  prints its summary; Ctrl-C cancels the job (add --progressSeconds=N to log less often).

  --project P           Google Cloud project (also --project=P)
  --region R            Dataflow region, e.g. europe-west1 (also --region=R)
  --temp-location URL   gs:// path for temporary and staged files (also --temp-location=URL,
                        --tempLocation=URL)
  --dry-run[=DIR]       do not launch: run DataflowRunner's client-side validation and translation
                        offline (template dry run, no-op credentials) and write the job spec under
                        DIR (default \$BEAMSUITE_STATE_DIR/dataflow-dry-run/<pipeline>); prints where
                        the spec went. --project/--region default to placeholders; --temp-location
                        is not used. Runner v1 streaming (a Kafka source) splits the Kafka source
                        at submission, so the brokers must be reachable from here, as for a launch.
  --flex-template-metadata DIR
                        write DIR/<pipeline>/metadata.json (Flex Template parameters, from the
                        options' descriptions) for every pipeline; see docs/dataflow.md

Other options pass through unchanged, e.g. --experiments=use_runner_v2, --enableStreamingEngine,
--usePublicIps=false, --network=N, --subnetwork=S, --serviceAccount=SA, --maxNumWorkers=N,
--jdbcPasswordEnv=NAME (--jdbcPassword is refused: it would be serialized into the job spec).
clickstream, fraud, sensors and cdc-replication run in batch and streaming on Runner v1 and v2;
lambda-batch is batch only, lambda-archive streaming only (docs/dataflow.md).

EOF2
  run_script_help_footer '  BEAMSUITE_STATE_DIR      where --dry-run writes by default (default <repo>/.beamsuite)'
}

case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
  --flex-template-metadata | --flex-template-metadata=*)
    if [[ "$1" == *=* ]]; then
      out_dir="${1#*=}"
      shift
    else
      (($# >= 2)) || usage_error "--flex-template-metadata needs a directory"
      out_dir="$2"
      shift 2
    fi
    [[ -n "${out_dir}" ]] || usage_error "--flex-template-metadata needs a directory"
    (($# == 0)) || usage_error "unexpected argument after --flex-template-metadata DIR: '$1'"
    require_java
    require_jar dataflow
    mkdir -p "${out_dir}"
    exec "${BEAMSUITE_JAVA}" -cp "${BEAMSUITE_JAR}" "${METADATA_MAIN}" "${out_dir}"
    ;;
esac
check_pipeline_args DataflowRunner "$@"
pipeline="$1"
shift

project=""
region=""
temp_location=""
dry_run=""
dry_run_dir=""
beam_args=()
# need_value OPTION ARGC VALUE: a usage error unless OPTION is followed by a value.
need_value() {
  (($2 >= 2)) || usage_error "$1 needs a value"
  [[ -n "$3" && "$3" != --* ]] || usage_error "$1 needs a value"
}
while (($# > 0)); do
  case "$1" in
    --project | --region | --temp-location | --tempLocation)
      need_value "$1" "$#" "${2:-}"
      case "$1" in
        --project) project="$2" ;;
        --region) region="$2" ;;
        *) temp_location="$2" ;;
      esac
      shift 2
      ;;
    --project=*) project="${1#*=}"; shift ;;
    --region=*) region="${1#*=}"; shift ;;
    --temp-location=* | --tempLocation=*) temp_location="${1#*=}"; shift ;;
    --jdbcPassword | --jdbcPassword=*)
      usage_error "do not pass --jdbcPassword to Dataflow: it would be serialized into the job spec with the JDBC steps; use --jdbcPasswordEnv=NAME (docs/dataflow.md)"
      ;;
    --dry-run)
      dry_run=1
      shift
      ;;
    --dry-run=*)
      dry_run=1
      dry_run_dir="${1#*=}"
      [[ -n "${dry_run_dir}" ]] || usage_error "--dry-run= needs a directory"
      shift
      ;;
    *)
      beam_args+=("$1")
      shift
      ;;
  esac
done

if [[ -n "${dry_run}" ]]; then
  require_java
  require_jar dataflow
  dry_run_dir="${dry_run_dir:-${BEAMSUITE_STATE_DIR}/dataflow-dry-run/${pipeline}}"
  mkdir -p "${dry_run_dir}/tmp"
  dry_run_dir="$(cd "${dry_run_dir}" && pwd -P)"
  [[ -z "${temp_location}" ]] || log_info "--temp-location is not used by a dry run (everything goes to ${dry_run_dir})"
  args=()
  [[ -z "${project}" ]] || args+=("--project=${project}")
  [[ -z "${region}" ]] || args+=("--region=${region}")
  log_info "dry run (nothing is sent to Google Cloud): DataflowRunner validation and translation into ${dry_run_dir}"
  mapfile -t java_opts < <(beamsuite_java_opts)
  # No GCE metadata-server probe: this is not a Google Cloud VM and no credentials are used.
  export NO_GCE_CHECK=true
  exec "${BEAMSUITE_JAVA}" "${java_opts[@]}" "-Djava.io.tmpdir=${dry_run_dir}/tmp" \
    -cp "${BEAMSUITE_JAR}" "${DRY_RUN_MAIN}" "${dry_run_dir}" "${pipeline}" \
    "${args[@]}" "${beam_args[@]}"
fi

[[ -n "${project}" ]] || usage_error "missing --project (the Google Cloud project to run in); or use --dry-run"
[[ -n "${region}" ]] || usage_error "missing --region (e.g. europe-west1); or use --dry-run"
[[ -n "${temp_location}" ]] || usage_error "missing --temp-location gs://BUCKET/PATH; or use --dry-run"
[[ "${temp_location}" == gs://* ]] \
  || usage_error "--temp-location must be a gs:// path (got '${temp_location}'); or use --dry-run"

require_java
require_jar dataflow
mapfile -t java_opts < <(beamsuite_java_opts)
exec "${BEAMSUITE_JAVA}" "${java_opts[@]}" -jar "${BEAMSUITE_JAR}" "${pipeline}" \
  --runner=DataflowRunner "--project=${project}" "--region=${region}" \
  "--tempLocation=${temp_location}" "${beam_args[@]}"
