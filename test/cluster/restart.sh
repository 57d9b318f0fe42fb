#!/usr/bin/env bash
# restart.sh NAME [DOWN_SECONDS]: kill one running component of the local
# cluster (by the PID up.sh recorded), keep it down for DOWN_SECONDS, and start
# it again with the same command line, environment and log file. The fault
# tests use it to restart the kube-apiserver under a waiting client.
set -euo pipefail
DIR=${MLPIPE_CLUSTER_DIR:-/tmp/mlpipe-cluster}
PIDFILE=$DIR/pids
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

name=${1:?usage: restart.sh NAME [DOWN_SECONDS]}
down=${2:-0}
pid=$(awk -v n="$name" '$1 == n { print $2 }' "$PIDFILE" 2>/dev/null || true)
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || die "$name is not running (no live PID in $PIDFILE)"

mapfile -d '' argv <"/proc/$pid/cmdline"
mapfile -d '' envv <"/proc/$pid/environ"
cwd=$(readlink "/proc/$pid/cwd")

kill -KILL "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && die "$name (PID $pid) did not exit"
printf '%s killed (PID %s); down for %ss\n' "$name" "$pid" "$down" >&2
sleep "$down"

cd "$cwd"
setsid env -i "${envv[@]}" "${argv[@]}" </dev/null >>"$DIR/logs/$name.log" 2>&1 &
newpid=$!
# Record the new PID so that cluster-down stops it.
awk -v n="$name" -v p="$newpid" '$1 == n { $2 = p } { print }' "$PIDFILE" >"$PIDFILE.tmp" && mv "$PIDFILE.tmp" "$PIDFILE"
printf '%s started again (PID %s)\n' "$name" "$newpid" >&2

if [ "$name" = kube-apiserver ]; then
	for _ in $(seq 300); do
		if kubectl --kubeconfig "$DIR/kubeconfig" get --raw /readyz --request-timeout=2s >/dev/null 2>&1; then
			printf 'kube-apiserver is ready again\n' >&2
			exit 0
		fi
		kill -0 "$newpid" 2>/dev/null || die "kube-apiserver exited; see $DIR/logs/$name.log"
		sleep 0.2
	done
	die "kube-apiserver not ready 60s after the restart"
fi
