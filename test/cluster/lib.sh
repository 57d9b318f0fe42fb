# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this file
# Shared settings for the local e2e control plane (sourced by build.sh, up.sh,
# down.sh and status.sh). Every value can be overridden from the environment.

CLUSTER_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Pinned versions. Changing one changes the cache folder, so the next
# `make cluster-build` rebuilds exactly that component.
K8S_VERSION=v1.35.4          # k8s.io/kubernetes (staging repos at v0.35.4)
ETCD_VERSION=v3.6.8          # go.etcd.io/etcd/server/v3
KWOK_VERSION=v0.8.0          # sigs.k8s.io/kwok
TEKTON_VERSION=v1.15.1       # github.com/tektoncd/pipeline (the client library's version in go.mod)
CONTAINERD_VERSION=v2.2.9    # github.com/containerd/containerd/v2 (the real nodes' runtime)

# MLPIPE_TEKTON_VERSION runs another Tekton Pipelines release instead, one that
# has a throwaway module build/tekton-<version>/ (README.md, "Tekton releases"),
# on KWOK nodes only.
TEKTON_DEFAULT_VERSION=$TEKTON_VERSION
TEKTON_VERSION=${MLPIPE_TEKTON_VERSION:-$TEKTON_DEFAULT_VERSION}
if [ "$TEKTON_VERSION" = "$TEKTON_DEFAULT_VERSION" ]; then TEKTON_COMP=tekton; else TEKTON_COMP=tekton-$TEKTON_VERSION; fi

# Real kubelet nodes next to the simulated ones (test/cluster/README.md).
# MLPIPE_CLUSTER_REAL_NODES=0 gives a KWOK-only cluster that builds and needs none of it.
REAL_NODES=${MLPIPE_CLUSTER_REAL_NODES:-1}
[ "$REAL_NODES" = 0 ] || REAL_NODES=1
# The real nodes' images (entrypoint, nop, workingdirinit) exist for the default
# Tekton release only: any other runs on KWOK nodes (check_tekton_release).
[ "$TEKTON_VERSION" = "$TEKTON_DEFAULT_VERSION" ] || REAL_NODES=0

# Built binaries, kept outside the checkout (CI runs in a fresh clone), keyed by version.
CACHE=${MLPIPE_CLUSTER_CACHE:-$HOME/.cache/kubectl-mlpipe/cluster}
K8S_BIN=$CACHE/kubernetes-$K8S_VERSION
ETCD_BIN=$CACHE/etcd-$ETCD_VERSION
KWOK_BIN=$CACHE/kwok-$KWOK_VERSION
TEKTON_BIN=$CACHE/tekton-pipeline-$TEKTON_VERSION
CONTAINERD_BIN=$CACHE/containerd-$CONTAINERD_VERSION
LOCAL_TOOLS=$CACHE/local-tools                # our own programs (tools/): local-volumes, mkimage, pause, cri-clean
IMAGES_DIR=$CACHE/images-tekton-$TEKTON_VERSION # image tarballs the real nodes import

# From Debian packages (build.sh installs them when missing).
RUNC=/usr/sbin/runc
CNI_BIN_DIR=/usr/lib/cni
BUSYBOX=/bin/busybox

# Images of the real nodes, all built here and imported, never pulled: the
# registry host cannot resolve, and tagged refs (not :latest, not digests) get
# IfNotPresent. The step image runnable pipelines use is IMAGE_BUSYBOX.
LOCAL_REGISTRY=local.invalid
IMAGE_ENTRYPOINT=$LOCAL_REGISTRY/tektoncd/pipeline/entrypoint:$TEKTON_VERSION
IMAGE_NOP=$LOCAL_REGISTRY/tektoncd/pipeline/nop:$TEKTON_VERSION
IMAGE_WORKINGDIRINIT=$LOCAL_REGISTRY/tektoncd/pipeline/workingdirinit:$TEKTON_VERSION
IMAGE_BUSYBOX=$LOCAL_REGISTRY/mlpipe/busybox:1.35
IMAGE_PAUSE=$LOCAL_REGISTRY/mlpipe/pause:3.10
# busybox and the kubectl of the control plane's module: what a schedule's
# pod needs to create a run (kubectl mlpipe schedule create --image).
IMAGE_KUBECTL=$LOCAL_REGISTRY/mlpipe/kubectl:$K8S_VERSION
IMAGES=(entrypoint nop workingdirinit busybox pause kubectl)

# Runtime state of a running cluster: PKI, etcd data, logs, pidfile, kubeconfig.
DIR=${MLPIPE_CLUSTER_DIR:-/tmp/mlpipe-cluster}
KUBECONFIG_PATH=$DIR/kubeconfig
PIDFILE=$DIR/pids
MARKER=$DIR/.mlpipe-cluster
TEKTON_STATE=$DIR/tekton   # the running Tekton release and the API version its PipelineRuns are stored in
LOCKFILE=$DIR.lock   # serialises cluster-up/cluster-down (outside DIR, which down removes)

# Every listener binds 127.0.0.1; ports are PORT_BASE + a fixed offset.
PORT_BASE=${MLPIPE_CLUSTER_PORT_BASE:-16400}
PORT_ETCD_CLIENT=$((PORT_BASE + 0))
PORT_ETCD_PEER=$((PORT_BASE + 1))
PORT_KCM=$((PORT_BASE + 2))
PORT_SCHEDULER=$((PORT_BASE + 3))
PORT_KWOK=$((PORT_BASE + 4))              # KWOK's server = the nodes' kubelet endpoint (logs)
PORT_CTRL_PROBES=$((PORT_BASE + 10))      # tekton controller: PROBES_PORT
PORT_CTRL_HEALTH=$((PORT_BASE + 11))      #   knative health server (patched, was :8080)
PORT_CTRL_PROFILING=$((PORT_BASE + 12))   #   knative profiling server
PORT_CTRL_METRICS=$((PORT_BASE + 13))     #   prometheus metrics
PORT_WH_HTTPS=$((PORT_BASE + 20))         # tekton webhook: admission/conversion (WEBHOOK_PORT)
PORT_WH_PROBES=$((PORT_BASE + 21))
PORT_WH_HEALTH=$((PORT_BASE + 22))
PORT_WH_PROFILING=$((PORT_BASE + 23))
PORT_WH_METRICS=$((PORT_BASE + 24))
PORT_EGRESS=$((PORT_BASE + 30))         # egress-proxy on TCP: HTTP(S)_PROXY of the other components
PORT_APISERVER=$((PORT_BASE + 43))

# Service network: data only, nothing routes there. The webhook Service gets a
# fixed ClusterIP so the egress proxy can map it to the webhook's loopback port.
SERVICE_CIDR=10.96.0.0/16
WEBHOOK_CLUSTER_IP=10.96.0.20

log() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# fmt_secs SECONDS -> 1m05s
fmt_secs() {
	local s=$1
	if ((s >= 60)); then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

# tekton_releases: the Tekton releases build/ has a throwaway module for, the default first.
tekton_releases() {
	echo "$TEKTON_DEFAULT_VERSION"
	find "$CLUSTER_SRC/build" -mindepth 1 -maxdepth 1 -type d -name 'tekton-v*' -printf '%f\n' | sed 's/^tekton-//' | sort -V
}

# check_tekton_release: MLPIPE_TEKTON_VERSION names a release with a throwaway
# module, and nobody asked for real nodes with a release other than the default.
check_tekton_release() {
	[ -f "$CLUSTER_SRC/build/$TEKTON_COMP/go.mod" ] ||
		die "no throwaway module for Tekton $TEKTON_VERSION (test/cluster/build/$TEKTON_COMP); releases that have one: $(tekton_releases | paste -sd' ') (adding one: test/cluster/README.md, \"Tekton releases\")"
	[ "$TEKTON_VERSION" = "$TEKTON_DEFAULT_VERSION" ] && return 0
	if [ "${MLPIPE_CLUSTER_REAL_NODES:-0}" != 0 ]; then
		die "Tekton $TEKTON_VERSION runs on KWOK nodes only (the real nodes' images are built for $TEKTON_DEFAULT_VERSION): unset MLPIPE_CLUSTER_REAL_NODES or set it to 0"
	fi
}

# deployment_env YAML: the literal env values of the Deployment in one of
# Tekton's config/*.yaml files, as NAME=VALUE lines; not those set from a
# fieldRef, nor SSL_CERT_* (paths inside the image).
deployment_env() {
	awk '
		/^---/ { dep = 0 }
		/^kind: Deployment/ { dep = 1 }
		/^[[:space:]]*#/ { next }
		dep && /^[[:space:]]*- name: [A-Z_][A-Z0-9_]*[[:space:]]*$/ { name = $3; next }
		dep && name != "" && /^[[:space:]]*value: / {
			v = $0
			sub(/^[[:space:]]*value:[[:space:]]*/, "", v)
			sub(/[[:space:]]+$/, "", v)
			gsub(/^"|"$/, "", v)
			if (name !~ /^SSL_CERT_/) print name "=" v
		}
		{ name = "" }
	' "$1"
}

# deployment_image_flags YAML: the -<name>-image flags in the Deployment's args.
deployment_image_flags() {
	sed -n 's/^[[:space:]]*"\(-[a-z-]*-image[a-z-]*\)",.*/\1/p' "$1"
}

# Binaries that cluster-up needs, as "path" lines.
required_binaries() {
	printf '%s\n' "$ETCD_BIN/etcd" "$K8S_BIN/kube-apiserver" "$K8S_BIN/kube-controller-manager" \
		"$K8S_BIN/kube-scheduler" "$KWOK_BIN/kwok" "$TEKTON_BIN/controller" "$TEKTON_BIN/webhook" \
		"$(proxy_bin)" "$LOCAL_TOOLS/local-volumes"
	if ((REAL_NODES)); then
		printf '%s\n' "$K8S_BIN/kubelet" "$CONTAINERD_BIN/containerd" "$CONTAINERD_BIN/containerd-shim-runc-v2" \
			"$CONTAINERD_BIN/ctr" "$LOCAL_TOOLS/cri-clean" "$RUNC" "$CNI_BIN_DIR/bridge" "$BUSYBOX"
	fi
}

# local_sources FOLDER: the contents of one of our own modules under test/cluster.
local_sources() {
	(cd "$CLUSTER_SRC/$1" && find . -name '*.go' -o -name go.mod -o -name go.sum | LC_ALL=C sort | xargs cat)
}

# The egress proxy is our own code: its cache folder is keyed by a hash of its source.
proxy_bin() {
	local h
	h=$(local_sources egress-proxy | sha256sum | cut -c1-12)
	printf '%s\n' "$CACHE/egress-proxy-$h/egress-proxy"
}

# lock_cluster: take the cluster lock (waiting for a concurrent up/down to finish).
# Nested calls (up.sh running down.sh) inherit it through MLPIPE_CLUSTER_LOCKED.
lock_cluster() {
	[ -n "${MLPIPE_CLUSTER_LOCKED:-}" ] && return 0
	mkdir -p "$(dirname "$LOCKFILE")"
	exec 8>"$LOCKFILE"
	if ! flock -n 8; then
		log "another cluster-up/cluster-down is running; waiting for it"
		flock -w 3600 8 || die "timed out waiting for $LOCKFILE"
	fi
	export MLPIPE_CLUSTER_LOCKED=1
}
