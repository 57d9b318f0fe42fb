# Local e2e control plane (test/cluster/README.md): kube-apiserver, etcd,
# controller-manager, scheduler, KWOK and Tekton as processes on 127.0.0.1.
# Included from the top-level Makefile.
#   MLPIPE_CLUSTER_CACHE      built binaries (default ~/.cache/kubectl-mlpipe/cluster)
#   MLPIPE_CLUSTER_DIR        runtime state, kubeconfig, logs (default /tmp/mlpipe-cluster)
#   MLPIPE_CLUSTER_PORT_BASE  first of the loopback ports used (default 16400)
#   MLPIPE_TEKTON_VERSION     another Tekton Pipelines release (one with build/tekton-<version>/), KWOK nodes only

.PHONY: cluster-build
cluster-build: ## Build the pinned control-plane binaries into the cache (cold: 11-20 min; warm: ~0.1 s)
	@$(CURDIR)/test/cluster/build.sh

.PHONY: cluster-up
cluster-up: ## Start the local cluster (builds first if needed); prints export KUBECONFIG=...
	@$(CURDIR)/test/cluster/up.sh

.PHONY: cluster-down
cluster-down: ## Stop exactly the processes cluster-up started and remove the cluster's temp data
	@$(CURDIR)/test/cluster/down.sh

.PHONY: cluster-status
cluster-status: ## Show whether the local cluster is up: processes, memory, nodes
	@$(CURDIR)/test/cluster/status.sh
