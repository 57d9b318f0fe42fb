// Package compiler joins the pure stages: loaded spec → validated spec →
// model → Tekton PipelineRun, checked by Tekton's own validation.
package compiler

import (
	"context"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"

	"github.com/mlpipe/kubectl-mlpipe/pkg/model"
	"github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonvalidate"
	"github.com/mlpipe/kubectl-mlpipe/pkg/validation"
)

// Result is one compiled pipeline.
type Result struct {
	Doc         *spec.Document
	Model       *model.Model
	PipelineRun *v1.PipelineRun
	Explain     []tekton.Explanation
	// Warnings are problems that do not stop the render.
	Warnings spec.Diagnostics
	// Size is the embedded run's size against the budget.
	Size Size
}

// Options tune a compile.
type Options struct {
	// Params are the -p overrides.
	Params map[string]string
	// Name, when set, names the run instead of generateName.
	Name string
	// SkipTektonValidation leaves out Tekton's own checks (benchmarks only).
	SkipTektonValidation bool
	// ExpandMatrix expands every fan-out on the client, for clusters whose
	// Tekton refuses its (beta) matrix.
	ExpandMatrix bool
	// Explain fills Result.Explain (render --explain).
	Explain bool
}

// Check validates doc and returns its diagnostics, errors and warnings together.
func Check(doc *spec.Document) spec.Diagnostics {
	res := validation.Validate(doc.Pipeline)
	ds := doc.Locate(res.Errors, spec.SeverityError)
	ds = append(ds, doc.Locate(res.Warnings, spec.SeverityWarning)...)
	ds.Sort()
	return ds
}

// Compile validates, models, renders and Tekton-validates one document.
// An invalid spec gives *spec.InvalidError, a bad -p gives *model.ParamError,
// and a render Tekton rejects gives *tektonvalidate.BugError.
func Compile(ctx context.Context, doc *spec.Document, opts Options) (*Result, error) {
	ds := Check(doc)
	if len(ds.Errors()) > 0 {
		return nil, &spec.InvalidError{Diagnostics: ds}
	}
	m, err := model.Build(doc.Pipeline, opts.Params)
	if err != nil {
		return nil, err
	}
	if opts.ExpandMatrix {
		m.ExpandAllMatrices("--expand-matrix")
	}
	pr, exp := tekton.Render(m, tekton.Options{Name: opts.Name, Explain: opts.Explain})
	size := sizeOf(pr)
	if err := checkSteps(doc, m, pr, size.Embedded); err != nil {
		return nil, err
	}
	if !opts.SkipTektonValidation {
		if err := tektonvalidate.PipelineRun(ctx, pr); err != nil {
			return nil, err
		}
	}
	return &Result{Doc: doc, Model: m, PipelineRun: pr, Explain: exp, Warnings: ds.Warnings(), Size: size}, nil
}

// Rerender renders res.Model again, after pkg/reuse marked the steps that
// will not run, and checks the result with Tekton's validation.
func Rerender(ctx context.Context, res *Result, opts Options) error {
	pr, exp := tekton.Render(res.Model, tekton.Options{Name: opts.Name, Explain: opts.Explain})
	if !opts.SkipTektonValidation {
		if err := tektonvalidate.PipelineRun(ctx, pr); err != nil {
			return err
		}
	}
	res.PipelineRun, res.Explain, res.Size = pr, exp, sizeOf(pr)
	return nil
}
