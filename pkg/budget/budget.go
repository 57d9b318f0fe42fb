// Package budget says, before anything is sent, whether a rendered run fits
// what Kubernetes and Tekton can store and run: the size of each object
// once Tekton has written its status, and the size of a step's strings once
// they are a process's arguments. It is pure: it measures objects it is given.
package budget

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// Limits. docs/performance.md ("How big a pipeline can be") says how each
// was measured on the local cluster.
const (
	// Object is the largest object the cluster keeps: etcd refuses a write
	// over its --max-request-bytes (1.5 MiB by default), and Tekton's
	// webhook reads at most 3 MiB of AdmissionReview, which for an update
	// carries the object twice (new and old).
	Object = 1536 * 1024
	// Safe is what a render may predict for an object once Tekton has
	// written its status: Object less room for what the prediction does not
	// count (managedFields, events of the run's life, the results of steps).
	Safe = Object - 96*1024
	// Arg is Linux's limit on one argument or environment string
	// (MAX_ARG_STRLEN, 32 pages): a longer one fails exec with E2BIG.
	Arg = 128 * 1024
	// scriptWrapper is what Tekton's place-scripts init container adds
	// around a base64-encoded script in its one `sh -c` argument.
	scriptWrapper = 256
	// fixedStatus is what a finished PipelineRun's status holds besides
	// the copy of its pipeline spec and the child references: conditions,
	// times, provenance with the feature flags, Tekton's labels.
	fixedStatus = 8 * 1024
	// childReference is a childReferences entry without its names.
	childReference = len(`{"apiVersion":"tekton.dev/v1","kind":"TaskRun","name":"","pipelineTaskName":""},`)
	// taskRunOverhead is a TaskRun's metadata and status besides the copy
	// of its task spec: labels, annotations, steps' states, the pod's name.
	taskRunOverhead = 6 * 1024
)

// MaxScript is the longest script a step may have: Tekton passes it
// base64-encoded (4/3 as long) in one argument.
const MaxScript = (Arg - scriptWrapper) / 4 * 3

// ScriptArgBytes is how long a script becomes as the argument that carries it.
func ScriptArgBytes(script string) int {
	return base64.StdEncoding.EncodedLen(len(script)) + scriptWrapper
}

// Size is the length of v's JSON.
func Size(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return 0
	}
	return len(b)
}

// Estimate is a run's size as sent and once Tekton has written its status.
type Estimate struct {
	// Sent is the PipelineRun as created.
	Sent int
	// Stored is the prediction once Tekton has copied the pipeline spec
	// into status.pipelineSpec and listed every TaskRun.
	Stored int
	// Tasks is the number of TaskRuns the run creates.
	Tasks int
	// Steps are the pipeline tasks of an embedded run, measured.
	Steps []Step
}

// Fits reports whether the prediction is within Safe.
func (e Estimate) Fits() bool { return e.Stored <= Safe }

// Run predicts the stored size of pr. pipelineSpec is the spec Tekton will
// copy into the status: pr's own, or the referenced Pipeline's (nil: pr's).
// An embedded run is marshalled once, a task and a taskRunSpec at a time, so
// its steps are measured too (Estimate.Steps).
func Run(pr *v1.PipelineRun, pipelineSpec *v1.PipelineSpec) Estimate {
	ps := pipelineSpec
	if ps == nil {
		ps = pr.Spec.PipelineSpec
	}
	if ps == nil || ps != pr.Spec.PipelineSpec {
		e := Estimate{Sent: Size(pr)}
		if ps != nil {
			e.count(pr, ps)
			e.Stored += Size(ps)
		}
		return e
	}
	var e Estimate
	pod := map[string]int{}
	trs := make([]int, len(pr.Spec.TaskRunSpecs))
	for i := range pr.Spec.TaskRunSpecs {
		trs[i] = Size(&pr.Spec.TaskRunSpecs[i])
		pod[pr.Spec.TaskRunSpecs[i].PipelineTaskName] += trs[i]
	}
	lists := *ps
	lists.Tasks, lists.Finally = nil, nil
	psBytes := Size(&lists)
	for _, l := range []struct {
		name  string
		tasks []v1.PipelineTask
	}{{"tasks", ps.Tasks}, {"finally", ps.Finally}} {
		sizes := make([]int, len(l.tasks))
		for i := range l.tasks {
			sizes[i] = Size(&l.tasks[i])
			e.Steps = append(e.Steps, Step{Name: l.tasks[i].Name, Spec: sizes[i], Pod: pod[l.tasks[i].Name]})
		}
		psBytes = withList(psBytes, l.name, sizes)
	}
	// The run around an empty pipeline spec ({}) and no taskRunSpecs: the
	// spec keeps a field, so the list that is added back needs its comma.
	rest := *pr
	rest.Spec.PipelineSpec, rest.Spec.TaskRunSpecs = &v1.PipelineSpec{}, nil
	e.Sent = withList(Size(&rest)-len(`{}`)+psBytes, "taskRunSpecs", trs)
	e.count(pr, ps)
	e.Stored += psBytes
	return e
}

// withList is the size of an object of obj bytes once a list field with
// items of the given sizes is added to it (nothing when there are none).
func withList(obj int, field string, items []int) int {
	if len(items) == 0 {
		return obj
	}
	n := obj + len(`"`+field+`":[]`) + len(items) - 1
	for _, s := range items {
		n += s
	}
	if obj > len(`{}`) {
		n += len(`,`)
	}
	return n
}

// count adds to e.Stored what Tekton writes besides the pipeline spec copy:
// a child reference per TaskRun and the fixed status.
func (e *Estimate) count(pr *v1.PipelineRun, ps *v1.PipelineSpec) {
	run := len(pr.Name)
	if run == 0 {
		run = len(pr.GenerateName) + 5
	}
	children := 0
	for _, tasks := range [][]v1.PipelineTask{ps.Tasks, ps.Finally} {
		for _, t := range tasks {
			n := 1
			if t.IsMatrixed() {
				n = t.Matrix.CountCombinations()
			}
			e.Tasks += n
			// name is <run>-<task>[-<index>]
			children += n * (childReference + run + 1 + 2*len(t.Name) + 4)
		}
	}
	e.Stored = e.Sent + children + fixedStatus
}

// Step is one pipeline task of an embedded run, measured.
type Step struct {
	Name string
	// Spec is the pipeline task (task spec, params, name, order) and Pod
	// its taskRunSpecs entries, as JSON bytes.
	Spec, Pod int
}

// TaskRun predicts the stored size of the step's TaskRun once Tekton has
// written its status: the task spec is there once (referenced) or twice
// (embedded: in spec and status).
func (s Step) TaskRun(referenced bool) int {
	n := s.Spec + s.Pod + taskRunOverhead
	if !referenced {
		n += s.Spec
	}
	return n
}

// Over lists the steps whose TaskRun would be over limit.
func (e Estimate) Over(limit int, referenced bool) []Step {
	var out []Step
	for _, s := range e.Steps {
		if s.TaskRun(referenced) > limit {
			out = append(out, s)
		}
	}
	return out
}

// Human writes n bytes as kubectl users read sizes: 1.2 MiB, 380 KiB, 512 B.
func Human(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", (n+512)>>10)
	}
	return fmt.Sprintf("%d B", n)
}
