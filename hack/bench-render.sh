#!/usr/bin/env bash
# Times the whole `kubectl-mlpipe render -f FILE` command (process start,
# load, validation, model, render, Tekton's validation, YAML printing) on
# generated specs of 10, 100 and 1000 steps (pkg/compiler/gen_test.go).
#
#   bash hack/bench-render.sh            # hyperfine if installed, else a loop
#   RUNS=50 bash hack/bench-render.sh
#   SIZES="100 1000" bash hack/bench-render.sh
#   BREAKDOWN=1 bash hack/bench-render.sh  # also `validate`, `render -o name`
#                                          # and `render -o json` per size
#   HYPERFINE=none bash hack/bench-render.sh  # force the date +%s%N loop
#
# The specs and the binary go to a temporary directory, removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-20}
sizes=${SIZES:-10 100 1000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "# building bin and specs in $tmp" >&2
CGO_ENABLED=0 go build -trimpath -o "$tmp/kubectl-mlpipe" ./cmd/kubectl-mlpipe
MLPIPE_BENCH_SPECS_DIR="$tmp" CGO_ENABLED=0 go test -count=1 -run '^TestWriteBenchSpecs$' ./pkg/compiler/ >/dev/null
bin="$tmp/kubectl-mlpipe"

# The commands to time, as "label|args".
cmds=()
for n in $sizes; do
	cmds+=("render -f bench-$n.yaml|render -f $tmp/bench-$n.yaml")
	if [ -n "${BREAKDOWN:-}" ]; then
		cmds+=("validate -f bench-$n.yaml|validate -f $tmp/bench-$n.yaml")
		cmds+=("render -f bench-$n.yaml -o name|render -f $tmp/bench-$n.yaml -o name")
		cmds+=("render -f bench-$n.yaml -o json|render -f $tmp/bench-$n.yaml -o json")
	fi
done

for n in $sizes; do
	# A render that fails must not be timed as a fast one.
	"$bin" render -f "$tmp/bench-$n.yaml" >"$tmp/out-$n.yaml"
	echo "# bench-$n.yaml: $(wc -c <"$tmp/bench-$n.yaml") bytes in, $(wc -c <"$tmp/out-$n.yaml") bytes out" >&2
done

echo "# $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
if command -v "${HYPERFINE:-hyperfine}" >/dev/null 2>&1; then
	args=()
	for c in "${cmds[@]}"; do
		args+=(--command-name "kubectl-mlpipe ${c%%|*}" "$bin ${c#*|}")
	done
	"${HYPERFINE:-hyperfine}" --shell=none --warmup 3 --runs "$runs" --export-markdown "$tmp/results.md" "${args[@]}" >&2
	cat "$tmp/results.md"
else
	echo "# hyperfine not found (apt-get install -y hyperfine); timing a loop of $runs runs" >&2
	printf '| Command | Median [ms] | Min [ms] | Max [ms] |\n|:---|---:|---:|---:|\n'
	for c in "${cmds[@]}"; do
		read -r -a argv <<<"${c#*|}"
		for _ in 1 2 3; do "$bin" "${argv[@]}" >/dev/null; done # warm up
		ts=()
		for _ in $(seq "$runs"); do
			t0=$(date +%s%N)
			"$bin" "${argv[@]}" >/dev/null
			t1=$(date +%s%N)
			ts+=($(((t1 - t0) / 1000)))
		done
		printf '%s\n' "${ts[@]}" | sort -n | awk -v name="kubectl-mlpipe ${c%%|*}" '
			{ v[NR] = $1 }
			END {
				med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
				printf "| `%s` | %.1f | %.1f | %.1f |\n", name, med / 1000, v[1] / 1000, v[NR] / 1000
			}'
	done
fi
