#!/usr/bin/env bash
# Builds the pinned control-plane binaries into $MLPIPE_CLUSTER_CACHE
# (default ~/.cache/kubectl-mlpipe/cluster), one folder per component and
# version. A binary whose inputs (throwaway go.mod/go.sum, patches, ldflags)
# are unchanged is skipped, so a warm machine finishes in well under a second;
# a cold one builds everything (11-20 minutes on 2 cores).
#
#   test/cluster/build.sh          build whatever is missing
#   test/cluster/build.sh tidy     regenerate the throwaway go.sum files (after a version bump)
#   MLPIPE_TEKTON_VERSION=vX.Y.Z test/cluster/build.sh tekton-module
#                                  write build/tekton-vX.Y.Z/go.mod and go.sum for another Tekton release
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

BUILD_DIR=$CLUSTER_SRC/build
WORK=$CACHE/.work
export CGO_ENABLED=0 GOWORK=off GOFLAGS=-buildvcs=false

k8s_major_minor() { local v=${K8S_VERSION#v}; echo "${v%%.*} $(echo "$v" | cut -d. -f2)"; }
read -r K8S_MAJOR K8S_MINOR < <(k8s_major_minor)
K8S_LDFLAGS=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	K8S_LDFLAGS+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$K8S_MAJOR -X $pkg.gitMinor=$K8S_MINOR -X $pkg.gitTreeState=clean"
done

# module_dir MODULE@VERSION -> its folder in the module cache (downloading it if needed)
module_dir() {
	(cd / && go mod download -json "$1") | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

# prepare_work COMPONENT -> prints a folder holding the throwaway module, ready to build
prepare_work() {
	local comp=$1 w=$WORK/$1
	rm -rf "$w"
	mkdir -p "$w"
	cp "$BUILD_DIR/$comp/go.mod" "$w/"
	[ -f "$BUILD_DIR/$comp/go.sum" ] && cp "$BUILD_DIR/$comp/go.sum" "$w/"
	if [ "$comp" = "$TEKTON_COMP" ]; then
		# Copies of tektoncd/pipeline and the knative.dev/pkg it requires, patched
		# (see build/tekton*/patches); the throwaway go.mod replaces both with them.
		local tdir kver kdir
		tdir=$(module_dir "github.com/tektoncd/pipeline@$TEKTON_VERSION")
		[ -n "$tdir" ] || die "cannot download github.com/tektoncd/pipeline@$TEKTON_VERSION"
		kver=$(awk '$1 == "knative.dev/pkg" { print $2 }' "$tdir/go.mod")
		kdir=$(module_dir "knative.dev/pkg@$kver")
		[ -n "$kdir" ] || die "cannot download knative.dev/pkg@$kver"
		mkdir -p "$w/src/github.com/tektoncd" "$w/src/knative.dev"
		cp -r "$tdir" "$w/src/github.com/tektoncd/pipeline"
		cp -r "$kdir" "$w/src/knative.dev/pkg"
		chmod -R u+w "$w/src"
		(cd "$w/src/github.com/tektoncd/pipeline" && patch -p1 -s --forward <"$BUILD_DIR/$comp/patches/tekton-pipeline.patch")
		(cd "$w/src/knative.dev/pkg" && patch -p1 -s --forward <"$BUILD_DIR/$comp/patches/knative-pkg.patch")
	fi
	echo "$w"
}

# tekton_module: a throwaway module for the Tekton release MLPIPE_TEKTON_VERSION,
# with that release's own replace directives copied in (its go.mod pins
# k8s.io/* below what its other requirements would select). The patches under
# build/tekton-<version>/patches are written by hand (README.md, "Tekton releases").
tekton_module() {
	[ "$TEKTON_COMP" != tekton ] || die "set MLPIPE_TEKTON_VERSION to a release other than $TEKTON_DEFAULT_VERSION"
	local tdir out=$BUILD_DIR/$TEKTON_COMP line replaces=""
	tdir=$(module_dir "github.com/tektoncd/pipeline@$TEKTON_VERSION")
	[ -n "$tdir" ] || die "cannot download github.com/tektoncd/pipeline@$TEKTON_VERSION"
	# The release's "replace X [v] => Y v" lines and "replace ( ... )" blocks, comments dropped.
	while read -r line; do
		[[ $line == knative.dev/pkg* ]] && continue
		[[ ${line#*=> } == .* || ${line#*=> } == /* ]] && die "$TEKTON_VERSION replaces with a folder ($line); write its go.mod by hand"
		replaces+=$'\t'"$line"$'\n'
	done < <(awk '
		/^replace[[:space:]]*\(/ { block = 1; next }
		block && /^\)/ { block = 0; next }
		block || /^replace[[:space:]]/ { sub(/\/\/.*/, ""); sub(/^replace[[:space:]]+/, ""); $1 = $1; if ($0 ~ /=>/) print }
	' "$tdir/go.mod")
	mkdir -p "$out"
	cat >"$out/go.mod" <<GOMOD
// Throwaway module: pins Tekton Pipelines $TEKTON_VERSION's controller and webhook for
// the local e2e control plane (MLPIPE_TEKTON_VERSION=$TEKTON_VERSION). The replaces of
// tektoncd/pipeline and knative.dev/pkg point at copies of their sources that
// test/cluster/build.sh makes next to this file (outside the checkout) and patches
// (patches/*.patch); the others are the release's own (build.sh tekton-module).
module mlpipe.local/cluster/tekton

go $(go env GOVERSION | sed 's/^go//')

tool (
	github.com/tektoncd/pipeline/cmd/controller
	github.com/tektoncd/pipeline/cmd/webhook
)

require github.com/tektoncd/pipeline $TEKTON_VERSION

replace (
	github.com/tektoncd/pipeline => ./src/github.com/tektoncd/pipeline
	knative.dev/pkg => ./src/knative.dev/pkg
${replaces})
GOMOD
	[ -d "$out/patches" ] || die "wrote $out/go.mod; now write $out/patches/tekton-pipeline.patch and knative-pkg.patch (see build/tekton/patches), then run this again"
	log "go mod tidy: build/$TEKTON_COMP"
	local w
	w=$(prepare_work "$TEKTON_COMP")
	(cd "$w" && GOFLAGS=-mod=mod go mod tidy)
	cp "$w/go.mod" "$w/go.sum" "$out/"
	log "wrote $out/go.mod and go.sum"
}

if [ "${1:-}" = tekton-module ]; then
	tekton_module
	exit 0
fi

if [ "${1:-}" = tidy ]; then
	check_tekton_release
	for comp in kubernetes kubectl etcd kwok "$TEKTON_COMP" containerd; do
		log "go mod tidy: build/$comp"
		w=$(prepare_work "$comp")
		(cd "$w" && GOFLAGS=-mod=mod go mod tidy)
		cp "$w/go.mod" "$w/go.sum" "$BUILD_DIR/$comp/"
	done
	for m in egress-proxy tools; do (cd "$CLUSTER_SRC/$m" && go mod tidy); done
	exit 0
fi

check_tekton_release
if [ "$TEKTON_COMP" != tekton ] && [ -z "${MLPIPE_CLUSTER_BUILD_QUIET:-}" ]; then
	log "Tekton Pipelines $TEKTON_VERSION (MLPIPE_TEKTON_VERSION; the default is $TEKTON_DEFAULT_VERSION): simulated nodes only"
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/.build.lock"
if ! flock -n 9; then
	log "another cluster build is running; waiting for it to finish"
	flock 9
fi

T0=$SECONDS
TOTAL=9
((REAL_NODES)) && TOTAL=21
STEP=0
BUILT=0
if [ -t 2 ]; then TTY=1; else TTY=0; fi

# build NAME COMPONENT OUTDIR PACKAGE LDFLAGS [EXTRA_STAMP_FILES...]
# COMPONENT is a throwaway module under build/ or, for our own small programs,
# a folder of test/cluster holding a module (its sources are the stamp).
# GO_TAGS in the environment adds build tags.
build() {
	local name=$1 comp=$2 outdir=$3 pkg=$4 ldflags=$5
	shift 5
	STEP=$((STEP + 1))
	local out=$outdir/$name stamp
	stamp=$({
		printf '%s\n' "$pkg" "$ldflags" "$comp"
		printf 'tags=%s\n' "${GO_TAGS:-}"
		if [ -d "$BUILD_DIR/$comp" ]; then cat "$BUILD_DIR/$comp/go.mod" "$BUILD_DIR/$comp/go.sum"; else local_sources "$comp"; fi
		for f in "$@"; do cat "$f"; done
	} | sha256sum | cut -d' ' -f1)
	if [ -x "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ]; then
		[ -n "${MLPIPE_CLUSTER_BUILD_QUIET:-}" ] || log "[$STEP/$TOTAL] $name: cached ($out)"
		return 0
	fi
	local w
	if [ -d "$BUILD_DIR/$comp" ]; then w=$(prepare_work "$comp"); else w=$CLUSTER_SRC/$comp; fi
	mkdir -p "$outdir"
	log "[$STEP/$TOTAL] $name: building $pkg (total elapsed $(fmt_secs $((SECONDS - T0))))"
	local t=$SECONDS rc=0
	(cd "$w" && exec go build -trimpath -tags "${GO_TAGS:-}" -ldflags "-s -w$ldflags" -o "$out.tmp" "$pkg") >"$WORK/$name.log" 2>&1 &
	local pid=$! last=$SECONDS
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		if ((TTY)); then
			printf '\r  ... %s: %s (total %s)  ' "$name" "$(fmt_secs $((SECONDS - t)))" "$(fmt_secs $((SECONDS - T0)))" >&2
		elif ((SECONDS - last >= 30)); then
			log "  ... $name: $(fmt_secs $((SECONDS - t))) (total $(fmt_secs $((SECONDS - T0))))"
			last=$SECONDS
		fi
	done
	wait "$pid" || rc=$?
	((TTY)) && printf '\r\033[K' >&2
	if ((rc != 0)); then
		tail -n 40 "$WORK/$name.log" >&2
		die "building $name failed (full log: $WORK/$name.log)"
	fi
	mv -f "$out.tmp" "$out"
	echo "$stamp" >"$out.stamp"
	local took=$((SECONDS - t))
	BUILT=$((BUILT + 1))
	printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$name" "$took" "$(du -m "$out" | cut -f1)MiB" "$(basename "$outdir")" >>"$CACHE/build-times.tsv"
	log "[$STEP/$TOTAL] $name: built in $(fmt_secs "$took") ($(du -h "$out" | cut -f1))"
}

# Debian packages the real nodes use as they are: runc (it needs cgo and
# libseccomp), the CNI plugins, and a static busybox for the shell image.
ensure_packages() {
	local missing=() p
	[ -x "$RUNC" ] || missing+=(runc)
	[ -x "$CNI_BIN_DIR/bridge" ] && [ -x "$CNI_BIN_DIR/host-local" ] && [ -x "$CNI_BIN_DIR/loopback" ] || missing+=(containernetworking-plugins)
	[ -x "$BUSYBOX" ] || missing+=(busybox-static)
	((${#missing[@]})) || return 0
	log "the real nodes need Debian packages that are not installed: ${missing[*]}; installing them (apt-get)"
	[ "$(id -u)" = 0 ] || die "installing ${missing[*]} needs root; install them, or set MLPIPE_CLUSTER_REAL_NODES=0 for a KWOK-only cluster"
	command -v apt-get >/dev/null || die "no apt-get here: install ${missing[*]} by hand, or set MLPIPE_CLUSTER_REAL_NODES=0"
	apt-get update -qq >&2 || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
		die "apt-get install ${missing[*]} failed"
	for p in "$RUNC" "$CNI_BIN_DIR/bridge" "$BUSYBOX"; do [ -x "$p" ] || die "$p is still missing after apt-get install"; done
}

# build_images: the image tarballs that cluster-up imports into each real
# node's containerd, rebuilt when a binary in them (or mkimage) changes.
build_images() {
	STEP=$((STEP + 1))
	local stamp
	stamp=$(cat "$TEKTON_BIN"/{entrypoint,nop,workingdirinit}.stamp "$LOCAL_TOOLS"/{mkimage,pause}.stamp "$K8S_BIN/kubectl.stamp" "$BUSYBOX" | sha256sum | cut -d' ' -f1)
	if [ "$(cat "$IMAGES_DIR/.stamp" 2>/dev/null)" = "$stamp" ]; then
		[ -n "${MLPIPE_CLUSTER_BUILD_QUIET:-}" ] || log "[$STEP/$TOTAL] images: cached ($IMAGES_DIR)"
		return 0
	fi
	log "[$STEP/$TOTAL] images: writing ${#IMAGES[@]} image tarballs"
	rm -rf "$IMAGES_DIR" && mkdir -p "$IMAGES_DIR"
	local mk=$LOCAL_TOOLS/mkimage
	"$mk" -tag "$IMAGE_ENTRYPOINT" -o "$IMAGES_DIR/entrypoint.tar" -file "$TEKTON_BIN/entrypoint=/ko-app/entrypoint" -entrypoint /ko-app/entrypoint
	"$mk" -tag "$IMAGE_NOP" -o "$IMAGES_DIR/nop.tar" -file "$TEKTON_BIN/nop=/ko-app/nop" -entrypoint /ko-app/nop
	"$mk" -tag "$IMAGE_WORKINGDIRINIT" -o "$IMAGES_DIR/workingdirinit.tar" -file "$TEKTON_BIN/workingdirinit=/ko-app/workingdirinit" -entrypoint /ko-app/workingdirinit
	"$mk" -tag "$IMAGE_BUSYBOX" -o "$IMAGES_DIR/busybox.tar" -busybox "$BUSYBOX" -entrypoint /bin/sh
	"$mk" -tag "$IMAGE_PAUSE" -o "$IMAGES_DIR/pause.tar" -file "$LOCAL_TOOLS/pause=/pause" -entrypoint /pause
	"$mk" -tag "$IMAGE_KUBECTL" -o "$IMAGES_DIR/kubectl.tar" -busybox "$BUSYBOX" -file "$K8S_BIN/kubectl=/usr/local/bin/kubectl" -entrypoint /bin/sh
	echo "$stamp" >"$IMAGES_DIR/.stamp"
	log "[$STEP/$TOTAL] images: $(du -sh "$IMAGES_DIR" | cut -f1) in $IMAGES_DIR"
}

# tkn, the Tekton CLI, at the version build/tkn/go.mod pins: the e2e tests read
# the plugin's runs with it (test/e2e/tkn_test.go). `build.sh tkn` builds only
# tkn (when missing or stale) and prints its path on stdout.
TKN_VERSION=$(awk '$1 == "github.com/tektoncd/cli" { print $2 }' "$BUILD_DIR/tkn/go.mod")
TKN_BIN=$CACHE/tkn-$TKN_VERSION
TOTAL=$((TOTAL + 1))
build_tkn() {
	mkdir -p "$WORK"
	build tkn tkn "$TKN_BIN" github.com/tektoncd/cli/cmd/tkn " -X github.com/tektoncd/cli/pkg/cmd/version.clientVersion=${TKN_VERSION#v}"
}
if [ "${1:-}" = tkn ]; then
	TOTAL=1
	build_tkn
	echo "$TKN_BIN/tkn"
	exit 0
fi

((REAL_NODES)) && ensure_packages

mkdir -p "$WORK"
TP=$BUILD_DIR/$TEKTON_COMP/patches
build etcd etcd "$ETCD_BIN" go.etcd.io/etcd/server/v3 ""
build kube-apiserver kubernetes "$K8S_BIN" k8s.io/kubernetes/cmd/kube-apiserver "$K8S_LDFLAGS"
build kube-controller-manager kubernetes "$K8S_BIN" k8s.io/kubernetes/cmd/kube-controller-manager "$K8S_LDFLAGS"
build kube-scheduler kubernetes "$K8S_BIN" k8s.io/kubernetes/cmd/kube-scheduler "$K8S_LDFLAGS"
build kwok kwok "$KWOK_BIN" sigs.k8s.io/kwok/cmd/kwok ""
build controller "$TEKTON_COMP" "$TEKTON_BIN" github.com/tektoncd/pipeline/cmd/controller "" "$TP/tekton-pipeline.patch" "$TP/knative-pkg.patch"
build webhook "$TEKTON_COMP" "$TEKTON_BIN" github.com/tektoncd/pipeline/cmd/webhook "" "$TP/tekton-pipeline.patch" "$TP/knative-pkg.patch"
build egress-proxy egress-proxy "$(dirname "$(proxy_bin)")" . ""
build local-volumes tools "$LOCAL_TOOLS" ./local-volumes ""
# Older builds of our own proxy (keyed by its source hash) are of no further use.
find "$CACHE" -maxdepth 1 -name 'egress-proxy-*' ! -name "$(basename "$(dirname "$(proxy_bin)")")" -exec rm -rf {} +

if ((REAL_NODES)); then
	# The real nodes: a kubelet from the same module set as the control plane,
	# containerd from its module, and the images their pods run (Tekton's own
	# step binaries from the controller's module, busybox, a pause program).
	build kubelet kubernetes "$K8S_BIN" k8s.io/kubernetes/cmd/kubelet "$K8S_LDFLAGS"
	build kubectl kubectl "$K8S_BIN" k8s.io/kubernetes/cmd/kubectl "$K8S_LDFLAGS"
	for c in containerd containerd-shim-runc-v2 ctr; do
		GO_TAGS="no_btrfs no_devmapper no_zfs" build "$c" containerd "$CONTAINERD_BIN" "github.com/containerd/containerd/v2/cmd/$c" \
			" -X github.com/containerd/containerd/v2/version.Version=${CONTAINERD_VERSION#v}"
	done
	for c in entrypoint nop workingdirinit; do
		build "$c" "$TEKTON_COMP" "$TEKTON_BIN" "github.com/tektoncd/pipeline/cmd/$c" "" "$TP/tekton-pipeline.patch" "$TP/knative-pkg.patch"
	done
	build mkimage tools "$LOCAL_TOOLS" ./mkimage ""
	build pause tools "$LOCAL_TOOLS" ./pause ""
	build cri-clean tools "$LOCAL_TOOLS" ./cri-clean ""
	build_images
fi
build_tkn

# Tekton's own install YAML (namespace, CRDs, ConfigMaps, webhook configurations),
# copied from the module source next to the binaries it belongs to.
if [ ! -f "$TEKTON_BIN/config/.complete" ]; then
	tdir=$(module_dir "github.com/tektoncd/pipeline@$TEKTON_VERSION")
	rm -rf "$TEKTON_BIN/config"
	cp -r "$tdir/config" "$TEKTON_BIN/config"
	chmod -R u+w "$TEKTON_BIN/config"
	touch "$TEKTON_BIN/config/.complete"
fi
# KO_DATA_PATH for the controller and webhook: v0.38 (its knative.dev/pkg) reads
# the commit it was built from in $KO_DATA_PATH/HEAD (ko puts it there) and fails
# every TaskRun without it. The release tag's commit, as the module proxy reports it.
if [ ! -s "$TEKTON_BIN/kodata/HEAD" ]; then
	commit=$( (cd / && go mod download -json "github.com/tektoncd/pipeline@$TEKTON_VERSION") | sed -n 's/^[[:space:]]*"Hash": "\([0-9a-f]\{40\}\)",\{0,1\}$/\1/p')
	mkdir -p "$TEKTON_BIN/kodata"
	echo "${commit:-0000000000000000000000000000000000000000}" >"$TEKTON_BIN/kodata/HEAD"
fi
if ((BUILT > 0)); then
	rm -rf "${WORK:?}/$TEKTON_COMP" "$WORK"/kubernetes "$WORK"/etcd "$WORK"/kwok "$WORK"/containerd
	log "cluster binaries ready in $(fmt_secs $((SECONDS - T0))) (built $BUILT of $TOTAL); cache $CACHE: $(du -sh "$CACHE" | cut -f1)"
elif [ -z "${MLPIPE_CLUSTER_BUILD_QUIET:-}" ]; then
	log "cluster binaries up to date in $CACHE"
fi
