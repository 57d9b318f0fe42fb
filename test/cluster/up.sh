#!/usr/bin/env bash
# Starts the local e2e control plane as plain processes on 127.0.0.1: etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler, KWOK (simulated
# nodes and pods), the egress proxy, and the Tekton Pipelines controller and
# webhook (MLPIPE_TEKTON_VERSION picks another release than the default).
# Binaries come from test/cluster/build.sh (built first if missing).
# Every PID goes to $MLPIPE_CLUSTER_DIR/pids; test/cluster/down.sh stops
# exactly those. Running it on a cluster that is up says so and exits 0.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=realnodes.sh
source "$(dirname "$0")/realnodes.sh"

T0=$(date +%s.%N)
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%5.1fs", b - a }'; }
step() { log "[$(elapsed)] $*"; }

for tool in kubectl openssl curl; do
	command -v "$tool" >/dev/null || die "$tool is not on PATH"
done

check_tekton_release
lock_cluster

# --- already up? ----------------------------------------------------------------
if [ -f "$PIDFILE" ]; then
	if "$CLUSTER_SRC/status.sh" --quiet; then
		running=$(awk '$1 == "version" { print $2 }' "$TEKTON_STATE" 2>/dev/null)
		running=${running:-$TEKTON_DEFAULT_VERSION}
		[ "$running" = "$TEKTON_VERSION" ] ||
			die "the cluster in $DIR runs Tekton $running, not $TEKTON_VERSION: stop it first (make cluster-down) or set MLPIPE_CLUSTER_DIR and MLPIPE_CLUSTER_PORT_BASE for a second cluster"
		log "cluster already up (state in $DIR)"
		echo "export KUBECONFIG=$KUBECONFIG_PATH"
		exit 0
	fi
	log "found a cluster in $DIR that is not healthy; stopping it first"
	"$CLUSTER_SRC/down.sh"
fi
if [ -e "$DIR" ] && [ ! -f "$MARKER" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
	die "$DIR exists and was not made by cluster-up; set MLPIPE_CLUSTER_DIR to another folder"
fi

# --- binaries -------------------------------------------------------------------
# build.sh checks every binary against its inputs (~0.1 s when all are
# current) and builds what is missing or stale (cold: 11-20 minutes).
missing=0
while read -r b; do [ -x "$b" ] || missing=1; done < <(required_binaries)
((missing)) && log "some cluster binaries are not built yet; building them (cold: 11-20 minutes)"
MLPIPE_CLUSTER_BUILD_QUIET=1 "$CLUSTER_SRC/build.sh"
T0=$(date +%s.%N)
if [ "$TEKTON_VERSION" != "$TEKTON_DEFAULT_VERSION" ]; then
	log "Tekton Pipelines $TEKTON_VERSION (MLPIPE_TEKTON_VERSION; the default is $TEKTON_DEFAULT_VERSION): simulated nodes only"
fi

# Refuse to start when one of our ports is taken (another cluster, another user).
for p in $PORT_ETCD_CLIENT $PORT_ETCD_PEER $PORT_APISERVER $PORT_EGRESS $PORT_KCM $PORT_SCHEDULER $PORT_KWOK \
	$PORT_CTRL_PROBES $PORT_CTRL_HEALTH $PORT_CTRL_PROFILING $PORT_CTRL_METRICS \
	$PORT_WH_HTTPS $PORT_WH_PROBES $PORT_WH_HEALTH $PORT_WH_PROFILING $PORT_WH_METRICS $(real_node_ports); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		die "127.0.0.1:$p is in use; set MLPIPE_CLUSTER_PORT_BASE to move the cluster's ports"
	fi
done

mkdir -p "$DIR"/{pki,logs,kwok}
mkdir -p "$DIR/etcd" && chmod 700 "$DIR/etcd"
chmod 700 "$DIR"
touch "$MARKER"
: >"$PIDFILE"
STARTED=0
on_exit() {
	local rc=$?
	if ((rc != 0 && STARTED)); then
		log "cluster-up failed; logs are in $DIR/logs. Stopping what was started."
		tail -n 5 "$DIR"/logs/*.log >&2 2>/dev/null || true
		MLPIPE_CLUSTER_KEEP_LOGS=1 "$CLUSTER_SRC/down.sh" || true
	fi
}
trap on_exit EXIT

# --- PKI --------------------------------------------------------------------------
PKI=$DIR/pki
step "generating PKI in $PKI"
(
	cd "$PKI"
	key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
	# cert NAME SUBJECT EXT: a certificate signed by the CA
	cert() {
		key "$1"
		openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
		printf '%s\n' "$3" >"$1.ext"
		openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
			-extfile "$1.ext" -out "$1.crt" 2>/dev/null
		rm -f "$1.csr" "$1.ext"
	}
	key ca
	openssl req -x509 -new -key ca.key -subj "/CN=mlpipe-local-cluster-ca" -days 30 \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out ca.crt 2>/dev/null
	serving="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth"
	client="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
	cert apiserver "/CN=kube-apiserver" "$serving
subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
	cert kwok-serving "/CN=kwok" "$serving
subjectAltName=IP:127.0.0.1,DNS:localhost"
	cert admin "/O=system:masters/CN=mlpipe-admin" "$client"
	cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client"
	cert front-proxy-client "/CN=front-proxy-client" "$client"
	cert kube-controller-manager "/CN=system:kube-controller-manager" "$client"
	cert kube-scheduler "/CN=system:kube-scheduler" "$client"
	key sa
	openssl pkey -in sa.key -pubout -out sa.pub 2>/dev/null
	chmod 600 ./*.key
)

SERVER=https://127.0.0.1:$PORT_APISERVER
b64() { base64 -w0 <"$1"; }
# kubeconfig FILE USER: credentials embedded, so the file can be copied anywhere.
kubeconfig() {
	cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: mlpipe-local
  cluster:
    server: $SERVER
    certificate-authority-data: $(b64 "$PKI/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(b64 "$PKI/$2.crt")
    client-key-data: $(b64 "$PKI/$2.key")
contexts:
- name: mlpipe-local
  context:
    cluster: mlpipe-local
    user: $2
    namespace: default
current-context: mlpipe-local
EOF
	chmod 600 "$1"
}
kubeconfig "$KUBECONFIG_PATH" admin
kubeconfig "$DIR/kube-controller-manager.kubeconfig" kube-controller-manager
kubeconfig "$DIR/kube-scheduler.kubeconfig" kube-scheduler
export KUBECONFIG=$KUBECONFIG_PATH
kc() { kubectl --kubeconfig "$KUBECONFIG_PATH" "$@"; }

# start NAME [VAR=VALUE...] BINARY ARGS...: runs BINARY detached (own session,
# stdin closed, output to logs/NAME.log) and records "NAME PID BINARY" in the pidfile.
start() {
	local name=$1 envs=()
	shift
	while [[ $1 == *=* ]]; do envs+=("$1"); shift; done
	local bin=$1
	shift
	# 8>&-: the daemons must not inherit the cluster lock (see lock_cluster).
	setsid env "${envs[@]}" "$bin" "$@" </dev/null >"$DIR/logs/$name.log" 2>&1 8>&- &
	echo "$name $! $(readlink -f "$bin")" >>"$PIDFILE"
	STARTED=1
}
alive() { # alive NAME: the recorded process still runs
	local pid
	pid=$(awk -v n="$1" '$1 == n { print $2 }' "$PIDFILE")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}
# wait_for WHAT TIMEOUT_S PROCESS CMD...: polls CMD every 0.2s; fails early if PROCESS died.
wait_for() {
	local what=$1 timeout=$2 proc=$3
	shift 3
	local deadline=$((SECONDS + timeout))
	until "$@" >/dev/null 2>&1; do
		if [ -n "$proc" ] && ! alive "$proc"; then
			tail -n 30 "$DIR/logs/$proc.log" >&2
			die "$proc exited while waiting for $what (log: $DIR/logs/$proc.log)"
		fi
		((SECONDS < deadline)) || die "timed out after ${timeout}s waiting for $what (logs: $DIR/logs)"
		sleep 0.2
	done
	step "$what"
}
curl_api() { curl -fsS --max-time 2 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$SERVER$1"; }

# --- etcd, egress proxy, kube-apiserver ---------------------------------------------
# The apiserver reaches webhooks and kubelets only through its egress selector
# (egress-proxy): no proxy variables from the caller's environment.
direct=(HTTP_PROXY= HTTPS_PROXY= http_proxy= https_proxy= NO_PROXY= no_proxy=)
mapfile -t node_routes < <(real_node_routes)
start egress-proxy "${direct[@]}" "$(proxy_bin)" -socket "$DIR/egress.sock" -listen "127.0.0.1:$PORT_EGRESS" \
	-route "$WEBHOOK_CLUSTER_IP:443=127.0.0.1:$PORT_WH_HTTPS" "${node_routes[@]}"
start etcd "${direct[@]}" "$ETCD_BIN/etcd" --name mlpipe --data-dir "$DIR/etcd" \
	--listen-client-urls "http://127.0.0.1:$PORT_ETCD_CLIENT" --advertise-client-urls "http://127.0.0.1:$PORT_ETCD_CLIENT" \
	--listen-peer-urls "http://127.0.0.1:$PORT_ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$PORT_ETCD_PEER" \
	--initial-cluster "mlpipe=http://127.0.0.1:$PORT_ETCD_PEER" --unsafe-no-fsync --log-level warn
step "started etcd and egress-proxy"

cat >"$DIR/egress-selector.yaml" <<EOF
apiVersion: apiserver.k8s.io/v1beta1
kind: EgressSelectorConfiguration
egressSelections:
- name: cluster
  connection:
    proxyProtocol: HTTPConnect
    transport:
      uds:
        udsName: $DIR/egress.sock
EOF
wait_for "etcd is healthy" 20 etcd curl -fsS --max-time 1 "http://127.0.0.1:$PORT_ETCD_CLIENT/health"
start kube-apiserver "${direct[@]}" "$K8S_BIN/kube-apiserver" \
	--etcd-servers "http://127.0.0.1:$PORT_ETCD_CLIENT" \
	--bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$PORT_APISERVER" \
	--service-cluster-ip-range "$SERVICE_CIDR" --endpoint-reconciler-type none \
	--authorization-mode RBAC --client-ca-file "$PKI/ca.crt" \
	--tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
	--service-account-issuer https://kubernetes.default.svc.cluster.local \
	--service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
	--kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
	--kubelet-certificate-authority "$PKI/ca.crt" --kubelet-preferred-address-types InternalIP \
	--requestheader-client-ca-file "$PKI/ca.crt" --requestheader-allowed-names front-proxy-client \
	--requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
	--requestheader-extra-headers-prefix X-Remote-Extra- \
	--proxy-client-cert-file "$PKI/front-proxy-client.crt" --proxy-client-key-file "$PKI/front-proxy-client.key" \
	--disable-admission-plugins TaintNodesByCondition \
	--egress-selector-config-file "$DIR/egress-selector.yaml" \
	--allow-privileged=true --event-ttl 1h

# Everything below talks only to the apiserver on 127.0.0.1. Should one of them
# try to reach anything else (Tekton looks up an image's entrypoint in its
# registry when a step has no command; a real node's containerd pulls an image
# nobody built), the request goes to egress-proxy, which refuses and logs it:
# nothing leaves the machine.
guard=http://127.0.0.1:$PORT_EGRESS
no_egress=(HTTP_PROXY="$guard" HTTPS_PROXY="$guard" http_proxy="$guard" https_proxy="$guard"
	"NO_PROXY=127.0.0.1,localhost" "no_proxy=127.0.0.1,localhost")
# The real nodes' runtimes and images need no API: they start while the apiserver does.
if ((REAL_NODES)); then start_containerds; fi
wait_for "kube-apiserver is ready (/readyz)" 60 kube-apiserver curl_api /readyz

# --- controllers and KWOK -------------------------------------------------------------
start kube-controller-manager "${no_egress[@]}" "$K8S_BIN/kube-controller-manager" \
	--kubeconfig "$DIR/kube-controller-manager.kubeconfig" \
	--authentication-kubeconfig "$DIR/kube-controller-manager.kubeconfig" \
	--authorization-kubeconfig "$DIR/kube-controller-manager.kubeconfig" \
	--bind-address 127.0.0.1 --secure-port "$PORT_KCM" --leader-elect=false \
	--controllers deployment-controller,replicaset-controller,job-controller,cronjob-controller,serviceaccount-controller,serviceaccount-token-controller,namespace-controller,garbage-collector-controller,root-ca-certificate-publisher-controller,statefulset-controller,persistentvolumeclaim-protection-controller,persistentvolume-protection-controller,persistentvolume-binder-controller \
	--use-service-account-credentials \
	--service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt"
start kube-scheduler "${no_egress[@]}" "$K8S_BIN/kube-scheduler" \
	--kubeconfig "$DIR/kube-scheduler.kubeconfig" \
	--authentication-kubeconfig "$DIR/kube-scheduler.kubeconfig" \
	--authorization-kubeconfig "$DIR/kube-scheduler.kubeconfig" \
	--bind-address 127.0.0.1 --secure-port "$PORT_SCHEDULER" --leader-elect=false

cp "$CLUSTER_SRC/kwok/container.log" "$DIR/kwok/container.log"
{
	cat <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  manageAllNodes: false
  manageNodesWithAnnotationSelector: kwok.x-k8s.io/node=fake
  nodeIP: 127.0.0.1
  nodePort: $PORT_KWOK
  serverAddress: 127.0.0.1:$PORT_KWOK
  tlsCertFile: $PKI/kwok-serving.crt
  tlsPrivateKeyFile: $PKI/kwok-serving.key
  enableDebuggingHandlers: true
  cidr: 10.244.0.0/16
  nodeLeaseDurationSeconds: 40
  podPlayStageParallelism: 8
  nodePlayStageParallelism: 4
  nodeLeaseParallelism: 4
  podsOnNodeSyncParallelism: 4
---
# kubectl logs of any container on a KWOK node serves this CRI-format file.
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: all-containers
spec:
  logs:
  - logsFile: $DIR/kwok/container.log
    follow: false
---
EOF
	cat "$CLUSTER_SRC/kwok/stages.yaml"
} >"$DIR/kwok/kwok.yaml"
start kwok "${no_egress[@]}" "$KWOK_BIN/kwok" --kubeconfig "$KUBECONFIG_PATH" --config "$DIR/kwok/kwok.yaml" \
	--server-address "127.0.0.1:$PORT_KWOK" --node-ip 127.0.0.1 --node-port "$PORT_KWOK" \
	--manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake
step "started kube-controller-manager, kube-scheduler and kwok"

# --- Tekton's own YAML, the cluster objects, the nodes ------------------------------------
TCONF=$TEKTON_BIN/config
# CRDs: config/300-crds/ in newer releases (here v0.59.6 on), config/300-*.yaml in older ones.
crd_files=()
if [ -d "$TCONF/300-crds" ]; then
	for f in "$TCONF"/300-crds/*.yaml; do crd_files+=(-f "$f"); done
else
	for f in "$TCONF"/300-*.yaml; do crd_files+=(-f "$f"); done
fi
# The release YAML says "devel" where a release says its version.
{
	for f in "$TCONF"/100-namespace/*.yaml "$TCONF"/config-*.yaml "$TCONF"/clusterrole-aggregate-*.yaml "$CLUSTER_SRC/manifests/tekton-deployments.yaml"; do
		echo "---"
		sed "s/\"devel\"/\"$TEKTON_VERSION\"/" "$f"
	done
} >"$DIR/tekton-config.yaml"
# Three independent batches in parallel (the CRDs take the apiserver longest).
apply() { kc apply --server-side --field-manager mlpipe-cluster-up "$@" >/dev/null; }
apply "${crd_files[@]}" &
crds=$!
# The namespace comes first in tekton-config.yaml; the Service in cluster.yaml lives in it.
{ apply -f "$DIR/tekton-config.yaml" && apply -f "$TCONF/500-webhooks.yaml" -f "$CLUSTER_SRC/manifests/cluster.yaml"; } &
objs=$!
# create, not apply: server-side apply ignores a Node's status (its capacity).
kc create -f "$CLUSTER_SRC/manifests/nodes.yaml" >/dev/null
wait "$crds" || die "applying Tekton's CRDs failed"
wait "$objs" || die "applying Tekton's ConfigMaps and webhook configurations failed"
step "applied Tekton $TEKTON_VERSION namespace, CRDs, ConfigMaps and webhook configurations; cluster objects; nodes"

# The default StorageClass's provisioner (tools/local-volumes): a workspace PVC
# gets a folder on the node its first pod was scheduled to.
start local-volumes "${no_egress[@]}" "$LOCAL_TOOLS/local-volumes" -kubeconfig "$KUBECONFIG_PATH" -root "$DIR/volumes"
if ((REAL_NODES)); then
	start_kubelets
	step "started ${#REAL_NODE_LIST[@]} real kubelets and local-volumes"
fi

# --- Tekton controller and webhook ----------------------------------------------------------
# The env and image flags of the release's own config/controller.yaml and
# config/webhook.yaml (what differs between releases: ConfigMap names, images),
# then ours: namespace, loopback ports, KO_DATA_PATH (build.sh), egress guard.
# Image flags name local.invalid images: only the real nodes pull (import) any.
tekton_image() { # tekton_image FLAG
	case $1 in
	-entrypoint-image) echo "$IMAGE_ENTRYPOINT" ;;
	-nop-image) echo "$IMAGE_NOP" ;;
	-workingdirinit-image) echo "$IMAGE_WORKINGDIRINIT" ;;
	-shell-image) echo "$IMAGE_BUSYBOX" ;;
	-shell-image-win) echo "$LOCAL_REGISTRY/tektoncd/pipeline/powershell:nanoserver" ;;
	*) local n=${1#-} && echo "$LOCAL_REGISTRY/tektoncd/pipeline/${n%-image}:$TEKTON_VERSION" ;;
	esac
}
set_here='^(SYSTEM_NAMESPACE|PROBES_PORT|WEBHOOK_PORT|PROFILING_PORT|METRICS_PROMETHEUS_(HOST|PORT))='
mapfile -t controller_env < <(deployment_env "$TCONF/controller.yaml" | grep -Ev "$set_here")
mapfile -t webhook_env < <(deployment_env "$TCONF/webhook.yaml" | grep -Ev "$set_here")
controller_images=()
while read -r flag; do controller_images+=("$flag" "$(tekton_image "$flag")"); done < <(deployment_image_flags "$TCONF/controller.yaml")
tekton_env=(
	"${no_egress[@]}" SYSTEM_NAMESPACE=tekton-pipelines KO_DATA_PATH="$TEKTON_BIN/kodata"
	KNATIVE_LISTEN_HOST=127.0.0.1 METRICS_PROMETHEUS_HOST=127.0.0.1
)
start tekton-controller "${controller_env[@]}" "${tekton_env[@]}" \
	PROBES_PORT="$PORT_CTRL_PROBES" KNATIVE_HEALTH_PROBE_ADDR="127.0.0.1:$PORT_CTRL_HEALTH" \
	PROFILING_PORT="$PORT_CTRL_PROFILING" METRICS_PROMETHEUS_PORT="$PORT_CTRL_METRICS" \
	"$TEKTON_BIN/controller" -kubeconfig "$KUBECONFIG_PATH" -disable-ha "${controller_images[@]}"
start tekton-webhook "${webhook_env[@]}" "${tekton_env[@]}" \
	PROBES_PORT="$PORT_WH_PROBES" WEBHOOK_PORT="$PORT_WH_HTTPS" KNATIVE_HEALTH_PROBE_ADDR="127.0.0.1:$PORT_WH_HEALTH" \
	PROFILING_PORT="$PORT_WH_PROFILING" METRICS_PROMETHEUS_PORT="$PORT_WH_METRICS" \
	"$TEKTON_BIN/webhook" -kubeconfig "$KUBECONFIG_PATH"
step "started tekton-controller and tekton-webhook ($TEKTON_VERSION)"

# --- readiness ----------------------------------------------------------------------------
# Established CRDs are served: discovery lists every version each one serves
# (for the default release: pipelineruns, taskruns, pipelines, tasks in
# tekton.dev/v1; customruns, stepactions in v1beta1; resolutionrequests).
# shellcheck disable=SC2016 # a Go template, not shell
served_versions=$(kc get crd -o go-template='{{range .items}}{{$g := .spec.group}}{{$p := .spec.names.plural}}{{range .spec.versions}}{{if .served}}{{$g}}/{{.name}} {{$p}}{{"\n"}}{{end}}{{end}}{{end}}' |
	awk '$1 ~ /tekton\.dev\//' | sort)
[ -n "$served_versions" ] || die "no Tekton CRDs after applying $TCONF"
crds_served() {
	local gv plural last="" doc=""
	while read -r gv plural; do
		if [ "$gv" != "$last" ]; then doc=$(curl_api "/apis/$gv") && last=$gv || return 1; fi
		grep -Eq "\"name\": ?\"$plural\"" <<<"$doc" || return 1
	done <<<"$served_versions"
}
# The version PipelineRuns are stored in: v1beta1 before v0.50, v1 since.
PR_VERSION=$(kc get crd pipelineruns.tekton.dev -o jsonpath='{.spec.versions[?(@.storage==true)].name}')
wait_for "Tekton CRDs established" 30 "" crds_served
wait_for "simulated nodes Ready" 30 kwok kc wait --for condition=Ready --timeout 1s node -l type=kwok
if ((REAL_NODES)); then real_nodes_ready; fi
wait_for "default ServiceAccount exists" 30 kube-controller-manager kc get serviceaccount default -n default
wait_for "tekton-controller is up" 30 tekton-controller curl -fsS --max-time 1 "http://127.0.0.1:$PORT_CTRL_PROBES/readiness"

# The webhook is up when a server-side dry-run of a good PipelineRun passes and
# one with a typo inside pipelineSpec is rejected by the webhook (the CRD schema
# alone preserves unknown fields there).
probe_run() {
	cat <<EOF
apiVersion: tekton.dev/$PR_VERSION
kind: PipelineRun
metadata:
  generateName: cluster-up-probe-
  namespace: default
spec:
  pipelineSpec:
    tasks:
    - name: a
      taskSpec:
        steps:
        - name: s
          image: busybox
          command: ["true"]
    - name: b
      $1: [a]
      taskSpec:
        steps:
        - name: s
          image: busybox
          command: ["true"]
EOF
}
webhook_ready() {
	probe_run runAfter | kc create --dry-run=server -f - >/dev/null 2>&1 || return 1
	local out
	if out=$(probe_run runAftr | kc create --dry-run=server -f - 2>&1); then return 1; fi
	grep -q 'admission webhook' <<<"$out"
}
wait_for "tekton-webhook validates PipelineRuns (server-side dry-run)" 60 tekton-webhook webhook_ready

printf 'version %s\npipelineruns tekton.dev/%s\n' "$TEKTON_VERSION" "$PR_VERSION" >"$TEKTON_STATE"
trap - EXIT
log "cluster ready in $(elapsed | tr -d ' ') with Tekton $TEKTON_VERSION (state in $DIR, logs in $DIR/logs, stop with: make cluster-down)"
echo "export KUBECONFIG=$KUBECONFIG_PATH"
