#!/usr/bin/env bash
# What the local cluster could leave behind on the host, as text to compare:
# processes of ours, mounts, network links, addresses and routes, cgroups at
# the top of every hierarchy, firewall rules, the sysctls the kubelet touches,
# and the host paths the kubelet and containerd write whatever they are told.
#
#   hostcheck.sh snapshot FILE   write the host's state to FILE
#   hostcheck.sh compare FILE    exit 1 and print the difference if it changed
#
# The e2e suite snapshots before it starts the cluster and compares after
# cluster-down (test/e2e/main_test.go).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=realnodes.sh
source "$(dirname "$0")/realnodes.sh"

state() {
	echo "## processes of the cluster (binaries from $CACHE, or in a node's cgroup)"
	local pid exe
	for pid in $(ls /proc | grep -E '^[0-9]+$'); do
		exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
		if [[ $exe == "$CACHE"/* ]] || grep -q ':/mlpipe-' "/proc/$pid/cgroup" 2>/dev/null; then
			echo "$(basename "${exe% (deleted)}")"
		fi
	done | sort
	echo "## mounts"
	findmnt -rn -o TARGET,FSTYPE | sort
	echo "## links"
	ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort
	echo "## addresses"
	ip -o addr show | awk '{ print $2, $3, $4 }' | sort
	echo "## routes"
	ip route show table all 2>/dev/null | grep -v '^local\|^broadcast\|^multicast' | sort || true
	echo "## cgroups"
	ls -d /sys/fs/cgroup/*/*/ 2>/dev/null | sort
	echo "## iptables"
	if command -v iptables-save >/dev/null; then iptables-save 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//' || true; fi
	echo "## nftables"
	if command -v nft >/dev/null; then nft list ruleset 2>/dev/null || true; fi
	echo "## sysctls"
	local s
	for s in "${KUBELET_SYSCTLS[@]}" net.ipv4.ip_forward; do echo "$s=$(sysctl -n "$s" 2>/dev/null)"; done
	echo "## host paths"
	local p
	for p in "${HOST_PATHS[@]}"; do
		if [ -e "$p" ]; then echo "$p exists"; else echo "$p absent"; fi
	done
}

case "${1:-}" in
snapshot) state >"$2" ;;
compare)
	now=$(mktemp)
	trap 'rm -f "$now"' EXIT
	state >"$now"
	if ! diff -u --label before --label after "$2" "$now"; then
		echo "hostcheck: the host is not as it was before the cluster started (diff above)" >&2
		exit 1
	fi
	echo "hostcheck: the host is as it was before the cluster started" >&2
	;;
*)
	echo "usage: $0 snapshot|compare FILE" >&2
	exit 2
	;;
esac
