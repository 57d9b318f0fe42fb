#!/usr/bin/env bash
# The release checks (`make test-release`), offline once the pinned tools are built:
#   1. goreleaser check
#   2. a goreleaser snapshot for this machine's platform (DIST_TARGET=all: every platform)
#   3. krew.yaml rendered for it (hack/krew-render) + validate-krew-manifest on the result and
#      on plugins/mlpipe.yaml
#   4. a real `kubectl krew install --manifest --archive` in a temporary KREW_ROOT: plain
#      `kubectl mlpipe version` through kubectl's plugin discovery prints the snapshot's version,
#      completion works through kubectl and the shim, and `kubectl krew uninstall` leaves nothing
#   5. the release tooling's Go tests: template/goreleaser drift, plugins/mlpipe.yaml, docs freshness
#
#   hack/test-release.sh               all of it (make test-release builds the tools first)
#   hack/test-release.sh krew-install  step 4 alone, on what is in dist/ (make krew-install-test)
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS_BIN=${TOOLS_BIN:-$PWD/bin/tools}
host="$(go env GOOS)_$(go env GOARCH)"

step_start=0
step() { step_start=$SECONDS; echo "=== $*" >&2; }
done_step() { echo "    ok ($((SECONDS - step_start))s)" >&2; }
fail() { echo "FAIL: $*" >&2; exit 1; }

meta() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" dist/metadata.json; }

# krew_install_test installs every archive in dist/ with krew from the rendered manifest, each in
# a fresh KREW_ROOT. The host's archive is run through kubectl; the others are installed as krew
# would on their os/arch (KREW_OS/KREW_ARCH), which is validate-krew-manifest's install check
# (LICENSE extracted) without its downloads.
krew_install_test() {
	local manifest=dist/krew/mlpipe.yaml tag version
	[ -f "$manifest" ] || fail "no $manifest: run make dist krew-render first"
	[ -x "$TOOLS_BIN/kubectl-krew" ] || fail "no $TOOLS_BIN/kubectl-krew: run make tools-release"
	tag=$(meta tag) version=$(meta version)
	local kubectl; kubectl=$(command -v kubectl) || fail "kubectl is not on PATH"

	local tmp; tmp=$(mktemp -d)
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" EXIT
	# krew and kubectl run with PATH: krew's bin dir, then kubectl and our krew, then the caller's
	# PATH without any directory holding another kubectl-mlpipe (bin/ after `make build`, an earlier
	# install) or krew. The script's own tools keep the caller's PATH.
	mkdir "$tmp/bin"
	ln -s "$kubectl" "$tmp/bin/kubectl"
	ln -s "$TOOLS_BIN/kubectl-krew" "$tmp/bin/kubectl-krew"
	local clean=() dirs d
	IFS=: read -ra dirs <<<"$PATH"
	for d in "${dirs[@]}"; do
		if [ -z "$d" ] || [ ! -d "$d" ]; then continue; fi
		compgen -G "$d/kubectl[-_]*mlpipe*" >/dev/null || [ -e "$d/kubectl-krew" ] || clean+=("$d")
	done
	local base_path; base_path="$tmp/bin:$(IFS=:; echo "${clean[*]}")"
	in_krew() { (PATH="$KREW_ROOT/bin:$base_path" && "$@"); }
	export KREW_NO_UPGRADE_CHECK=1 KUBECONFIG=/nonexistent/kubeconfig

	# This repository as a custom krew index, offline: a git repository holding plugins/ (a copy,
	# so that uncommitted changes count). krew also needs some index to uninstall.
	mkdir "$tmp/index"
	cp -r plugins "$tmp/index/"
	git -C "$tmp/index" init -q
	git -C "$tmp/index" add plugins
	git -C "$tmp/index" -c user.name=test -c user.email=test@localhost commit -qm index

	local archive n=0
	for archive in dist/kubectl-mlpipe_"$tag"_*.tar.gz; do
		[ -f "$archive" ] || fail "no dist/kubectl-mlpipe_${tag}_*.tar.gz"
		n=$((n + 1))
		local plat=${archive#dist/kubectl-mlpipe_"$tag"_}; plat=${plat%.tar.gz}
		local os=${plat%_*} arch=${plat#*_}
		export KREW_ROOT="$tmp/krew-$plat"
		if [ "$plat" = "$host" ]; then
			unset KREW_OS KREW_ARCH
		else
			export KREW_OS=$os KREW_ARCH=$arch
		fi
		echo "    kubectl krew install --manifest=$manifest --archive=$archive  (KREW_ROOT=\$tmp/krew-$plat${KREW_OS:+, KREW_OS=$os KREW_ARCH=$arch})" >&2
		! in_krew command -v kubectl-mlpipe >/dev/null || fail "a kubectl-mlpipe is on PATH before the install: $(in_krew command -v kubectl-mlpipe)"
		in_krew kubectl krew index add mlpipe "$tmp/index" >"$tmp/index.log" 2>&1 ||
			{ cat "$tmp/index.log" >&2; fail "kubectl krew index add mlpipe <this repository>"; }
		in_krew kubectl krew install --manifest="$manifest" --archive="$archive" >"$tmp/install.log" 2>&1 ||
			{ cat "$tmp/install.log" >&2; fail "kubectl krew install ($plat)"; }
		local store="$KREW_ROOT/store/mlpipe/$tag"
		[ -f "$store/LICENSE" ] || fail "$plat: no LICENSE extracted into the krew store (krew-index CI requires one)"
		[ -x "$store/kubectl_complete-mlpipe" ] || fail "$plat: the completion shim is not in the archive, or not executable"

		if [ "$plat" = "$host" ]; then
			local info; info=$(in_krew kubectl krew info mlpipe/mlpipe 2>&1) || fail "kubectl krew info mlpipe/mlpipe: $info"
			grep -qx "VERSION: $(sed -n 's/^  version: //p' plugins/mlpipe.yaml)" <<<"$info" ||
				fail "kubectl krew info mlpipe/mlpipe (custom index from plugins/) does not show plugins/mlpipe.yaml's version: $info"
			echo "    kubectl krew index add mlpipe <repo>; kubectl krew info mlpipe/mlpipe: ok" >&2
			[ "$(in_krew command -v kubectl-mlpipe)" = "$KREW_ROOT/bin/kubectl-mlpipe" ] || fail "kubectl-mlpipe on PATH is $(in_krew command -v kubectl-mlpipe), not krew's link"
			# (no `| grep -q` on a live command: with pipefail, grep quitting early fails the pipe)
			local list; list=$(in_krew kubectl plugin list 2>/dev/null) || true
			grep -qxF "$KREW_ROOT/bin/kubectl-mlpipe" <<<"$list" || fail "kubectl plugin list does not show krew's kubectl-mlpipe: $list"
			local out; out=$(in_krew kubectl mlpipe version) || fail "kubectl mlpipe version"
			echo "    kubectl mlpipe version: $out" >&2
			[[ $out == "kubectl-mlpipe v$version "* ]] || fail "kubectl mlpipe version printed \"$out\", want the snapshot's version v$version"

			# Completion through kubectl: `kubectl __complete mlpipe …` is what kubectl's own
			# completion script runs on `kubectl mlpipe <TAB>`; kubectl hands it to the shim on PATH
			# (copied next to the plugin, as the krew caveats tell users to).
			cp "$store/kubectl_complete-mlpipe" "$KREW_ROOT/bin/"
			local comp; comp=$(in_krew kubectl __complete mlpipe "" 2>/dev/null)
			for want in render validate schema version completion; do
				grep -q "^$want"$'\t' <<<"$comp" || fail "kubectl __complete mlpipe \"\" does not offer $want; got: $comp"
			done
			comp=$(in_krew kubectl __complete mlpipe render --fil 2>/dev/null)
			grep -q '^--filename' <<<"$comp" || fail "kubectl __complete mlpipe render --fil does not offer --filename; got: $comp"
			comp=$(in_krew kubectl mlpipe completion bash)
			grep -q '__start_kubectl-mlpipe' <<<"$comp" || fail "kubectl mlpipe completion bash prints no bash completion"
			echo "    completion through kubectl and the shim: ok" >&2
			rm "$KREW_ROOT/bin/kubectl_complete-mlpipe" # the user's copy; krew does not own it
		fi

		in_krew kubectl krew uninstall mlpipe >"$tmp/uninstall.log" 2>&1 ||
			{ cat "$tmp/uninstall.log" >&2; fail "kubectl krew uninstall mlpipe ($plat)"; }
		local left; left=$(find "$KREW_ROOT" -path "$KREW_ROOT/index" -prune -o -name '*mlpipe*' -print)
		[ -z "$left" ] || fail "$plat: kubectl krew uninstall left behind: $left"
		if [ "$plat" = "$host" ]; then
			! in_krew kubectl mlpipe version >/dev/null 2>&1 || fail "kubectl still finds mlpipe after the uninstall"
		fi
	done
	echo "    installed, ran and uninstalled $n archive(s) with no network" >&2
}

if [ "${1:-}" = krew-install ]; then
	krew_install_test
	exit 0
fi

total_start=$SECONDS
target=${DIST_TARGET-$host}
[ "$target" = all ] && target=

step "goreleaser check"
make --no-print-directory release-check
done_step

step "goreleaser snapshot (${target:-every platform}) into dist/"
make --no-print-directory dist DIST_TARGET="$target"
for f in dist/*.tar.gz; do printf '    %10d  %s\n' "$(wc -c <"$f")" "$f" >&2; done
done_step

step "render krew.yaml for the snapshot, validate-krew-manifest"
make --no-print-directory krew-render DIST_TARGET="$target"
make --no-print-directory krew-validate
done_step

step "kubectl krew install / kubectl mlpipe version / kubectl krew uninstall"
krew_install_test
done_step

step "release tooling tests: template vs goreleaser drift, plugins/mlpipe.yaml, docs freshness (verify-docs)"
go test -count=1 ./hack/krew-render/ ./hack/gendocs/
done_step

echo "=== release checks passed in $((SECONDS - total_start))s" >&2
