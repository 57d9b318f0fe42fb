package compiler

import (
	"fmt"
	"strings"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/mlpipe/kubectl-mlpipe/pkg/budget"
	"github.com/mlpipe/kubectl-mlpipe/pkg/model"
	"github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

// Modes a run is sent in.
const (
	// ModeAuto embeds the pipeline when it fits the budget, else refers to it.
	ModeAuto = "auto"
	// ModeEmbedded sends one PipelineRun with the pipeline and tasks inside.
	ModeEmbedded = "embedded"
	// ModeReferenced sends Tasks and a Pipeline named by content hash, and a
	// PipelineRun that names the Pipeline.
	ModeReferenced = "referenced"
)

// Modes are the values --mode takes.
var Modes = []string{ModeAuto, ModeEmbedded, ModeReferenced}

// Size is what a render's size allows.
type Size struct {
	// Embedded is the embedded run, as sent and as predicted once stored.
	Embedded budget.Estimate
	// Over says why the embedded run does not fit; "" when it does.
	Over string
}

// sizeOf measures an embedded run against the budget.
func sizeOf(pr *v1.PipelineRun) Size {
	s := Size{Embedded: budget.Run(pr, nil)}
	if !s.Embedded.Fits() {
		s.Over = fmt.Sprintf("the run would be %s once Tekton copies its pipeline into its status (%s as sent, %d TaskRuns), over the %s budget for one object",
			budget.Human(s.Embedded.Stored), budget.Human(s.Embedded.Sent), s.Embedded.Tasks, budget.Human(budget.Safe))
		return s
	}
	if over := s.Embedded.Over(budget.Safe, false); len(over) > 0 {
		s.Over = fmt.Sprintf("step %s's TaskRun would be %s embedded (Tekton stores its task spec twice), over the %s budget for one object", over[0].Name, budget.Human(over[0].TaskRun(false)), budget.Human(budget.Safe))
	}
	return s
}

// checkSteps refuses a step whose TaskRun cannot be stored in any mode: its
// task spec, params and pod settings alone are over the object limit.
func checkSteps(doc *spec.Document, m *model.Model, pr *v1.PipelineRun, e budget.Estimate) error {
	over := e.Over(budget.Object, true)
	if len(over) == 0 {
		return nil
	}
	paths := map[string]*field.Path{}
	for _, s := range m.All() {
		name := s.Name
		if s.Instance != nil {
			name = s.Instance.Of
		}
		if paths[name] == nil {
			paths[name] = s.Path
		}
		if paths[s.Name] == nil {
			paths[s.Name] = s.Path
		}
	}
	var errs field.ErrorList
	for _, st := range over {
		p := paths[st.Name]
		if p == nil {
			p = field.NewPath("spec", "steps")
		}
		errs = append(errs, &field.Error{Type: field.ErrorTypeTooLong, Field: p.String(), BadValue: field.OmitValueType{},
			Detail: fmt.Sprintf("step %s's TaskRun would be %s, over the %s the cluster stores in one object (etcd's limit): make its script, env, args or params smaller, or pass data through files",
				st.Name, budget.Human(st.TaskRun(true)), budget.Human(budget.Object))})
	}
	if len(errs) == 0 {
		return nil
	}
	return &spec.InvalidError{Diagnostics: doc.Locate(errs, spec.SeverityError)}
}

// Referenced splits an embedded run into referenced form and checks that each
// object can be stored: an error when one cannot be created at all, a
// warning (not fatal) when the run could be created but Tekton could not
// record its status as it goes.
func Referenced(pr *v1.PipelineRun, pipeline string) (ref *tekton.Referenced, warning string, err error) {
	ref = tekton.Reference(pr)
	if n := budget.Size(ref.Pipeline); n > budget.Object {
		return nil, "", fmt.Errorf("even in referenced mode the Pipeline of %s would be %s, over the %s the cluster stores in one object: split the pipeline", pipeline, budget.Human(n), budget.Human(budget.Object))
	}
	for _, t := range ref.Tasks {
		if n := budget.Size(t); n > budget.Object {
			return nil, "", fmt.Errorf("the Task %s would be %s, over the %s the cluster stores in one object", t.Name, budget.Human(n), budget.Human(budget.Object))
		}
	}
	if e := budget.Run(ref.Run, &ref.Pipeline.Spec); !e.Fits() {
		warning = fmt.Sprintf("even in referenced mode the run would be %s once Tekton copies its pipeline into its status (%d TaskRuns), over the %s budget: Tekton would fail to record its progress. Split the pipeline",
			budget.Human(e.Stored), e.Tasks, budget.Human(budget.Safe))
	}
	return ref, warning, nil
}

// ChooseMode resolves --mode for res: whether to send it referenced, and
// a note for stderr when auto switched.
func ChooseMode(mode string, res *Result) (referenced bool, note string, err error) {
	switch mode {
	case ModeReferenced:
		return true, "", nil
	case ModeEmbedded:
		return false, "", nil
	case ModeAuto, "":
		if res.Size.Over == "" {
			return false, "", nil
		}
		return true, res.Size.Over + "; sending Tasks and a Pipeline the run refers to instead (referenced mode; --mode embedded to force)", nil
	}
	return false, "", fmt.Errorf("--mode must be one of %s, not %q", strings.Join(Modes, ", "), mode)
}

// SizeWarnings are what validate says of a run's size: over the embedded
// budget (run sends it referenced), and over what Tekton can record even
// so. They point at spec.steps.
func SizeWarnings(res *Result) spec.Diagnostics {
	if res.Size.Over == "" {
		return nil
	}
	at := field.NewPath("spec", "steps")
	errs := field.ErrorList{field.Invalid(at, "", res.Size.Over+"; run and render send it in referenced mode (Tasks and a Pipeline the run names; see --mode)")}
	if _, warning, err := Referenced(res.PipelineRun, res.Model.Name); err != nil {
		errs = append(errs, field.Invalid(at, "", err.Error()))
	} else if warning != "" {
		errs = append(errs, field.Invalid(at, "", warning))
	}
	return res.Doc.Locate(errs, spec.SeverityWarning)
}
