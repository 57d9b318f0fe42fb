#!/usr/bin/env bash
# `kubectl mlpipe render --mode embedded -o yaml` against kubectl reading and re-printing the
# same output (`kubectl create --dry-run=client -o yaml -f rendered.yaml`:
# decode, client-side checks, YAML printing), alternating the two in every
# round so both see the same machine. Then `run --dry-run=server` of the
# largest spec: every object through the apiserver and Tekton's webhook.
#
#   bash hack/bench-vs-kubectl.sh
#   ROUNDS=11 SPECS="1000/layered/0 5000/layered/0" bash hack/bench-vs-kubectl.sh
#
# SPECS are steps/shape/script-bytes for hack/bigspec (layers of 100). Starts
# the local cluster when it is not up (kubectl needs an apiserver for the
# kinds' REST mapping), and stops it again at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-7}
specs=${SPECS:-"1000/layered/0 1000/layered/1024 5000/layered/0"}
. hack/bench-lib.sh
bench_setup bench-kubectl
go build -o "$tmp/bigspec" ./hack/bigspec

ms() { # ms CMD...: milliseconds the command took (stdout dropped)
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
range() { printf '%s\n' "$@" | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "–" hi }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "# $(date -u +%FT%TZ) $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg); kubectl $(kubectl version --client -o json | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | head -1); $rounds rounds, alternating"
echo
echo "| spec | rendered | objects | render --mode embedded -o yaml (ms, median, min–max) | kubectl create --dry-run=client -o yaml (ms) | ratio |"
echo "|:---|---:|---:|---:|---:|---:|"
for sp in $specs; do
	IFS=/ read -r n shape sb <<<"$sp"
	spec=$tmp/spec-$n-$shape-$sb.yaml
	out=$tmp/out-$n-$shape-$sb.yaml
	"$tmp/bigspec" -steps "$n" -shape "$shape" -width 100 -script-bytes "$sb" -name "b$n-$sb" >"$spec"
	# Embedded, as the one object kubectl reads: a referenced render is a
	# Task per step, and kubectl's per-object cost would decide the ratio.
	kubectl mlpipe render -f "$spec" --mode embedded -o yaml >"$out" 2>/dev/null
	objects=$(grep -c '^kind:' "$out")
	# kubectl must take every object; the same bytes back says it did the same work.
	kubectl create --dry-run=client -o yaml -f "$out" >"$tmp/kubectl.yaml"
	if ! cmp -s "$out" "$tmp/kubectl.yaml"; then
		echo "# $sp: kubectl printed $(wc -c <"$tmp/kubectl.yaml") bytes, ours $(wc -c <"$out"); first differences:" >&2
		{ diff "$out" "$tmp/kubectl.yaml" || true; } | head -6 | sed 's/^/#   /' >&2
	fi
	ours=() theirs=()
	for _ in $(seq "$rounds"); do
		ours+=("$(ms kubectl-mlpipe render -f "$spec" --mode embedded -o yaml)")
		theirs+=("$(ms kubectl create --dry-run=client -o yaml -f "$out")")
	done
	mo=$(printf '%s\n' "${ours[@]}" | median)
	mt=$(printf '%s\n' "${theirs[@]}" | median)
	echo "| $n steps, $shape, ${sb} B scripts | $(wc -c <"$out") B | $objects | $mo ($(range "${ours[@]}")) | $mt ($(range "${theirs[@]}")) | $(awk -v a="$mo" -v b="$mt" 'BEGIN { printf "%.2f×", a / b }') |"
done

echo
last=${specs##* }
IFS=/ read -r n shape sb <<<"$last"
spec=$tmp/spec-$n-$shape-$sb.yaml
echo "## run --dry-run=server of $n steps ($shape, ${sb} B scripts)"
echo
t0=$(date +%s%N)
set +e
kubectl mlpipe run -n "$ns" -f "$spec" --dry-run=server -o name >"$tmp/dry.out" 2>"$tmp/dry.err"
code=$?
set -e
t1=$(date +%s%N)
echo "exit $code in $(((t1 - t0) / 1000000)) ms; printed $(wc -l <"$tmp/dry.out") names; stderr:"
sed 's/^/    /' "$tmp/dry.err" | tail -5
echo "PipelineRuns, Pipelines, Tasks left in the namespace (want 0 0 0): $(kubectl -n "$ns" get pipelineruns,pipelines,tasks -o name | awk -F/ '{ c[$1]++ } END { printf "%d %d %d", c["pipelinerun.tekton.dev"], c["pipeline.tekton.dev"], c["task.tekton.dev"] }')"
