#!/usr/bin/env bash
# Measures `kubectl mlpipe run` on the local cluster (test/cluster), through
# real kubectl plugin discovery (hack/runperf):
#   - the requests one `run` sends, and its submit latency against
#     `kubectl create -f` of the same rendered YAML, timed alternately;
#   - N concurrent `run --wait`: requests each sends, and the lag from the
#     controller's update reaching a watcher to the view printing it.
# Starts the cluster when it is not up (and stops it again at the end).
#
#   bash hack/bench-run.sh
#   RUNS=50 CONCURRENT=20 bash hack/bench-run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-20}
concurrent=${CONCURRENT:-20}
. hack/bench-lib.sh
bench_setup bench
CGO_ENABLED=0 go build -o "$tmp/runperf" ./hack/runperf
kubectl -n "$ns" create secret generic s3-creds --from-literal=secret=not-a-real-secret >/dev/null

echo "# $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg); kubectl $(kubectl version --client -o json | sed -n 's/.*"gitVersion": "\(.*\)".*/\1/p' | head -1)"
echo
"$tmp/runperf" submit -n "$ns" -f examples/training.yaml -runs "$runs"
echo
# A fresh namespace, so the wait's informers start from an empty one.
kubectl delete namespace "$ns" --wait=false >/dev/null
ns=$ns-wait
kubectl create namespace "$ns" >/dev/null
kubectl -n "$ns" create secret generic s3-creds --from-literal=secret=not-a-real-secret >/dev/null
for _ in $(seq 50); do kubectl -n "$ns" get serviceaccount default >/dev/null 2>&1 && break; sleep 0.1; done
"$tmp/runperf" wait -n "$ns" -f examples/training.yaml -runs "$concurrent"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
