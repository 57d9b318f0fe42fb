# shellcheck shell=bash
# Real kubelet nodes of the local cluster (sourced by up.sh and down.sh after
# lib.sh). Each node is a kubelet and its own containerd, with runc and the CNI
# bridge plugin from Debian, all state under $DIR/nodes/NAME. The host is a
# guest's: what the kubelet or the runtime would change outside $DIR is either
# configured away (iptables chains, oom_score_adj, /run/containerd/runc) or
# recorded at start and put back at stop (sysctls, host paths it always writes,
# cgroups, the bridges). test/cluster/README.md says which pods run here.

# name:node-pool:index. real-gpu-1 carries the labels and taint of the simulated
# A100 node and advertises nvidia.com/gpu (no device: the code runs on the CPU).
REAL_NODE_LIST=(real-cpu-1:cpu:1 real-gpu-1:gpu:2)
REAL_GPU_COUNT=2
# Only runnable specs select and tolerate this, so a pod whose image exists
# nowhere (every example as users write it) never lands on a real node.
EXECUTOR_LABEL=mlpipe.dev/executor
EXECUTOR_VALUE=real

# Sysctls the kubelet sets when protectKernelDefaults is false (its default):
# saved at start, restored at stop.
KUBELET_SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes)
# Paths the kubelet, containerd's shim or libcni write whatever they are told.
HOST_PATHS=(/var/lib/kubelet /var/log/containers /var/log/pods /var/lib/cni /run/containerd)
HOST_STATE=$DIR/host-before   # what the host had before the real nodes started

node_field() { # node_field ENTRY N
	cut -d: -f"$2" <<<"$1"
}
node_dir() { echo "$DIR/nodes/$1"; }
node_ip() { echo "10.245.$1.1"; }           # on the node's own bridge; never routed off the VM
node_bridge() { echo "mlpipe-br$1"; }
node_kubelet_port() { echo $((PORT_BASE + 50 + 2 * $1)); }
node_healthz_port() { echo $((PORT_BASE + 51 + 2 * $1)); }
node_cgroup() { echo "mlpipe-$1"; }          # the kubelet's cgroupRoot, in every hierarchy
node_sock() { echo "$(node_dir "$1")/containerd.sock"; }

# egress-proxy routes: the apiserver reaches each kubelet at its node IP.
real_node_routes() {
	local e
	((REAL_NODES)) || return 0
	for e in "${REAL_NODE_LIST[@]}"; do
		local i
		i=$(node_field "$e" 3)
		printf -- '-route\n%s:%s=127.0.0.1:%s\n' "$(node_ip "$i")" "$(node_kubelet_port "$i")" "$(node_kubelet_port "$i")"
	done
}

real_node_ports() {
	local e i
	((REAL_NODES)) || return 0
	for e in "${REAL_NODE_LIST[@]}"; do
		i=$(node_field "$e" 3)
		echo "$(node_kubelet_port "$i") $(node_healthz_port "$i")"
	done
}

# save_host_state: what stop puts back. Written once, before anything changes.
save_host_state() {
	mkdir -p "$HOST_STATE"
	local s p
	for s in "${KUBELET_SYSCTLS[@]}"; do echo "$s=$(sysctl -n "$s")"; done >"$HOST_STATE/sysctls"
	for p in "${HOST_PATHS[@]}"; do [ -e "$p" ] && echo "$p"; done >"$HOST_STATE/paths" || true
}

# cgroup_dirs NAME: the node's cgroup root in every hierarchy that is mounted.
cgroup_dirs() {
	local h
	for h in /sys/fs/cgroup/*/; do
		[ -d "$h" ] && echo "${h%/}/$(node_cgroup "$1")"
	done
}

write_node_config() { # write_node_config NAME POOL INDEX
	local name=$1 pool=$2 i=$3 nd
	nd=$(node_dir "$name")
	mkdir -p "$nd"/{containerd/root,containerd/state,containerd/opt,containerd/tmp,runc,cni/net.d,cni/ipam,kubelet,pod-logs,volume-plugins}
	cat >"$nd/containerd.toml" <<EOF
version = 3
root = "$nd/containerd/root"
state = "$nd/containerd/state"
temp = "$nd/containerd/tmp"
disabled_plugins = ["io.containerd.nri.v1.nri", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$nd/containerd.sock"
[ttrpc]
  address = "$nd/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$nd/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  # kubectl exec/attach/port-forward streaming: loopback only.
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "$IMAGE_PAUSE"
[plugins."io.containerd.cri.v1.runtime"]
  # Root here lacks CAP_SYS_RESOURCE: a negative oom_score_adj is EPERM.
  restrict_oom_score_adj = true
  disable_apparmor = true
  enable_selinux = false
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = "$RUNC"
        Root = "$nd/runc"
        SystemdCgroup = false
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["$CNI_BIN_DIR"]
    conf_dir = "$nd/cni/net.d"
    max_conf_num = 1
EOF
	# A bridge of the node's own with no gateway, no NAT and no forwarding:
	# pods get an address and loopback, and no route off the machine.
	cat >"$nd/cni/net.d/10-mlpipe.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "mlpipe-$name",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$(node_bridge "$i")",
      "isGateway": false,
      "ipMasq": false,
      "hairpinMode": false,
      "ipam": {
        "type": "host-local",
        "dataDir": "$nd/cni/ipam",
        "ranges": [[{"subnet": "10.245.$i.0/24", "rangeStart": "10.245.$i.10", "rangeEnd": "10.245.$i.250"}]]
      }
    },
    {"type": "loopback"}
  ]
}
EOF
	echo "nameserver 127.0.0.1" >"$nd/resolv.conf"
	local taints="  - {key: $EXECUTOR_LABEL, value: $EXECUTOR_VALUE, effect: NoSchedule}"
	[ "$pool" = gpu ] && taints+=$'\n'"  - {key: nvidia.com/gpu, value: present, effect: NoSchedule}"
	cat >"$nd/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $(node_kubelet_port "$i")
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $(node_healthz_port "$i")
enableServer: true
enableDebuggingHandlers: true
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $DIR/pki/ca.crt}
authorization: {mode: AlwaysAllow}
tlsCertFile: $nd/kubelet-serving.crt
tlsPrivateKeyFile: $nd/kubelet-serving.key
containerRuntimeEndpoint: unix://$nd/containerd.sock
imageServiceEndpoint: unix://$nd/containerd.sock
# This machine: cgroup v1, root without CAP_SYS_RESOURCE, a shared host.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$(node_cgroup "$name")
oomScoreAdj: 0
makeIPTablesUtilChains: false
failSwapOn: false
podLogsDir: $nd/pod-logs
volumePluginDir: $nd/volume-plugins
resolvConf: $nd/resolv.conf
clusterDNS: [127.0.0.1]
clusterDomain: cluster.local
# The images are imported, never pulled: never collect them, never evict for disk.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {}
enableControllerAttachDetach: false
registerNode: true
registerWithTaints:
$taints
maxPods: 50
serializeImagePulls: false
EOF
}

# node_certs NAME INDEX: the kubelet's client (system:node:NAME) and serving certificates.
node_certs() {
	local name=$1 i=$2 nd
	nd=$(node_dir "$name")
	(
		cd "$DIR/pki"
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$nd/kubelet-client.key" 2>/dev/null
		openssl req -new -key "$nd/kubelet-client.key" -subj "/O=system:nodes/CN=system:node:$name" -out "$nd/c.csr" 2>/dev/null
		printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >"$nd/c.ext"
		openssl x509 -req -in "$nd/c.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile "$nd/c.ext" -out "$nd/kubelet-client.crt" 2>/dev/null
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$nd/kubelet-serving.key" 2>/dev/null
		openssl req -new -key "$nd/kubelet-serving.key" -subj "/CN=$name" -out "$nd/s.csr" 2>/dev/null
		printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:%s,IP:127.0.0.1,DNS:%s\n' "$(node_ip "$i")" "$name" >"$nd/s.ext"
		openssl x509 -req -in "$nd/s.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile "$nd/s.ext" -out "$nd/kubelet-serving.crt" 2>/dev/null
		rm -f "$nd"/{c,s}.{csr,ext}
		chmod 600 "$nd"/*.key
	)
	cat >"$nd/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: mlpipe-local
  cluster: {server: "https://127.0.0.1:$PORT_APISERVER", certificate-authority: "$DIR/pki/ca.crt"}
users:
- name: $name
  user: {client-certificate: "$nd/kubelet-client.crt", client-key: "$nd/kubelet-client.key"}
contexts:
- name: node
  context: {cluster: mlpipe-local, user: $name}
current-context: node
EOF
	chmod 600 "$nd/kubeconfig"
}

# start_containerds: one containerd per real node, then the images imported
# into each (in parallel across nodes).
start_containerds() {
	local e name i nd
	save_host_state
	for e in "${REAL_NODE_LIST[@]}"; do
		name=$(node_field "$e" 1) i=$(node_field "$e" 3)
		nd=$(node_dir "$name")
		write_node_config "$name" "$(node_field "$e" 2)" "$i"
		# The node's bridge and address (the kubelet refuses a loopback node IP).
		local br
		br=$(node_bridge "$i")
		ip link show "$br" >/dev/null 2>&1 && die "network interface $br exists already (another cluster, or a stop that failed: make cluster-down)"
		ip link add "$br" type bridge && ip addr add "$(node_ip "$i")/24" dev "$br" && ip link set "$br" up ||
			die "cannot create bridge $br (needs root and CAP_NET_ADMIN; MLPIPE_CLUSTER_REAL_NODES=0 for a KWOK-only cluster)"
		echo "$br" >>"$HOST_STATE/bridges"
		local cg
		while read -r cg; do mkdir -p "$cg" && echo "$cg" >>"$HOST_STATE/cgroups"; done < <(cgroup_dirs "$name")
		# Any pull that does happen (an image nobody built) fails here: the
		# proxy refuses everything but loopback, and logs it.
		start "containerd-$name" "${no_egress[@]}" PATH="$CONTAINERD_BIN:$PATH" \
			"$CONTAINERD_BIN/containerd" --config "$nd/containerd.toml" --log-level warn
	done
	local pids=()
	for e in "${REAL_NODE_LIST[@]}"; do
		name=$(node_field "$e" 1)
		wait_for "containerd of $name is serving" 30 "containerd-$name" \
			"$CONTAINERD_BIN/ctr" --address "$(node_sock "$name")" version
		(
			for img in "${IMAGES[@]}"; do
				"$CONTAINERD_BIN/ctr" --address "$(node_sock "$name")" -n k8s.io images import \
					--platform linux/amd64 "$IMAGES_DIR/$img.tar" >/dev/null 2>>"$DIR/logs/ctr-$name.log" || exit 1
			done
		) &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || die "importing images into a real node's containerd failed (logs: $DIR/logs)"; done
	step "imported ${#IMAGES[@]} images into ${#REAL_NODE_LIST[@]} containerds"
}

start_kubelets() {
	local e name pool i nd labels
	for e in "${REAL_NODE_LIST[@]}"; do
		name=$(node_field "$e" 1) pool=$(node_field "$e" 2) i=$(node_field "$e" 3)
		nd=$(node_dir "$name")
		node_certs "$name" "$i"
		labels="node-pool=$pool,$EXECUTOR_LABEL=$EXECUTOR_VALUE,type=real"
		[ "$pool" = gpu ] && labels+=",accelerator=nvidia-tesla-a100"
		start "kubelet-$name" "${no_egress[@]}" "$K8S_BIN/kubelet" --config "$nd/kubelet.yaml" \
			--kubeconfig "$nd/kubeconfig" --root-dir "$nd/kubelet" --cert-dir "$nd/kubelet/pki" \
			--hostname-override "$name" --node-ip "$(node_ip "$i")" --node-labels "$labels" --v 1
	done
}

# real_nodes_ready: both Nodes registered and Ready; then the GPU node
# advertises nvidia.com/gpu as a device plugin would.
real_nodes_ready() {
	local e name
	for e in "${REAL_NODE_LIST[@]}"; do
		name=$(node_field "$e" 1)
		wait_for "real node $name is Ready" 60 "kubelet-$name" kc wait --for condition=Ready --timeout 1s "node/$name"
		if [ "$(node_field "$e" 2)" = gpu ]; then
			kc patch node "$name" --subresource status --type merge \
				-p "{\"status\":{\"capacity\":{\"nvidia.com/gpu\":\"$REAL_GPU_COUNT\"},\"allocatable\":{\"nvidia.com/gpu\":\"$REAL_GPU_COUNT\"}}}" >/dev/null
		fi
	done
}

# stop_real_nodes: after the kubelets have stopped, remove every pod sandbox
# through the CRI (the runtime tears down their networks and mounts), stop
# the containerds, then undo what is left on the host. Safe to run twice.
stop_real_nodes() {
	local e name sock
	for e in "${REAL_NODE_LIST[@]}"; do
		name=$(node_field "$e" 1)
		stop 20 "kubelet-$name"
	done
	for e in "${REAL_NODE_LIST[@]}"; do
		name=$(node_field "$e" 1) sock=$(node_sock "$name")
		if [ -S "$sock" ]; then
			"$LOCAL_TOOLS/cri-clean" -endpoint "$sock" -timeout 60s || log "  cri-clean of $name failed; unmounting by hand"
		fi
		stop 10 "containerd-$name"
	done
	# Shims exit with their last container; one that outlived its containerd
	# is ours if it is our binary and was given our node's socket.
	local pid exe
	for pid in $(ls /proc | grep -E '^[0-9]+$'); do
		exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
		[ "${exe% (deleted)}" = "$CONTAINERD_BIN/containerd-shim-runc-v2" ] || continue
		if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "-address $DIR/nodes/"; then kill -KILL "$pid" 2>/dev/null || true; fi
	done
	restore_host
}

# restore_host: mounts, bridges, cgroups, host paths and sysctls back as they were.
restore_host() {
	[ -d "$HOST_STATE" ] || return 0
	local m tries
	for tries in 1 2 3; do
		mapfile -t mounts < <(findmnt -rn -o TARGET | awk -v d="$DIR/" 'index($0, d) == 1' | sort -r)
		((${#mounts[@]})) || break
		for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
	done
	local br veth
	if [ -f "$HOST_STATE/bridges" ]; then
		while read -r br; do
			for veth in $(ip -o link show master "$br" 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
				ip link del "$veth" 2>/dev/null || true
			done
			ip link del "$br" 2>/dev/null || true
		done <"$HOST_STATE/bridges"
	fi
	local cg
	if [ -f "$HOST_STATE/cgroups" ]; then
		while read -r cg; do
			[ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
			[ -d "$cg" ] && log "  cgroup $cg is still in use; left in place"
		done <"$HOST_STATE/cgroups"
	fi
	local p
	for p in "${HOST_PATHS[@]}"; do
		grep -qxF "$p" "$HOST_STATE/paths" 2>/dev/null || rm -rf "$p"
	done
	local kv
	if [ -f "$HOST_STATE/sysctls" ]; then
		while read -r kv; do
			[ "$(sysctl -n "${kv%%=*}")" = "${kv#*=}" ] || sysctl -q -w "$kv" >/dev/null || log "  could not restore sysctl $kv"
		done <"$HOST_STATE/sysctls"
	fi
	rm -rf "$HOST_STATE"
}
