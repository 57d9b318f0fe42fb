#!/usr/bin/env bash
# Stops the local e2e control plane: exactly the PIDs recorded in
# $MLPIPE_CLUSTER_DIR/pids (each checked to still be the binary that was
# started, so a recycled PID is never signalled), undoes what the real nodes
# changed on the host (realnodes.sh), then removes the cluster's temporary data
# (etcd, PKI, logs, kubeconfig, volumes). Safe to run when nothing is up.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=realnodes.sh
source "$(dirname "$0")/realnodes.sh"

# ours PID BINARY: the process still runs and is the binary we started.
ours() {
	local exe
	exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
	[ "${exe% (deleted)}" = "$2" ]
}

# stop GRACE NAME...: SIGTERM the named processes (those still ours), wait up
# to GRACE seconds for them to exit, then SIGKILL what is left.
stop() {
	local grace=$1 name pid bin entry
	shift
	local targets=()
	for name in "$@"; do
		while read -r n pid bin; do
			[ "$n" = "$name" ] || continue
			if ours "$pid" "$bin" && kill -TERM "$pid" 2>/dev/null; then targets+=("$name $pid $bin"); fi
		done <"$PIDFILE"
	done
	((${#targets[@]})) || return 0
	log "stopping $(printf '%s\n' "${targets[@]}" | awk '{ printf "%s(%s) ", $1, $2 }')"
	local deadline=$((SECONDS + grace))
	for entry in "${targets[@]}"; do
		read -r name pid bin <<<"$entry"
		while ours "$pid" "$bin" && ((SECONDS < deadline)); do sleep 0.1; done
		if ours "$pid" "$bin"; then
			log "  $name ($pid) still running ${grace}s after SIGTERM; sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
}

lock_cluster
# The real nodes first: kubelets, then every pod through the CRI, then their
# containerds and what they left on the host (mounts, bridges, cgroups, paths, sysctls).
if [ -f "$PIDFILE" ] || [ -d "$HOST_STATE" ]; then
	[ -f "$PIDFILE" ] || : >"$PIDFILE"
	stop_real_nodes
fi
if [ -f "$PIDFILE" ]; then
	# Clients first, then the apiserver, then etcd and the proxy. knative's
	# webhook drains for 45s after SIGTERM (pointless here: no load balancer),
	# so it gets SIGKILL after the grace period.
	grace=${MLPIPE_CLUSTER_STOP_GRACE:-3}
	known="tekton-webhook tekton-controller kwok kube-scheduler kube-controller-manager kube-apiserver etcd egress-proxy"
	# shellcheck disable=SC2046 # word splitting of the name lists is intended
	stop "$grace" tekton-webhook tekton-controller kwok kube-scheduler kube-controller-manager \
		$(awk -v known=" $known " 'index(known, " " $1 " ") == 0 { print $1 }' "$PIDFILE")
	stop 10 kube-apiserver
	stop 10 etcd egress-proxy
fi

if [ -f "$MARKER" ] && findmnt -rn -o TARGET | grep -q "^$DIR/"; then
	findmnt -rn -o TARGET | grep "^$DIR/" >&2
	die "mounts under $DIR are still in place (above); not removing it"
fi
if [ -f "$MARKER" ]; then
	if [ -n "${MLPIPE_CLUSTER_KEEP_LOGS:-}" ]; then
		find "$DIR" -mindepth 1 -maxdepth 1 ! -name logs ! -name .mlpipe-cluster -exec rm -rf {} +
		log "cluster stopped; logs kept in $DIR/logs"
	else
		rm -rf "$DIR"
		log "cluster stopped; removed $DIR"
	fi
elif [ -e "$DIR" ]; then
	log "$DIR was not made by cluster-up; leaving it alone"
else
	log "no cluster state in $DIR; nothing to stop"
fi
