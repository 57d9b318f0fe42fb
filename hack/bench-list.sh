#!/usr/bin/env bash
# Measures reading a namespace of many runs (the runs a pipeline run nightly
# for years leaves), on the local cluster (test/cluster), through real kubectl
# plugin discovery: wall time and peak RSS (/usr/bin/time -f '%e %M') of
#   kubectl get pipelineruns            what list is held to (server-side Table)
#   kubectl get pipelineruns -l P       the same, one pipeline's runs
#   tkn pr list
#   kubectl mlpipe list                 rows of finished runs from its cache (--cache-dir, filled by the warm-up round)
#   kubectl mlpipe list --local-cache=false   every run read (what the first list, with an empty cache, does)
#   kubectl mlpipe list P               one pipeline's runs (label selector)
#   kubectl mlpipe __complete describe ""   run-name completion
#   kubectl mlpipe __complete list ""       pipeline-name completion
# in ROUNDS alternating rounds after one warm-up round, the first list with
# an empty cache once, then once
# `kubectl mlpipe delete --all --keep DELETE_KEEP -y`. Prints a Markdown
# table of medians with ratios against kubectl get.
#
# The runs: N (default 10000), 90% examples/training.yaml (churn-training),
# 10% examples/hyperparameter-sweep.yaml (lr-sweep, the P above), rendered
# once and created by hack/manyruns (never started; all but the 3 newest of
# each given a finished status, with Tekton's status.pipelineSpec copy, so a
# stored run is ~46 KB).
#
#   bash hack/bench-list.sh
#   N=2000 ROUNDS=3 bash hack/bench-list.sh
#   NS=bench-list bash hack/bench-list.sh   # a namespace kept between runs: created and filled once, not deleted
#   DELETE_KEEP=0 bash hack/bench-list.sh   # no delete
#
# Honours MLPIPE_CLUSTER_DIR etc. (hack/bench-lib.sh); starts the cluster when
# it is not up (and stops it again at the end). Needs /usr/bin/time (Debian
# package time: installed with apt-get when missing and run as root) and tkn
# (built by test/cluster/build.sh tkn when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

n=${N:-10000}
rounds=${ROUNDS:-5}
keep=${DELETE_KEEP:-5000}
pipeline=lr-sweep

if [ ! -x /usr/bin/time ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		apt-get install -y -qq time >&2 || { apt-get update -qq >&2 && apt-get install -y -qq time >&2; }
	else
		echo "bench-list: needs /usr/bin/time: apt-get install time" >&2
		exit 1
	fi
fi
tkn=${MLPIPE_CLUSTER_CACHE:-$HOME/.cache/kubectl-mlpipe/cluster}/tkn-v0.46.0/tkn
[ -x "$tkn" ] || tkn=$(bash test/cluster/build.sh tkn | tail -1)

. hack/bench-lib.sh
bench_setup bench-list
runs_ns=${NS:-$ns}
kubectl get namespace "$runs_ns" >/dev/null 2>&1 || kubectl create namespace "$runs_ns" >/dev/null
have=$(kubectl get pipelineruns -n "$runs_ns" -o name | wc -l)
if ((have < n)); then
	echo "# creating $n runs in $runs_ns ($have there)" >&2
	go build -o "$tmp/manyruns" ./hack/manyruns
	kubectl-mlpipe render -f examples/training.yaml -o json >"$tmp/training.json"
	kubectl-mlpipe render -f examples/hyperparameter-sweep.yaml -o json >"$tmp/sweep.json"
	t0=$(date +%s)
	"$tmp/manyruns" -namespace "$runs_ns" -workers 32 "$tmp/training.json=$((n - n / 10))" "$tmp/sweep.json=$((n / 10))"
	echo "# created in $(($(date +%s) - t0)) s" >&2
fi

names=(kubectl kubectl-l tkn list list-nocache list-p complete-run complete-pipeline)
argv() { # argv NAME: the command line measured as NAME
	case $1 in
	kubectl) cmd=(kubectl get pipelineruns -n "$runs_ns") ;;
	kubectl-l) cmd=(kubectl get pipelineruns -n "$runs_ns" -l "mlpipe.dev/pipeline=$pipeline") ;;
	tkn) cmd=("$tkn" pr list -n "$runs_ns") ;;
	list) cmd=(kubectl mlpipe list -n "$runs_ns" --cache-dir "$tmp/cache") ;;
	list-nocache) cmd=(kubectl mlpipe list -n "$runs_ns" --local-cache=false) ;;
	list-p) cmd=(kubectl mlpipe list -n "$runs_ns" --cache-dir "$tmp/cache" "$pipeline") ;;
	list-first) cmd=(kubectl mlpipe list -n "$runs_ns" --cache-dir "$tmp/first") ;;
	complete-run) cmd=(kubectl mlpipe __complete describe -n "$runs_ns" "") ;;
	complete-pipeline) cmd=(kubectl mlpipe __complete list -n "$runs_ns" "") ;;
	esac
}
for round in $(seq 0 "$rounds"); do
	for c in "${names[@]}"; do
		argv "$c"
		/usr/bin/time -o "$tmp/t" -f '%e %M' "${cmd[@]}" >"$tmp/out-$c" 2>"$tmp/err-$c" || { echo "bench-list: $c failed: $(tail -3 "$tmp/err-$c")" >&2; exit 1; }
		((round > 0)) && echo "$c $(tail -1 "$tmp/t")" >>"$tmp/times"
	done
done

# The first list with an empty cache: every run read, the cache written.
argv list-first
/usr/bin/time -o "$tmp/t" -f '%e %M' "${cmd[@]}" >"$tmp/out-list-first" 2>"$tmp/err-list-first" || { echo "bench-list: list-first failed: $(tail -3 "$tmp/err-list-first")" >&2; exit 1; }
echo "list-first $(tail -1 "$tmp/t")" >>"$tmp/times"
# The same rows from the cache as from the runs (the times, relative to now, left out).
cols() { awk '{ print $1, $2, $3, $4, $5 }' "$1"; }
cmp -s <(cols "$tmp/out-list") <(cols "$tmp/out-list-nocache") || { echo "bench-list: list printed a different table from its cache than from the runs:" >&2; diff <(cols "$tmp/out-list") <(cols "$tmp/out-list-nocache") | head >&2; exit 1; }

median() { # median COMMAND FIELD
	awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$tmp/times" | sort -n |
		awk '{ v[NR] = $1 } END { printf "%g\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
echo "# $(date -u +%FT%TZ); $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg); $(kubectl get pipelineruns -n "$runs_ns" -o name | wc -l) runs in $runs_ns; $rounds rounds"
echo
echo "| command | rows | median s | × kubectl | median peak RSS MiB | × kubectl |"
echo "|:---|---:|---:|---:|---:|---:|"
kt=$(median kubectl 2)
km=$(median kubectl 3)
for c in "${names[@]}" list-first; do
	t=$(median "$c" 2)
	m=$(median "$c" 3)
	rows=$(wc -l <"$tmp/out-$c")
	awk -v c="$c" -v r="$rows" -v t="$t" -v m="$m" -v kt="$kt" -v km="$km" 'BEGIN { printf "| %s | %d | %.2f | %.2f | %.0f | %.2f |\n", c, r, t, t / kt, m / 1024, m / km }'
done
if ((keep > 0)); then
	/usr/bin/time -o "$tmp/t" -f '%e %M' kubectl mlpipe delete -n "$runs_ns" --all --keep "$keep" -y >"$tmp/out-delete" 2>"$tmp/err-delete"
	read -r t m <"$tmp/t"
	echo
	echo "delete --all --keep $keep: $t s, peak RSS $((m / 1024)) MiB; $(kubectl get pipelineruns -n "$runs_ns" -o name | wc -l) runs left; last line: $(tail -1 "$tmp/err-delete" | tr '\r' '\n' | tail -1)"
fi
