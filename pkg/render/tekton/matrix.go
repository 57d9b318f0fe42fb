package tekton

import (
	"fmt"
	"strings"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/mlpipe/kubectl-mlpipe/pkg/model"
	"github.com/mlpipe/kubectl-mlpipe/pkg/refs"
)

// tektonFanOut is the fan-out s is an instance of, when Tekton's matrix runs it.
func (r *renderer) tektonFanOut(s *model.Step) *model.FanOut {
	if s.Instance == nil {
		return nil
	}
	if f := r.m.FanOut(s.Instance.Of); f != nil && f.Tekton {
		return f
	}
	return nil
}

// taskName is the pipeline task a step runs as: its own name, or, for an
// instance Tekton's matrix runs, the fanned-out step's.
func (r *renderer) taskName(step string) string {
	if r.taskNames == nil {
		// Once per render: looked up for every step's every dependency.
		r.taskNames = make(map[string]string, len(r.m.Steps))
		for _, s := range r.m.Steps {
			if f := r.tektonFanOut(s); f != nil {
				r.taskNames[s.Name] = f.Step
			}
		}
	}
	if name, ok := r.taskNames[step]; ok {
		return name
	}
	return step
}

// matrixTask is one pipeline task that Tekton fans out: instance 0's task,
// named after the step, with the matrix keys as matrix params.
func (r *renderer) matrixTask(f *model.FanOut, tp *field.Path) v1.PipelineTask {
	first := len(r.exp)
	pt := r.task(f.Instances[0], tp)
	for i := first; i < len(r.exp); i++ {
		if r.exp[i].Step == f.Instances[0].Name {
			r.exp[i].Step = f.Step
		}
	}
	pt.Name = f.Step
	pt.TaskSpec.Metadata.Labels[LabelStep] = f.Step
	r.explainFanOut(f, tp.Child("matrix"))
	matrixParams := map[string]bool{}
	pt.Matrix = &v1.Matrix{}
	for _, k := range f.Keys {
		name, _ := internalParam(refs.Ref{Kind: refs.MatrixValue, Name: k})
		matrixParams[name] = true
		var values []string
		seen := map[string]bool{}
		for _, in := range f.Instances {
			if v := in.Instance.Values[k]; !seen[v] {
				seen[v] = true
				values = append(values, v)
			}
		}
		pt.Matrix.Params = append(pt.Matrix.Params, v1.Param{Name: name, Value: *v1.NewStructuredValues(values[0], values[1:]...)})
	}
	var params v1.Params
	for _, p := range pt.Params {
		if !matrixParams[p.Name] {
			params = append(params, p)
		}
	}
	pt.Params = params
	// A key the step never reads still fans it out: Tekton needs a string
	// param of that name on the task.
	declared := map[string]bool{}
	for _, p := range pt.TaskSpec.Params {
		declared[p.Name] = true
	}
	for name := range matrixParams {
		if !declared[name] {
			pt.TaskSpec.Params = append(pt.TaskSpec.Params, v1.ParamSpec{Name: name, Type: v1.ParamTypeString})
		}
	}
	return pt
}

// aggregate is the value of $(steps.STEP.outputs.NAME[*]): a JSON array of
// every instance's output, in instance order.
func (r *renderer) aggregate(ref refs.Ref) string {
	f := r.m.FanOut(ref.Step)
	if f == nil {
		return ref.Text
	}
	parts := make([]string, len(f.Instances))
	for i, in := range f.Instances {
		if lit, ok := r.literal(refs.Ref{Kind: refs.StepOutput, Step: in.Name, Name: ref.Name}); ok {
			parts[i] = `"` + lit + `"`
			continue
		}
		parts[i] = `"$(tasks.` + in.Name + `.results.` + ref.Name + `)"`
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// explainFanOut lists the instances (the first eight and the last of a big
// fan-out), and at is where Tekton's matrix holds them, if it does.
func (r *renderer) explainFanOut(f *model.FanOut, at *field.Path) {
	var names []string
	for i, in := range f.Instances {
		n := len(f.Instances)
		if n > 10 && i >= 8 && i < n-1 {
			if i == 8 {
				names = append(names, fmt.Sprintf("… %d more", n-9))
			}
			continue
		}
		names = append(names, in.Name+" ("+model.DescribeCombination(in.Instance.Values)+")")
	}
	how := "expanded into one task each: " + f.Why
	if f.Tekton {
		how = "one task that Tekton's matrix fans out"
	}
	r.explain(f.Path.Child("matrix").String(), at, f.Step, fmt.Sprintf("%d instances, %s: %s", len(f.Instances), how, strings.Join(names, ", ")))
}
