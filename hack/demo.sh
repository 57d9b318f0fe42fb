#!/usr/bin/env bash
# The main job: bring the local cluster up if needed, run a pipeline whose
# steps really compute (examples/runnable/tiny-regression.yaml, on the real
# kubelet nodes) with `kubectl mlpipe run --wait` through kubectl plugin
# discovery, following it to its end, then describe it (its computed
# outputs), print every step's logs and show which node each step ran on.
# With MLPIPE_CLUSTER_REAL_NODES=0 (simulated nodes only) it runs the
# training example instead, whose steps KWOK simulates.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${MLPIPE_CLUSTER_REAL_NODES:-1}" = 0 ]; then
	EXAMPLE=${EXAMPLE:-examples/training.yaml}
	RUN_ARGS=(-p deploy=true)
else
	EXAMPLE=${EXAMPLE:-examples/runnable/tiny-regression.yaml}
	RUN_ARGS=()
fi
export PATH="$PWD/bin:$PATH"
if [ -t 2 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
say() { printf '\n%s# %s%s\n' "$bold" "$*" "$plain" >&2; }

say "starting the local control plane (make cluster-up; a cold machine builds it first, ~12-20 min)"
eval "$(make -s --no-print-directory cluster-up)"
ns=mlpipe-demo
kubectl get namespace "$ns" >/dev/null 2>&1 || kubectl create namespace "$ns" >/dev/null
kubectl -n "$ns" get secret s3-creds >/dev/null 2>&1 ||
	kubectl -n "$ns" create secret generic s3-creds --from-literal=id=demo --from-literal=secret=demo >/dev/null
for i in $(seq 50); do kubectl -n "$ns" get serviceaccount default >/dev/null 2>&1 && break; sleep 0.2; done

say "kubectl mlpipe validate -f $EXAMPLE"
kubectl mlpipe validate -f "$EXAMPLE"
say "kubectl mlpipe render -f $EXAMPLE -o mermaid"
kubectl mlpipe render -f "$EXAMPLE" -o mermaid
say "kubectl mlpipe run -n $ns -f $EXAMPLE ${RUN_ARGS[*]} --wait"
out=$(kubectl mlpipe run -n "$ns" -f "$EXAMPLE" "${RUN_ARGS[@]}" --wait | tee /dev/stderr)
run=${out#pipelinerun.tekton.dev/}
run=${run%% *}
say "kubectl mlpipe describe $run -n $ns"
kubectl mlpipe describe "$run" -n "$ns"
say "kubectl mlpipe logs $run -n $ns"
kubectl mlpipe logs "$run" -n "$ns"
say "where each step ran"
kubectl -n "$ns" get pods -l "tekton.dev/pipelineRun=$run" \
	-o custom-columns='STEP:.metadata.labels.mlpipe\.dev/step,NODE:.spec.nodeName' --sort-by=.status.startTime
echo >&2
kubectl get nodes -L node-pool,accelerator,mlpipe.dev/executor >&2
say "the cluster stays up; stop it with: make cluster-down"
