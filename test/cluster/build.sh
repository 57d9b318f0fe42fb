#!/usr/bin/env bash
# Builds the pinned control-plane binaries into $MLPIPE_CLUSTER_CACHE
# (default ~/.cache/kubectl-mlpipe/cluster), one folder per component and
# version. A binary whose inputs (throwaway go.mod/go.sum, patches, ldflags)
# are unchanged is skipped, so a warm machine finishes in well under a second;
# a cold one builds everything (11-20 minutes on 2 cores).
#
#   test/cluster/build.sh          build whatever is missing
#   test/cluster/build.sh tidy     regenerate the throwaway go.sum files (after a version bump)
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
	if [ "$comp" = tekton ]; then
		# Copies of tektoncd/pipeline and the knative.dev/pkg it requires, patched
		# (see build/tekton/patches); the throwaway go.mod replaces both with them.
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
		(cd "$w/src/github.com/tektoncd/pipeline" && patch -p1 -s --forward <"$BUILD_DIR/tekton/patches/tekton-pipeline.patch")
		(cd "$w/src/knative.dev/pkg" && patch -p1 -s --forward <"$BUILD_DIR/tekton/patches/knative-pkg.patch")
	fi
	echo "$w"
}

if [ "${1:-}" = tidy ]; then
	for comp in kubernetes etcd kwok tekton; do
		log "go mod tidy: build/$comp"
		w=$(prepare_work "$comp")
		(cd "$w" && GOFLAGS=-mod=mod go mod tidy)
		cp "$w/go.mod" "$w/go.sum" "$BUILD_DIR/$comp/"
	done
	(cd "$CLUSTER_SRC/egress-proxy" && go mod tidy)
	exit 0
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/.build.lock"
if ! flock -n 9; then
	log "another cluster build is running; waiting for it to finish"
	flock 9
fi

T0=$SECONDS
TOTAL=8
STEP=0
BUILT=0
if [ -t 2 ]; then TTY=1; else TTY=0; fi

# build NAME COMPONENT OUTDIR PACKAGE LDFLAGS [EXTRA_STAMP_FILES...]
build() {
	local name=$1 comp=$2 outdir=$3 pkg=$4 ldflags=$5
	shift 5
	STEP=$((STEP + 1))
	local out=$outdir/$name stamp
	stamp=$({
		printf '%s\n' "$pkg" "$ldflags" "$comp"
		if [ "$comp" = egress-proxy ]; then cat "$CLUSTER_SRC/egress-proxy/"{go.mod,main.go}; else cat "$BUILD_DIR/$comp/go.mod" "$BUILD_DIR/$comp/go.sum"; fi
		for f in "$@"; do cat "$f"; done
	} | sha256sum | cut -d' ' -f1)
	if [ -x "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ]; then
		[ -n "${MLPIPE_CLUSTER_BUILD_QUIET:-}" ] || log "[$STEP/$TOTAL] $name: cached ($out)"
		return 0
	fi
	local w
	if [ "$comp" = egress-proxy ]; then w=$CLUSTER_SRC/egress-proxy; else w=$(prepare_work "$comp"); fi
	mkdir -p "$outdir"
	log "[$STEP/$TOTAL] $name: building $pkg (total elapsed $(fmt_secs $((SECONDS - T0))))"
	local t=$SECONDS rc=0
	(cd "$w" && exec go build -trimpath -ldflags "-s -w$ldflags" -o "$out.tmp" "$pkg") >"$WORK/$name.log" 2>&1 &
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
	printf '%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$name" "$took" "$(du -m "$out" | cut -f1)MiB" >>"$CACHE/build-times.tsv"
	log "[$STEP/$TOTAL] $name: built in $(fmt_secs "$took") ($(du -h "$out" | cut -f1))"
}

mkdir -p "$WORK"
TP=$BUILD_DIR/tekton/patches
build etcd etcd "$ETCD_BIN" go.etcd.io/etcd/server/v3 ""
build kube-apiserver kubernetes "$K8S_BIN" k8s.io/kubernetes/cmd/kube-apiserver "$K8S_LDFLAGS"
build kube-controller-manager kubernetes "$K8S_BIN" k8s.io/kubernetes/cmd/kube-controller-manager "$K8S_LDFLAGS"
build kube-scheduler kubernetes "$K8S_BIN" k8s.io/kubernetes/cmd/kube-scheduler "$K8S_LDFLAGS"
build kwok kwok "$KWOK_BIN" sigs.k8s.io/kwok/cmd/kwok ""
build controller tekton "$TEKTON_BIN" github.com/tektoncd/pipeline/cmd/controller "" "$TP/tekton-pipeline.patch" "$TP/knative-pkg.patch"
build webhook tekton "$TEKTON_BIN" github.com/tektoncd/pipeline/cmd/webhook "" "$TP/tekton-pipeline.patch" "$TP/knative-pkg.patch"
build egress-proxy egress-proxy "$(dirname "$(proxy_bin)")" . ""
# Older builds of our own proxy (keyed by its source hash) are of no further use.
find "$CACHE" -maxdepth 1 -name 'egress-proxy-*' ! -name "$(basename "$(dirname "$(proxy_bin)")")" -exec rm -rf {} +

# Tekton's own install YAML (namespace, CRDs, ConfigMaps, webhook configurations),
# copied from the module source next to the binaries it belongs to.
if [ ! -f "$TEKTON_BIN/config/.complete" ]; then
	tdir=$(module_dir "github.com/tektoncd/pipeline@$TEKTON_VERSION")
	rm -rf "$TEKTON_BIN/config"
	cp -r "$tdir/config" "$TEKTON_BIN/config"
	chmod -R u+w "$TEKTON_BIN/config"
	touch "$TEKTON_BIN/config/.complete"
fi
if ((BUILT > 0)); then
	rm -rf "$WORK"/tekton "$WORK"/kubernetes "$WORK"/etcd "$WORK"/kwok
	log "cluster binaries ready in $(fmt_secs $((SECONDS - T0))) (built $BUILT of $TOTAL); cache $CACHE: $(du -sh "$CACHE" | cut -f1)"
elif [ -z "${MLPIPE_CLUSTER_BUILD_QUIET:-}" ]; then
	log "cluster binaries up to date in $CACHE"
fi
