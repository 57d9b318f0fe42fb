# Release path: goreleaser archives, the krew manifest, a real `kubectl krew install`, and the
# generated command docs. Included by the top-level Makefile; $(CURDIR) is the repository root.
# docs/release.md explains the flow and has the figures.

# Pinned in hack/tools/goreleaser/go.mod and hack/tools/krew/go.mod (krew has its own module: its
# go.mod pulls a client-go that cannot share a build list with the plugin's).
GORELEASER_VERSION     := v2.16.0
KREW_VERSION           := v0.4.3
GORELEASER             := $(TOOLS_BIN)/goreleaser
KREW                   := $(TOOLS_BIN)/kubectl-krew
VALIDATE_KREW_MANIFEST := $(TOOLS_BIN)/validate-krew-manifest

# The platforms goreleaser builds (.goreleaser.yaml has one build id per platform).
# DIST_TARGET=<os>_<arch> builds only that one; unset, `make dist` builds them all.
DIST_PLATFORMS := linux_amd64 linux_arm64 darwin_amd64 darwin_arm64 windows_amd64
DIST_TARGET    ?=
# The tag snapshots are built for: the version of plugins/mlpipe.yaml (the latest release, or the
# first one while none exists), as goreleaser's snapshots otherwise use the latest git tag.
RELEASE_TAG    ?= $(or $(shell sed -n 's/^  version: \(v[0-9][0-9.]*\)$$/\1/p' plugins/mlpipe.yaml 2>/dev/null),v0.1.0)
RELEASE_REPO   := https://github.com/mlpipe/kubectl-mlpipe.git

# A snapshot reads the commit, date and remote URL from git; with no remote (a local repository
# without `origin`) goreleaser silently drops all of them and builds "v0.0.0, commit none". Give it
# an origin through git's environment config: .git/config is not touched. A CI clone has one.
# (`goreleaser check` needs no remote: release.github in .goreleaser.yaml names the repository.)
GIT_ORIGIN_ENV = $(if $(shell git remote get-url origin 2>/dev/null),,GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0=$(RELEASE_REPO))

.PHONY: tools-release
tools-release: $(GORELEASER) $(KREW) $(VALIDATE_KREW_MANIFEST) ## Build the pinned goreleaser, krew and validate-krew-manifest into bin/tools

$(GORELEASER): hack/tools/goreleaser/go.mod
	@echo ">> building goreleaser $(GORELEASER_VERSION) into bin/tools (about 3 min cold)" >&2
	cd hack/tools/goreleaser && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o $@ github.com/goreleaser/goreleaser/v2

# Named kubectl-krew so that kubectl discovers it as `kubectl krew`. Built without a version tag,
# krew counts as a development build and never checks GitHub for upgrades.
$(KREW): hack/tools/krew/go.mod
	@echo ">> building krew $(KREW_VERSION) into bin/tools" >&2
	cd hack/tools/krew && CGO_ENABLED=0 go build -trimpath -o $@ sigs.k8s.io/krew/cmd/krew

$(VALIDATE_KREW_MANIFEST): hack/tools/krew/go.mod
	@echo ">> building validate-krew-manifest $(KREW_VERSION) into bin/tools" >&2
	cd hack/tools/krew && CGO_ENABLED=0 go build -trimpath -o $@ sigs.k8s.io/krew/cmd/validate-krew-manifest

.PHONY: release-check
release-check: $(GORELEASER) ## goreleaser check: .goreleaser.yaml is valid for the pinned goreleaser
	$(GORELEASER) check

.PHONY: dist
dist: $(GORELEASER) ## Snapshot release into dist/, nothing published (DIST_TARGET=linux_amd64: that platform only)
	@if [ -n "$(DIST_TARGET)" ] && ! echo " $(DIST_PLATFORMS) " | grep -q " $(DIST_TARGET) "; then \
		echo "DIST_TARGET=$(DIST_TARGET): want one of $(DIST_PLATFORMS)" >&2; exit 2; fi
	@echo ">> goreleaser snapshot of $(RELEASE_TAG) for $(or $(DIST_TARGET),$(DIST_PLATFORMS))" >&2
	env $(if $(DIST_TARGET),DIST_TARGET=$(DIST_TARGET),-u DIST_TARGET) $(GIT_ORIGIN_ENV) GORELEASER_CURRENT_TAG=$(RELEASE_TAG) \
		$(GORELEASER) release --snapshot --clean

# Single-target snapshots leave the platforms they did not build out of dist/krew/mlpipe.yaml.
.PHONY: krew-render
krew-render: ## Render krew.yaml into dist/krew/mlpipe.yaml for the snapshot in dist/ (sha256 from dist/checksums.txt)
	@[ -f dist/checksums.txt ] || { echo "no dist/checksums.txt: run make dist first" >&2; exit 2; }
	go run ./hack/krew-render -template krew.yaml -checksums dist/checksums.txt -o dist/krew/mlpipe.yaml \
		$(if $(DIST_TARGET),-skip-missing)

.PHONY: krew-index
krew-index: ## Re-render plugins/mlpipe.yaml from a full `make dist` (or a release's checksums: CHECKSUMS=path TAG=vX.Y.Z)
	go run ./hack/krew-render -template krew.yaml -checksums $(or $(CHECKSUMS),dist/checksums.txt) \
		$(if $(TAG),-tag $(TAG)) -o plugins/mlpipe.yaml
	$(MAKE) --no-print-directory krew-validate KREW_MANIFESTS=plugins/mlpipe.yaml

# Structure, supported and non-overlapping platforms. Its install mode downloads the release
# URIs, so it is skipped here; krew-install-test installs the real archives offline instead.
KREW_MANIFESTS ?= dist/krew/mlpipe.yaml plugins/mlpipe.yaml
.PHONY: krew-validate
krew-validate: $(VALIDATE_KREW_MANIFEST) ## validate-krew-manifest (pinned) on dist/krew/mlpipe.yaml and plugins/mlpipe.yaml
	@for m in $(KREW_MANIFESTS); do \
		echo "validate-krew-manifest -manifest $$m -skip-install" >&2; \
		$(VALIDATE_KREW_MANIFEST) -manifest $$m -skip-install 2>&1 | sed 's/^/    /' >&2; \
		[ "$${PIPESTATUS[0]}" = 0 ] || exit 1; \
	done

.PHONY: krew-install-test
krew-install-test: $(KREW) ## kubectl krew install the snapshot in a temporary KREW_ROOT, run it through kubectl, uninstall
	TOOLS_BIN=$(TOOLS_BIN) hack/test-release.sh krew-install

.PHONY: docs
docs: ## Regenerate docs/cmd/*.md from the cobra command tree
	go run ./hack/gendocs -dir docs/cmd

.PHONY: verify-docs
verify-docs: ## Fail when docs/cmd is stale (run make docs)
	go test -count=1 -run 'TestDocsAreCurrent' ./hack/gendocs/

.PHONY: test-release
test-release: tools-release ## The release checks: goreleaser check, a host-platform snapshot, render + validate, krew install/uninstall, docs
	TOOLS_BIN=$(TOOLS_BIN) hack/test-release.sh
