// Package tektonvalidate runs Tekton's own SetDefaults and Validate on what
// the renderer produced, offline. A failure here is a renderer bug, never
// the user's: the spec already passed our validation.
//
// Full runs them on the whole PipelineRun, which costs a few milliseconds
// per task (Tekton compiles regular expressions for every string of every
// step). PipelineRun gives the same verdict faster: it validates the
// pipeline's skeleton once and each distinct task shape once (fast.go).
package tektonvalidate

import (
	"context"
	"fmt"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// PlaceholderName stands in for the name a run gets from generateName,
// which Tekton's validation requires.
const PlaceholderName = "mlpipe-validate-placeholder"

// BugError reports that a rendered object failed Tekton's validation.
type BugError struct {
	Err error
}

func (e *BugError) Error() string {
	return fmt.Sprintf("internal error: the rendered PipelineRun fails Tekton's validation; this is a bug in kubectl-mlpipe, please report it with your spec: %v", e.Err)
}

func (e *BugError) Unwrap() error { return e.Err }

// PipelineRun defaults and validates a deep copy of pr as Tekton's webhook
// would, with the feature flags in ctx (Tekton's defaults when none). It
// rejects exactly the objects Full rejects; objects outside the shapes the
// fast path understands are handed to Full.
func PipelineRun(ctx context.Context, pr *v1.PipelineRun) error {
	fe, ok := fast(ctx, pr)
	if !ok {
		return Full(ctx, pr)
	}
	if fe != nil {
		return &BugError{Err: fe}
	}
	return nil
}

// Full is the reference: SetDefaults and Validate on a deep copy of the
// whole object, as Tekton's admission webhook runs them.
func Full(ctx context.Context, pr *v1.PipelineRun) error {
	c := pr.DeepCopy()
	if c.Name == "" {
		c.Name = PlaceholderName
	}
	c.SetDefaults(ctx)
	if fe := c.Validate(ctx); fe != nil {
		return &BugError{Err: fe}
	}
	return nil
}
