# kubectl-mlpipe — build, test and lint. `make help` lists the targets.
SHELL := /usr/bin/env bash
.DEFAULT_GOAL := help

MODULE      := github.com/mlpipe/kubectl-mlpipe
BIN         := bin/kubectl-mlpipe
TOOLS_BIN   := $(CURDIR)/bin/tools
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo v0.0.0-dev)
COMMIT      ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE        ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS     := -s -w -X $(MODULE)/pkg/version.version=$(VERSION) -X $(MODULE)/pkg/version.commit=$(COMMIT) -X $(MODULE)/pkg/version.date=$(DATE)
GO_BUILD    := CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)'
EXAMPLE     ?= examples/training.yaml

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*##/ {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build bin/kubectl-mlpipe for this machine
	$(GO_BUILD) -o $(BIN) ./cmd/kubectl-mlpipe

.PHONY: demo
demo: build ## The main job: start the local cluster, `kubectl mlpipe run --wait` the training example, describe it, show each step's node
	hack/demo.sh

.PHONY: test
test: lint test-unit test-cli test-release test-e2e test-e2e-releases ## Everything CI runs: lint, unit/golden/corpus tests, CLI through kubectl, release checks, e2e on the local cluster and on older Tekton releases

.PHONY: test-unit
test-unit: ## Unit, golden, corpus and fuzz-seed tests (with the race detector)
	CGO_ENABLED=1 go test -race -count=1 ./...

.PHONY: test-cli
test-cli: build ## Run the built plugin through kubectl's plugin discovery on every example
	PATH="$(CURDIR)/bin:$$PATH" hack/test-cli.sh

.PHONY: test-e2e
test-e2e: ## End-to-end tests on the local cluster (started and stopped if it is not up)
	go test -tags e2e -count=1 -timeout 60m -parallel 6 -v ./test/e2e/

.PHONY: test-e2e-releases
test-e2e-releases: ## The core e2e cases on Tekton v0.38.3, the oldest supported (KWOK nodes; TEKTON_RELEASES overrides)
	hack/test-releases.sh

.PHONY: test-matrix
test-matrix: ## The core e2e cases on every Tekton release the local cluster builds (slow: one controller build each)
	TEKTON_RELEASES="v0.38.3 v0.44.0 v0.50.5 v0.59.6 v0.68.1" hack/test-releases.sh

.PHONY: update-golden
update-golden: ## Rewrite golden files (review the diff!)
	go test ./pkg/render/tekton/ -update
	go test ./pkg/schema/ -update

.PHONY: schema
schema: ## Regenerate docs/pipeline.schema.json from the Go types
	go test ./pkg/schema/ -run TestCommittedSchemaIsCurrent -update

.PHONY: fuzz
fuzz: ## Fuzz load+validate+render for FUZZTIME (default 2m)
	go test ./pkg/compiler/ -run '^$$' -fuzz FuzzCompile -fuzztime $${FUZZTIME:-2m}

.PHONY: bench
bench: ## Render benchmarks (see docs/performance.md)
	go test -run '^$$' -bench . -benchmem -count $${COUNT:-5} ./pkg/compiler/

.PHONY: bench-run
bench-run: ## run on the local cluster: requests, submit latency vs kubectl create, 20 concurrent --wait (docs/performance.md)
	hack/bench-run.sh

.PHONY: bench-list
bench-list: ## list, completion and delete --keep on 10,000 runs, against kubectl get and tkn (docs/performance.md)
	hack/bench-list.sh

.PHONY: bench-vs-kubectl
bench-vs-kubectl: ## render -o yaml against kubectl create --dry-run=client -o yaml; run --dry-run=server of 5,000 steps (docs/performance.md)
	hack/bench-vs-kubectl.sh

.PHONY: bench-doctor
bench-doctor: ## doctor on the local cluster: requests, latency against kubectl reading the same objects (docs/performance.md)
	hack/bench-doctor.sh

.PHONY: lint
lint: fmt-check vet staticcheck tidy-check ## gofmt, go vet, staticcheck (pinned), go mod tidy

.PHONY: fmt-check
fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

.PHONY: vet
vet:
	go vet ./...

$(TOOLS_BIN)/staticcheck: hack/tools/go.mod
	cd hack/tools && GOBIN=$(TOOLS_BIN) go install honnef.co/go/tools/cmd/staticcheck

.PHONY: staticcheck
staticcheck: $(TOOLS_BIN)/staticcheck
	$(TOOLS_BIN)/staticcheck ./...

.PHONY: tidy-check
tidy-check:
	@go mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy: run go mod tidy"; go mod tidy -diff; exit 1; }

-include test/cluster/cluster.mk
-include hack/release.mk

.PHONY: clean
clean: ## Remove build output
	rm -rf bin dist
