#!/usr/bin/env bash
# Reports whether the local e2e control plane is up: every recorded process
# running, the apiserver ready, nodes and Tekton. Exit 0 when healthy.
#   status.sh --quiet   no output, exit status only
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
quiet=0
[ "${1:-}" = --quiet ] && quiet=1
say() { ((quiet)) || printf '%s\n' "$*"; }

if [ ! -f "$PIDFILE" ]; then
	say "cluster is down (no $PIDFILE)"
	exit 1
fi
ok=1
while read -r name pid bin; do
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null)
	if [ "${exe% (deleted)}" = "$bin" ]; then
		rss=$(awk '/^VmRSS/ { printf "%d MiB", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null)
		say "$(printf '  %-24s pid %-7s running  %s' "$name" "$pid" "$rss")"
	else
		say "$(printf '  %-24s pid %-7s NOT RUNNING (log: %s)' "$name" "$pid" "$DIR/logs/$name.log")"
		ok=0
	fi
done <"$PIDFILE"
if ((ok)); then
	total=$(awk '{ print $2 }' "$PIDFILE" | while read -r pid; do awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"; done | awk '{ s += $1 } END { printf "%d MiB", s / 1024 }')
	say "  resident memory of the stack: $total"
fi
if ! curl -fsS --max-time 2 --cacert "$DIR/pki/ca.crt" --cert "$DIR/pki/admin.crt" --key "$DIR/pki/admin.key" \
	"https://127.0.0.1:$PORT_APISERVER/readyz" >/dev/null 2>&1; then
	say "  kube-apiserver: not ready"
	ok=0
fi
if ((ok)) && ((!quiet)); then
	echo
	# Real nodes show their kubelet and containerd; simulated ones KWOK's.
	kubectl --kubeconfig "$KUBECONFIG_PATH" get nodes \
		-o custom-columns='NAME:.metadata.name,READY:.status.conditions[?(@.type=="Ready")].status,POOL:.metadata.labels.node-pool,ACCELERATOR:.metadata.labels.accelerator,GPU:.status.allocatable.nvidia\.com/gpu,KUBELET:.status.nodeInfo.kubeletVersion,RUNTIME:.status.nodeInfo.containerRuntimeVersion,IP:.status.addresses[?(@.type=="InternalIP")].address' 2>&1 | sed 's/^/  /'
	echo
	# The release cluster-up started (MLPIPE_TEKTON_VERSION), as its pipelines-info ConfigMap says.
	info=$(kubectl --kubeconfig "$KUBECONFIG_PATH" get configmap pipelines-info -n tekton-pipelines -o jsonpath='{.data.version}' 2>&1)
	if [ -f "$TEKTON_STATE" ]; then
		echo "  Tekton: $info (PipelineRuns stored as $(awk '$1 == "pipelineruns" { print $2 }' "$TEKTON_STATE"))"
	else
		echo "  Tekton: $info"
	fi
	echo "  export KUBECONFIG=$KUBECONFIG_PATH"
fi
((ok)) || { say "cluster is not healthy"; exit 1; }
