#!/usr/bin/env bash
# The core end-to-end cases on other Tekton Pipelines releases: each gets a
# KWOK-only local cluster of its own (folder and ports apart from the
# default one), which the suite starts, checks and stops.
#
#   hack/test-releases.sh                      # the releases CI runs
#   TEKTON_RELEASES="v0.44.0 v0.59.6" hack/test-releases.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# make test runs the oldest (v1beta1 only, converted); make test-matrix runs all.
RELEASES=${TEKTON_RELEASES:-v0.38.3}
# Every example to its end, GPU placement, the unschedulable diagnosis, a
# failing step, describe, logs, list, cancel, and what each release refuses.
CORE='^(TestExamplesSucceedOnTheirNodes|TestTrainingGPUStepOnGPUNode|TestGPUWithoutTolerationIsUnschedulable|TestRunCreatesOneRun|TestRunWaitTrainingSucceeds|TestRunWaitFailingStep|TestRunWaitReportsUnschedulableAndTimesOut|TestLogs|TestListRunsOfTwoPipelines|TestCancelEndsARun|TestRunNamesAsKubectlPrintsThem|TestRunFitsTheClusterRelease|TestReferencedModeLifecycle|TestDoctor.*)$'

set -- $RELEASES
i=0 n=$#
for v in "$@"; do
	i=$((i + 1))
	echo "[$i/$n] e2e core cases on Tekton Pipelines $v (KWOK nodes)" >&2
	start=$SECONDS
	# A discovery cache of its own: these ports served another release
	# before, and kubectl would ask for an API version this one lacks.
	cachedir=$(mktemp -d)
	KUBECACHEDIR=$cachedir MLPIPE_TEKTON_VERSION=$v MLPIPE_CLUSTER_REAL_NODES=0 \
		MLPIPE_CLUSTER_DIR=/tmp/mlpipe-cluster-$v MLPIPE_CLUSTER_PORT_BASE=$((18400 + 100 * i)) \
		go test -tags e2e -count=1 -timeout 30m -parallel 6 -v -run "$CORE" ./test/e2e/ || { rm -rf "$cachedir"; exit 1; }
	rm -rf "$cachedir"
	echo "[$i/$n] Tekton Pipelines $v: passed in $((SECONDS - start))s" >&2
done
