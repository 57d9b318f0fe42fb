#!/usr/bin/env bash
# Runs the built plugin the way users do: as `kubectl mlpipe`, found by
# kubectl's plugin discovery on PATH, with no kubeconfig at all.
set -euo pipefail
cd "$(dirname "$0")/.."
export KUBECONFIG=/nonexistent/kubeconfig
pass=0 fail=0
check() { # check NAME WANT_EXIT CMD...
	local name=$1 want=$2; shift 2
	local got=0
	"$@" >/tmp/mlpipe-cli.out 2>/tmp/mlpipe-cli.err || got=$?
	if [ "$got" = "$want" ]; then pass=$((pass+1)); else
		fail=$((fail+1)); echo "FAIL $name: exit $got, want $want"; cat /tmp/mlpipe-cli.err
	fi
}
command -v kubectl >/dev/null || { echo "kubectl is not on PATH"; exit 1; }
kubectl plugin list 2>/dev/null | grep -q kubectl-mlpipe || { echo "kubectl does not discover kubectl-mlpipe on PATH"; exit 1; }
check version 0 kubectl mlpipe version
for f in examples/*.yaml; do
	check "validate $f" 0 kubectl mlpipe validate -f "$f"
	check "render $f" 0 kubectl mlpipe render -f "$f"
	# The output is what `kubectl create -f -` takes: one PipelineRun per spec.
	kubectl mlpipe render -f "$f" | grep -q '^kind: PipelineRun$' || { fail=$((fail+1)); echo "FAIL render $f: no PipelineRun"; }
	check "render -o dot $f" 0 kubectl mlpipe render -f "$f" -o dot
	check "render --explain $f" 0 kubectl mlpipe render -f "$f" --explain
done
check "render from stdin" 0 bash -c 'kubectl mlpipe render -f - < examples/minimal.yaml'
check "invalid spec exits 2" 2 kubectl mlpipe render -f testdata/invalid
check "unknown param exits 2" 2 kubectl mlpipe render -f examples/minimal.yaml -p nope=1
check "bad flag exits 2" 2 kubectl mlpipe render --nope
check "schema" 0 kubectl mlpipe schema
check "a spec without -f exits 2" 2 kubectl mlpipe render examples/minimal.yaml
grep -q 'render reads specs with -f: kubectl mlpipe render -f examples/minimal.yaml' /tmp/mlpipe-cli.err ||
	{ fail=$((fail+1)); echo "FAIL a spec without -f: the message does not say to pass it with -f"; cat /tmp/mlpipe-cli.err; }
for f in examples/runnable/*.yaml; do
	check "validate $f" 0 kubectl mlpipe validate -f "$f"
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
