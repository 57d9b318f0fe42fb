package util

import (
	"context"
	"fmt"
	"strings"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/mlpipe/kubectl-mlpipe/pkg/compiler"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonapi"
	"github.com/mlpipe/kubectl-mlpipe/pkg/validation"
)

// HasMatrix reports whether pr uses Tekton's matrix.
func HasMatrix(pr *v1.PipelineRun) bool {
	if pr.Spec.PipelineSpec == nil {
		return false
	}
	for _, list := range [][]v1.PipelineTask{pr.Spec.PipelineSpec.Tasks, pr.Spec.PipelineSpec.Finally} {
		for i := range list {
			if list[i].Matrix != nil {
				return true
			}
		}
	}
	return false
}

// FitMatrix recompiles res with every fan-out expanded when the cluster's
// Tekton does not accept its matrix: the equivalent form every release
// runs. It says so on stderr.
func FitMatrix(ctx context.Context, w interface{ Write([]byte) (int, error) }, t tektonapi.Target, doc *spec.Document, res *compiler.Result, opts compiler.Options) (*compiler.Result, error) {
	if !HasMatrix(res.PipelineRun) {
		return res, nil
	}
	ok, why := t.MatrixAllowed()
	if ok {
		return res, nil
	}
	opts.ExpandMatrix = true
	out, err := compiler.Compile(ctx, doc, opts)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "Note: %s; fanning out on the client instead (as --expand-matrix does)\n", why)
	return out, nil
}

// CheckCoschedule refuses a spec whose steps share the workspace but need
// different nodes on a cluster that puts every pod using a workspace on
// one node: one of those steps could never be scheduled.
func CheckCoschedule(t tektonapi.Target, doc *spec.Document) error {
	a, b, why := validation.WorkspaceConflict(doc.Pipeline)
	if why == "" {
		return nil
	}
	co := t.Coschedule()
	if co == "disabled" {
		return nil
	}
	if t.Flags == nil {
		// Tekton's feature flags are not readable by every user: warn, for the
		// cluster may well have coschedule disabled.
		return &unsureCoschedule{a, b, why, t.Release}
	}
	return &ExitError{Code: ExitInvalid, Err: fmt.Errorf(
		"steps %s and %s share the workspace but need different nodes (%s), and Tekton %s (as configured) coschedules with %q: its affinity assistant puts every pod using the workspace on one node, so one of them would never be scheduled. Nothing was sent. Ways out: pass files through spec.artifactStore instead of spec.workspace; give both steps the same node selector; or have the cluster's admin set %s in %s/feature-flags (and use ReadWriteMany storage)",
		a, b, why, t.Release, co, t.CoscheduleFlag(), "tekton-pipelines")}
}

// unsureCoschedule is CheckCoschedule's answer when the cluster's feature
// flags could not be read: a warning to print, not a refusal.
type unsureCoschedule struct {
	a, b, why string
	release   tektonapi.Release
}

func (u *unsureCoschedule) Error() string {
	return fmt.Sprintf("steps %s and %s share the workspace but need different nodes (%s); the feature flags of this cluster's Tekton %s could not be read, and with coschedule (the affinity assistant) on, which is the default, one of them would never be scheduled: check with 'kubectl mlpipe doctor -f' or ask the cluster's admin",
		u.a, u.b, u.why, u.release)
}

// IsWarning reports whether err from CheckCoschedule is only a warning.
func IsWarning(err error) bool {
	_, ok := err.(*unsureCoschedule)
	return ok
}

// ForTarget turns pr into what the cluster's release accepts: pr itself
// for tekton.dev/v1, else the v1beta1 conversion. A cosmetic field the
// release lacks (a description) is left out with a note; any other field
// the release would silently drop refuses the run, naming each one.
func ForTarget(ctx context.Context, w interface{ Write([]byte) (int, error) }, t tektonapi.Target, pr *v1.PipelineRun) (runtime.Object, error) {
	var obj runtime.Object = pr
	if t.API == tektonapi.V1beta1 {
		b, err := tektonapi.ToV1beta1(ctx, pr)
		if err != nil {
			return nil, fmt.Errorf("converting the PipelineRun to tekton.dev/v1beta1: %w", err)
		}
		obj = b
	}
	dropped, unknown, err := tektonapi.Fit(obj, strings.TrimPrefix(t.API, "tekton.dev/"), t.Release)
	if err != nil {
		return nil, err
	}
	if len(unknown) > 0 {
		msg := tektonapi.Describe(unknown, t.Release)
		if t.Assumed != "" {
			msg += "\n(the release was not read from the cluster: " + t.Assumed + ")"
		}
		return nil, &ExitError{Code: ExitInvalid, Err: fmt.Errorf("%s\nNothing was sent. Upgrade Tekton, or change the spec so it does not need these fields", msg)}
	}
	if len(dropped) > 0 {
		fmt.Fprintf(w, "Note: Tekton %s has no %s; left out of the run\n", t.Release, strings.Join(fieldNames(dropped), ", "))
	}
	return obj, nil
}

// fieldNames are the distinct last names of paths, e.g. "description".
func fieldNames(paths []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		n := p[strings.LastIndex(p, ".")+1:]
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
