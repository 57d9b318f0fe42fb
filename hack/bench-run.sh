#!/usr/bin/env bash
# Measures `kubectl mlpipe run` on the local cluster (test/cluster), through
# real kubectl plugin discovery (hack/runperf):
#   - the requests one `run` sends, and its submit latency against
#     `kubectl create -f` of the same rendered YAML, timed alternately;
#   - N concurrent `run --wait`: requests each sends, and the lag from the
#     controller's update reaching a watcher to the view printing it; the
#     apiserver's CPU time and the requests it served meanwhile.
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
# What the apiserver spent while the waits ran: its CPU time (from /proc) and
# the requests it served by verb (its own apiserver_request_total counter;
# every client counts, Tekton's controller and the kubelets included).
apiserver=$(awk '$1 == "kube-apiserver" { print $2 }' "${MLPIPE_CLUSTER_DIR:-/tmp/mlpipe-cluster}/pids")
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$apiserver/stat"; }
requests_by_verb() {
	kubectl get --raw /metrics | awk '/^apiserver_request_total\{/ {
		match($0, /verb="[A-Z]+"/); v = substr($0, RSTART + 6, RLENGTH - 7); n[v] += $NF
	} END { for (v in n) print v, n[v] }' | sort
}
c0=$(cpu_ticks) r0=$(requests_by_verb) t0=$(date +%s%N)
wait_code=0
"$tmp/runperf" wait -n "$ns" -f examples/training.yaml -runs "$concurrent" || wait_code=$?
c1=$(cpu_ticks) r1=$(requests_by_verb) t1=$(date +%s%N)
hz=$(getconf CLK_TCK)
echo
echo "kube-apiserver while the $concurrent waits ran: $(awk -v c="$((c1 - c0))" -v hz="$hz" -v t="$(((t1 - t0) / 1000000))" 'BEGIN { printf "%.1f CPU-seconds in %.1f s (%.2f cores on average)", c / hz, t / 1000, c / hz / (t / 1000) }'); requests served, by verb: $(join -a2 -e 0 -o 0,1.2,2.2 <(echo "$r0") <(echo "$r1") | awk '{ printf "%s%s %d", sep, $1, $3 - $2; sep = ", " }')"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$wait_code"
