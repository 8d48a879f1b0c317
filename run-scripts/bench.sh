#!/usr/bin/env bash
# Build the bench module and regenerate docs/benchmarks.md + docs/benchmarks.png from scratch.
set -euo pipefail

# shellcheck source=run-scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# What --quick runs without --only: the headline's plumbing end to end, under 5 minutes.
QUICK_SECTIONS=(flink-vs-native)
# Section name -> main class (io.beamsuite.bench.*), in page order.
SECTIONS=(flink-vs-native dedup direct-runner kappa-replay latency enrichment coders poison-input demo)
declare -A MAIN_OF=(
  [flink-vs-native]=FlinkVsNativeBenchmark
  [dedup]=DedupBenchmark
  [enrichment]=EnrichmentBenchmark
  [direct-runner]=DirectRunnerBenchmark
  [latency]=LatencyBenchmark
  [coders]=CoderBenchmark
  [poison-input]=PoisonInputBenchmark
  [kappa-replay]=KappaReplayBenchmark
  [demo]=DemoBenchmark
)

usage() {
  cat <<EOF2
usage: bench.sh [--quick] [--only <section>[,<section>...]] [--offline] [--no-build]
       bench.sh --help

Builds the bench module (mvn -Pbench), runs the benchmark mains and writes docs/benchmarks.md and
docs/benchmarks.png (a full run starts from scratch; --quick and --only refresh their sections and
keep the other sections' last results from bench/target/results). The full run takes about
an hour on a loaded 2-core machine (section 1 alone: 2,000,000 transactions + 2,000,000 clicks,
a warm-up and 3 trials per side); --quick is a smoke run of under 5 minutes: sections
${QUICK_SECTIONS[*]} only (unless --only says otherwise), small inputs, 1 trial, no warm-up.

Options:
  --quick          small inputs (numbers are for checking the plumbing, not for reading)
  --only LIST      run only these sections (comma-separated); the others keep their last results
                   (the page says when and by which command), or are marked "not run" if none
                   sections: ${SECTIONS[*]}
                   (flink-vs-native also produces section 2, framework cost vs plain Java)
  --offline        build with mvn -o (everything already in ~/.m2)
  --no-build       use the bench module as last built
  --help           this text

Environment: BEAMSUITE_BENCH_JAVA_OPTS  extra JVM flags for every benchmark JVM (default -Xmx4g)
             BEAMSUITE_BENCH_ARGS       extra arguments for the selected sections' mains, e.g.
                                        "--trials=1 --direct-events=100000" (each main says which
                                        it takes; the page records them with the command)
EOF2
}

invocation="${BEAMSUITE_BENCH_ARGS:+BEAMSUITE_BENCH_ARGS='${BEAMSUITE_BENCH_ARGS}' }run-scripts/bench.sh${*:+ $*}"
quick=false
only=""
offline=false
build=true
while (($#)); do
  case "$1" in
    -h | --help)
      usage
      exit 0
      ;;
    --quick) quick=true ;;
    --offline) offline=true ;;
    --no-build) build=false ;;
    --only)
      [[ $# -ge 2 && -n "$2" ]] || usage_error "--only needs a section list, e.g. --only flink-vs-native"
      only="$2"
      shift
      ;;
    --only=*)
      only="${1#--only=}"
      [[ -n "${only}" ]] || usage_error "--only needs a section list, e.g. --only flink-vs-native"
      ;;
    *) usage_error "unknown option '$1'" ;;
  esac
  shift
done

selected=()
if [[ -n "${only}" ]]; then
  IFS=',' read -r -a wanted <<<"${only}"
  for s in "${wanted[@]}"; do
    [[ -n "${MAIN_OF[${s}]:-}" ]] || usage_error "unknown section '${s}' (sections: ${SECTIONS[*]})"
    selected+=("${s}")
  done
elif [[ "${quick}" == true ]]; then
  selected=("${QUICK_SECTIONS[@]}")
else
  selected=("${SECTIONS[@]}")
fi

require_java
cd "${BEAMSUITE_ROOT}"

if [[ "${build}" == true ]]; then
  mvn_flags=(-B -ntp -q -Pbench -DskipTests -Dmaven.javadoc.skip=true)
  [[ "${offline}" == true ]] && mvn_flags+=(-o)
  # package, not install: the classpath then points at this checkout's module jars, not ~/.m2 copies
  # that a build of another checkout may overwrite meanwhile.
  log_info "building the bench module: mvn ${mvn_flags[*]} package -pl bench -am"
  mvn "${mvn_flags[@]}" package -pl bench -am
  if [[ " ${selected[*]} " == *" demo "* ]]; then
    # The demo runs the runner artifacts: build them from this checkout, not whatever was built last.
    log_info "building the runner artifacts for the demo: mvn ${mvn_flags[*]} package -pl pipelines/runners -am -amd"
    mvn "${mvn_flags[@]}" package -pl pipelines/runners -am -amd
  fi
fi
classpath_file="bench/target/bench.classpath"
[[ -f "${classpath_file}" ]] || die "${classpath_file} not found; build with: mvn -B -ntp -Pbench -DskipTests package -pl bench -am"

results="bench/target/results"
if [[ -z "${only}" && "${quick}" == false ]]; then
  rm -rf "${results}" # the page is generated from scratch
else
  # --only refreshes the selected sections and keeps the other sections' last results; the page
  # says when and by which command each section was measured.
  for section in "${selected[@]}"; do
    rm -f "${results}/${section}".*
  done
fi
mkdir -p "${results}"

# Run a snapshot of this checkout's code (bench classes + module jars): a full run takes about an
# hour, and a rebuild meanwhile must not change the code under it. Jars from ~/.m2 stay in place.
snapshot="${results}/code"
rm -rf "${snapshot}"
mkdir -p "${snapshot}"
cp -r bench/target/classes "${snapshot}/bench-classes"
IFS=":" read -r -a entries <"${classpath_file}" || true # no final newline: read returns 1 at EOF
snapshot_entries=("${snapshot}/bench-classes")
for entry in "${entries[@]}"; do
  if [[ "${entry}" == "${PWD}/"* ]]; then
    copy="${snapshot}/$(basename "${entry}")"
    cp -r "${entry}" "${copy}"
    snapshot_entries+=("${copy}")
  else
    snapshot_entries+=("${entry}")
  fi
done
classpath="$(
  IFS=':'
  echo "${snapshot_entries[*]}"
)"

# Load average (epoch seconds + /proc/loadavg) every 10 s while the benchmarks run.
(
  while true; do
    printf '%s %s\n' "$(date +%s)" "$(cat /proc/loadavg 2>/dev/null || true)" >>"${results}/loadavg.txt"
    sleep 10
  done
) &
sampler=$!
child=""
# Stop the sampler and a running benchmark JVM however the script ends (Ctrl-C and kill included).
trap 'kill "${sampler}" ${child:+"${child}"} 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM

read -r -a java_opts <<<"${BEAMSUITE_BENCH_JAVA_OPTS:--Xmx4g}"
bench_args=()
[[ "${quick}" == true ]] && bench_args+=(--quick)
read -r -a extra_args <<<"${BEAMSUITE_BENCH_ARGS:-}"
bench_args+=("${extra_args[@]}")
failed=()
for section in "${selected[@]}"; do
  main="io.beamsuite.bench.${MAIN_OF[${section}]}"
  # shellcheck disable=SC2016  # the command is printed for the page, $(cat ...) unexpanded
  printf 'java %s -cp "bench/target/classes:$(cat %s)" -Dbench.out=%s/%s.jsonl %s %s\n' \
    "${java_opts[*]}" "${classpath_file}" "${results}" "${section}" "${main}" "${bench_args[*]:-}" \
    >"${results}/${section}.cmd"
  log_info "section ${section}: ${main} (log: ${results}/${section}.log)"
  start=$(date +%s)
  status=ok
  "${BEAMSUITE_JAVA}" "${java_opts[@]}" -Djava.awt.headless=true -cp "${classpath}" \
    -Dbench.out="${results}/${section}.jsonl" "${main}" "${bench_args[@]}" \
    >"${results}/${section}.log" 2>&1 &
  child=$!
  if ! wait "${child}"; then
    log_warn "section ${section} failed; see ${results}/${section}.log (the page says so)"
    failed+=("${section}")
    status=failed
  fi
  child=""
  end=$(date +%s)
  printf '{"section":"%s","kind":"run","invocation":"%s","start":%s,"end":%s,"status":"%s"}\n' \
    "${section}" "${invocation}" "${start}" "${end}" "${status}" >>"${results}/${section}.jsonl"
  log_info "section ${section} took $((end - start)) s"
done

"${BEAMSUITE_JAVA}" -Djava.awt.headless=true -cp "${classpath}" io.beamsuite.bench.ReportWriter \
  "${results}" docs/benchmarks.md docs/benchmarks.png
if ((${#failed[@]})); then
  die "sections failed: ${failed[*]} (docs/benchmarks.md marks them)"
fi
