//go:build e2e

package e2e

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonapi"
)

// release is the Tekton Pipelines release the local cluster runs
// (MLPIPE_TEKTON_VERSION, as for make cluster-up; else the pinned one).
func release(t *testing.T) tektonapi.Release {
	t.Helper()
	v := os.Getenv("MLPIPE_TEKTON_VERSION")
	if v == "" {
		v = tektonapi.TrackedReleases[len(tektonapi.TrackedReleases)-1]
	}
	return tektonapi.MustParse(v)
}

const spreadSpec = `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: spread}
spec:
  image: busybox:1.36
  settings:
    resources: {cpu: 50m, memory: 32Mi}
    pod:
      nodeSelector: {node-pool: cpu}
      topologySpreadConstraints: [{maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway}]
  steps:
    - {name: a, command: [echo, a]}
`

const sharedWorkspaceSpec = `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: shared}
spec:
  image: busybox:1.36
  workspace: {size: 64Mi}
  steps:
    - {name: prep, command: [echo], settings: {pod: {nodeSelector: {node-pool: cpu}}}}
    - {name: train, command: [echo], after: [prep], settings: {pod: {nodeSelector: {node-pool: gpu}}}}
`

const fanOutSpec = `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: fan}
spec:
  image: busybox:1.36
  settings:
    resources: {cpu: 50m, memory: 32Mi}
    pod: {nodeSelector: {node-pool: cpu}}
  steps:
    - name: train
      matrix: {lr: ["0.1", "0.01"]}
      command: [echo, $(matrix.lr)]
`

// run sends what the cluster's release accepts: v1beta1 where v1 is not
// served, the matrix fanned out on the client where the release refuses it,
// and, before any write, a refusal naming a field the release would drop or
// a placement its affinity assistant makes impossible.
func TestRunFitsTheClusterRelease(t *testing.T) {
	t.Parallel()
	rel := release(t)
	ns := namespace(t)
	none := func(what string) {
		t.Helper()
		if got := kubectl(t, "", "get", "pipelineruns", "-n", ns, "-o", "name"); got.Code != 0 || strings.TrimSpace(got.Stdout) != "" {
			t.Fatalf("%s: the namespace holds runs (exit %d): %q %s", what, got.Code, got.Stdout, got.Stderr)
		}
	}

	wantAPI := tektonapi.V1
	if rel.Less(tektonapi.MustParse("v0.44.0")) {
		wantAPI = tektonapi.V1beta1
	}
	r := must(t, mlpipe(t, "", "render", "--for-cluster", "-f", "examples/minimal.yaml"), "render --for-cluster")
	if !strings.HasPrefix(r.Stdout, "apiVersion: "+wantAPI+"\n") {
		t.Fatalf("render --for-cluster on %s:\n%s", rel, r.Stdout)
	}

	r = mlpipe(t, spreadSpec, "run", "-n", ns, "-f", "-", "--dry-run=server")
	if rel.Less(tektonapi.MustParse("v0.44.0")) {
		if r.Code != 2 || !strings.Contains(r.Stderr, "Tekton Pipelines "+rel.String()+" would silently drop") || !strings.Contains(r.Stderr, "topologySpreadConstraints needs Tekton v0.44.0 or later") {
			t.Fatalf("topologySpreadConstraints on %s: exit %d\n%s", rel, r.Code, r.Stderr)
		}
		r = mlpipe(t, spreadSpec, "run", "-n", ns, "-f", "-")
		if r.Code != 2 {
			t.Fatalf("run: exit %d\n%s", r.Code, r.Stderr)
		}
		none("a refused field")
	} else {
		must(t, r, "topologySpreadConstraints on "+rel.String())
	}

	r = mlpipe(t, sharedWorkspaceSpec, "run", "-n", ns, "-f", "-")
	if r.Code != 2 || !strings.Contains(r.Stderr, "share the workspace but need different nodes") || !strings.Contains(r.Stderr, "spec.artifactStore") {
		t.Fatalf("steps that share the workspace on different nodes: exit %d\n%s", r.Code, r.Stderr)
	}
	none("a workspace no node can hold for both steps")

	r = must(t, mlpipe(t, fanOutSpec, "run", "-n", ns, "-f", "-", "--wait", "--timeout", "3m"), "run a fan-out")
	name := runName(t, r.Stdout)
	if ok, _ := (tektonapi.Target{Release: rel}).MatrixAllowed(); ok == strings.Contains(r.Stderr, "fanning out on the client") {
		t.Fatalf("matrix allowed on %s: %v; stderr:\n%s", rel, ok, r.Stderr)
	}
	d := must(t, mlpipe(t, "", "describe", "-n", ns, name), "describe").Stdout
	for _, want := range []string{"train-0", "train-1", "Succeeded"} {
		if !strings.Contains(d, want) {
			t.Errorf("describe lacks %q:\n%s", want, d)
		}
	}
	waitDone(t, ns, name, time.Minute)
}
