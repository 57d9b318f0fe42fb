# Sourced by the hack/bench-*.sh scripts: the local cluster (started when it
# is not up, and stopped again on exit), the plugin built as released into a
# temporary folder first on PATH, and a namespace of the script's own,
# deleted on exit. Sets KUBECONFIG, tmp and ns; bench_setup NAME does it all.

bench_cleanup() {
	[ -n "${ns:-}" ] && { kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true; }
	[ -n "${bench_started:-}" ] && make -s cluster-down >&2
	rm -rf "$tmp"
}

bench_setup() {
	export KUBECONFIG=${MLPIPE_CLUSTER_DIR:-/tmp/mlpipe-cluster}/kubeconfig
	tmp=$(mktemp -d)
	bench_started=
	ns=mlpipe-$1-$$
	trap bench_cleanup EXIT
	if ! bash test/cluster/status.sh >/dev/null 2>&1; then
		echo "# starting the local cluster" >&2
		make -s cluster-up >&2
		bench_started=1
	fi
	echo "# building kubectl-mlpipe in $tmp" >&2
	# As released: stripped (.goreleaser.yaml, make build).
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/kubectl-mlpipe" ./cmd/kubectl-mlpipe
	export PATH="$tmp:$PATH"
	kubectl create namespace "$ns" >/dev/null
	# Let the namespace's default ServiceAccount appear before the first run.
	for _ in $(seq 50); do kubectl -n "$ns" get serviceaccount default >/dev/null 2>&1 && break; sleep 0.1; done
}
