#!/usr/bin/env bash
# Measures how big a pipeline the local cluster (test/cluster: a real
# kube-apiserver with etcd's defaults, the real Tekton controller and
# webhook, KWOK nodes) takes, through real kubectl plugin discovery.
#
#  1. The ceiling for one run sent embedded: runs of 10 steps whose scripts
#     grow, each sent with --mode embedded and followed with --wait for up to
#     WAIT; for each, the size sent, the size stored once Tekton wrote its
#     status (kubectl get -o json), and whether it reached Succeeded. Past the
#     ceiling Tekton's status update is refused and the run never ends.
#  2. Big pipelines: SHAPES (steps/shape/script bytes[/mode]) sent with
#     --mode MODE (default auto), followed to the end; the mode used, the
#     objects written, the time from create to Succeeded.
# Stored sizes are the run's JSON as the apiserver sends it (compact, as etcd
# holds it; `kubectl get -o json` indents it, which for a run of a thousand
# small steps adds half again).
#
#   bash hack/bench-size.sh
#   SIZES="60000 80000" SHAPES="1000/layered/1024" bash hack/bench-size.sh
#   SIZES= SHAPES="1000/fan/0/embedded 1000/fan/0/referenced" bash hack/bench-size.sh
#   SHAPE_TIMEOUT=40m: how long a big pipeline may take (default 20m)
#
# Starts the cluster when it is not up (and stops it again at the end).
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=${SIZES-"56000 64000 70000 74000 78000 86000 94000"}
shapes=${SHAPES:-"1000/layered/0 1000/layered/1024 2000/fan/0 1000/linear/0"}
wait=${WAIT:-90s}
. hack/bench-lib.sh
bench_setup bench-size
go build -o "$tmp/bigspec" ./hack/bigspec

echo "# $(date -u +%FT%TZ) $(nproc) cores; Tekton $(kubectl -n tekton-pipelines get configmap pipelines-info -o jsonpath='{.data.version}' 2>/dev/null)"
echo
if [ -n "$sizes" ]; then
	echo "## 1. one embedded run: 10 steps, each with a script of the given size"
	echo
	echo "| script bytes | sent (render -o json) | stored after Tekton's status | predicted by the budget | outcome |"
	echo "|---:|---:|---:|---:|:---|"
	for s in $sizes; do
		spec=$tmp/size-$s.yaml
		bigspec -steps 10 -shape linear -script-bytes "$s" -name "size-$s" >"$spec"
		sent=$(kubectl mlpipe render -f "$spec" --mode embedded -o json 2>/dev/null | wc -c)
		predicted=$(kubectl mlpipe validate -f "$spec" 2>&1 | sed -n 's/.*the run would be \([0-9.]* [KM]iB\).*/\1/p' | head -1)
		set +e
		out=$(kubectl mlpipe run -n "$ns" -f "$spec" --mode embedded -o name --wait --timeout "$wait" 2>"$tmp/err")
		code=$?
		set -e
		name=${out#pipelinerun.tekton.dev/}
		stored=$(kubectl get --raw "/apis/tekton.dev/v1/namespaces/$ns/pipelineruns/$name" 2>/dev/null | wc -c)
		case $code in
		0) outcome="Succeeded" ;;
		3) outcome="never ended (timed out after $wait): $(grep -o 'Tekton warns [^;]*' "$tmp/err" | tail -1 | cut -c1-160)" ;;
		*) outcome="exit $code: $(tail -1 "$tmp/err" | cut -c1-160)" ;;
		esac
		echo "| $s | $sent | $stored | ${predicted:-within budget} | $outcome |"
	done
fi
echo
echo "## 2. big pipelines"
echo
echo "| steps | shape | script bytes | mode | objects written | create (s) | create → Succeeded (s) | stored run (bytes) |"
echo "|---:|:---|---:|:---|:---|---:|---:|---:|"
for sh in $shapes; do
	IFS=/ read -r n shape sb want <<<"$sh"
	want=${want:-auto}
	spec=$tmp/big-$n-$shape-$sb.yaml
	bigspec -steps "$n" -shape "$shape" -width 100 -script-bytes "$sb" -name "big-$shape-$n" >"$spec"
	t0=$(date +%s.%N)
	set +e
	out=$(kubectl mlpipe run -n "$ns" -f "$spec" --mode "$want" -o name 2>"$tmp/err")
	code=$?
	set -e
	t1=$(date +%s.%N)
	if [ "$code" != 0 ]; then
		echo "| $n | $shape | $sb | - | run failed: $(tail -1 "$tmp/err" | cut -c1-160) | | | |"
		continue
	fi
	name=${out#pipelinerun.tekton.dev/}
	mode=embedded
	objects="1 PipelineRun"
	if grep -q "Referenced mode:" "$tmp/err" || [ "$want" = referenced ]; then
		mode=referenced
		objects=$(sed -n 's/.*Referenced mode: created \([0-9]*\) of \([0-9]*\) Tasks.*/\2 Tasks, 1 Pipeline, 1 PipelineRun/p' "$tmp/err")
	fi
	set +e
	kubectl mlpipe describe -n "$ns" "$name" -w --timeout "${SHAPE_TIMEOUT:-20m}" >/dev/null 2>"$tmp/werr"
	wcode=$?
	set -e
	t2=$(date +%s.%N)
	stored=$(kubectl get --raw "/apis/tekton.dev/v1/namespaces/$ns/pipelineruns/$name" | wc -c)
	result=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.0f", b - a }')
	[ "$wcode" = 0 ] || result="$result (exit $wcode: $(tail -1 "$tmp/werr" | cut -c1-120))"
	echo "| $n | $shape | $sb | $mode | $objects | $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') | $result | $stored |"
	kubectl mlpipe delete -n "$ns" "$name" --gc-grace=0s >/dev/null
done
