#!/usr/bin/env bash
# Measures `kubectl mlpipe doctor` on the local cluster (test/cluster), through
# real kubectl plugin discovery, against kubectl reading the same objects:
#   doctor          the cluster checks (no spec)
#   doctor -f SPEC  the cluster checks and examples/training.yaml's
#   doctor-direct   doctor as the binary kubectl-mlpipe, without kubectl's plugin dispatch
#   kubectl (same reads)        one kubectl per read doctor makes, in turn, as
#                               a script would: tekton.dev discovery (v1,
#                               v1beta1), the two ConfigMaps, the Deployments,
#                               the namespace, three `auth can-i`
#   kubectl (same reads, -f)    the above, and the nodes, the ServiceAccount
#                               and the Secret the spec names
#   kubectl get nodes,deployments,configmaps -A   one kubectl, one read per type
# Rounds alternate between the commands, so load falls on each alike; the
# figures are medians (and p90) over RUNS rounds after 2 warm-up rounds.
# Starts the cluster when it is not up (and stops it again at the end).
#
#   bash hack/bench-doctor.sh
#   RUNS=40 bash hack/bench-doctor.sh
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-20}
. hack/bench-lib.sh
bench_setup bench-doctor
kubectl -n "$ns" create secret generic s3-creds --from-literal=secret=not-a-real-secret >/dev/null
spec=examples/training.yaml

same_reads() {
	kubectl get --raw /apis/tekton.dev/v1 >/dev/null
	kubectl get --raw /apis/tekton.dev/v1beta1 >/dev/null
	kubectl -n tekton-pipelines get configmap pipelines-info feature-flags -o name >/dev/null
	kubectl -n tekton-pipelines get deployments -o name >/dev/null
	kubectl get namespace "$ns" -o name >/dev/null
	kubectl auth can-i create pipelineruns.tekton.dev -n "$ns" >/dev/null
	kubectl auth can-i watch pipelineruns.tekton.dev -n "$ns" >/dev/null
	kubectl auth can-i get pods --subresource=log -n "$ns" >/dev/null
}
same_reads_spec() {
	same_reads
	kubectl get nodes -o name >/dev/null
	kubectl -n "$ns" get serviceaccount/default secret/s3-creds -o name >/dev/null
}
names=(doctor doctor-f doctor-direct kubectl-same kubectl-same-f kubectl-get)
run() {
	case $1 in
	doctor) kubectl mlpipe doctor -n "$ns" >/dev/null ;;
	doctor-f) kubectl mlpipe doctor -n "$ns" -f "$spec" >/dev/null 2>&1 || true ;;
	doctor-direct) kubectl-mlpipe doctor -n "$ns" >/dev/null ;;
	kubectl-same) same_reads ;;
	kubectl-same-f) same_reads_spec ;;
	kubectl-get) kubectl get nodes,deployments,configmaps -A -o name >/dev/null ;;
	esac
}
ms() { echo $(($(date +%s%N) / 1000)); }

echo "# $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg); kubectl $(kubectl version --client -o json | sed -n 's/.*"gitVersion": "\(.*\)".*/\1/p' | head -1)"
echo "# requests sent by doctor: $(kubectl mlpipe doctor -n "$ns" -v=6 2>&1 >/dev/null | grep -c '"Response"') without a spec, $(kubectl mlpipe doctor -n "$ns" -f "$spec" -v=6 2>&1 >/dev/null | grep -c '"Response"') with -f $spec"
for round in $(seq $((runs + 2))); do
	for n in "${names[@]}"; do
		a=$(ms)
		run "$n"
		b=$(ms)
		((round > 2)) && echo "$n $(((b - a)))" >>"$tmp/times"
	done
done
stat() { # stat NAME: median and p90 in ms
	awk -v n="$1" '$1 == n { print $2 / 1000 }' "$tmp/times" | sort -n |
		awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; p = v[int(NR * 0.9 + 0.5)]; printf "%.1f %.1f\n", m, p }'
}
printf '%-16s %10s %10s\n' command "median ms" "p90 ms"
for n in "${names[@]}"; do
	read -r m p < <(stat "$n")
	printf '%-16s %10s %10s\n' "$n" "$m" "$p"
	eval "med_${n//-/_}=$m"
done
# shellcheck disable=SC2154 # set by eval above
awk -v d="$med_doctor" -v df="$med_doctor_f" -v s="$med_kubectl_same" -v sf="$med_kubectl_same_f" -v g="$med_kubectl_get" 'BEGIN {
	printf "ratio doctor / kubectl (same reads):        %.2f\n", d / s
	printf "ratio doctor -f / kubectl (same reads, -f): %.2f\n", df / sf
	printf "ratio doctor / kubectl get nodes,deployments,configmaps -A:    %.2f\n", d / g
	printf "ratio doctor -f / kubectl get nodes,deployments,configmaps -A: %.2f\n", df / g
}'
