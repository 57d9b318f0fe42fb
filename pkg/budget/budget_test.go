package budget

import (
	"strings"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

func TestScriptLimitIsTheArgumentLimit(t *testing.T) {
	if n := ScriptArgBytes(strings.Repeat("x", MaxScript)); n > Arg {
		t.Errorf("a script of MaxScript bytes becomes a %d-byte argument, over %d", n, Arg)
	}
	if n := ScriptArgBytes(strings.Repeat("x", MaxScript+3)); n <= Arg {
		t.Errorf("a script just over MaxScript becomes %d bytes, within %d: MaxScript is not the limit", n, Arg)
	}
}

// The prediction counts the pipeline twice (spec and Tekton's status copy)
// and a child reference per TaskRun, matrix instances included.
func TestRunPrediction(t *testing.T) {
	pr := &v1.PipelineRun{}
	pr.GenerateName = "p-"
	pr.Spec.PipelineSpec = &v1.PipelineSpec{}
	for i := 0; i < 10; i++ {
		pr.Spec.PipelineSpec.Tasks = append(pr.Spec.PipelineSpec.Tasks, v1.PipelineTask{Name: "t", TaskSpec: &v1.EmbeddedTask{TaskSpec: v1.TaskSpec{Steps: []v1.Step{{Script: strings.Repeat("x", 1000)}}}}})
	}
	e := Run(pr, nil)
	if e.Tasks != 10 || e.Stored < 2*e.Sent || !e.Fits() {
		t.Errorf("%+v", e)
	}
	pr.Spec.PipelineSpec.Tasks[0].Matrix = &v1.Matrix{Params: v1.Params{{Name: "a", Value: *v1.NewStructuredValues("1", "2", "3")}}}
	if e2 := Run(pr, nil); e2.Tasks != 12 {
		t.Errorf("a matrix of 3 counts %d TaskRuns in all, want 12", e2.Tasks)
	}
	if len(e.Steps) != 10 || e.Steps[1].TaskRun(false)-e.Steps[1].TaskRun(true) < 1000 {
		t.Errorf("embedded TaskRuns hold the task spec twice: %+v", e.Steps)
	}
}

func TestHuman(t *testing.T) {
	for n, want := range map[int]string{512: "512 B", 2048: "2 KiB", 1536 * 1024: "1.5 MiB"} {
		if got := Human(n); got != want {
			t.Errorf("Human(%d) = %q, want %q", n, got, want)
		}
	}
}

// Run marshals an embedded pipeline spec once; what it counts as sent must
// still be exactly the run's JSON, whatever else the spec holds.
func TestRunSentIsExact(t *testing.T) {
	pr := &v1.PipelineRun{}
	pr.Name = "p-abcde"
	pr.Spec.PipelineSpec = &v1.PipelineSpec{Tasks: []v1.PipelineTask{{Name: "a", TaskSpec: &v1.EmbeddedTask{TaskSpec: v1.TaskSpec{Steps: []v1.Step{{Script: "echo hi"}}}}}}}
	if e := Run(pr, nil); e.Sent != Size(pr) || e.Stored <= 2*Size(pr.Spec.PipelineSpec) {
		t.Errorf("spec with only a pipelineSpec: sent %d, JSON is %d bytes; stored %d", e.Sent, Size(pr), e.Stored)
	}
	pr.Spec.TaskRunSpecs = []v1.PipelineTaskRunSpec{{PipelineTaskName: "a", ServiceAccountName: "sa"}}
	pr.Labels = map[string]string{"x": "y"}
	if e := Run(pr, nil); e.Sent != Size(pr) {
		t.Errorf("spec with taskRunSpecs: sent %d, JSON is %d bytes", e.Sent, Size(pr))
	}
	ref := &v1.PipelineRun{}
	ref.Name = "p-abcde"
	ref.Spec.PipelineRef = &v1.PipelineRef{Name: "p-1234abcd"}
	if e := Run(ref, pr.Spec.PipelineSpec); e.Sent != Size(ref) || e.Stored < e.Sent+Size(pr.Spec.PipelineSpec) {
		t.Errorf("referenced: %+v", e)
	}
}

// Over names the steps over a limit, with their pod settings counted.
func TestOver(t *testing.T) {
	pr := &v1.PipelineRun{}
	pr.GenerateName = "p-"
	pr.Spec.PipelineSpec = &v1.PipelineSpec{}
	for i, n := range []int{1000, 50000, 1000} {
		pr.Spec.PipelineSpec.Tasks = append(pr.Spec.PipelineSpec.Tasks, v1.PipelineTask{Name: string(rune('a' + i)), TaskSpec: &v1.EmbeddedTask{TaskSpec: v1.TaskSpec{Steps: []v1.Step{{Script: strings.Repeat("x", n)}}}}})
	}
	pr.Spec.TaskRunSpecs = []v1.PipelineTaskRunSpec{{PipelineTaskName: "c", ServiceAccountName: strings.Repeat("s", 60000)}}
	e := Run(pr, nil)
	var names []string
	for _, s := range e.Over(40000, true) {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != "b,c" {
		t.Errorf("over 40000 bytes: %v, want b (its script) and c (its pod settings)", names)
	}
	if len(e.Over(200000, false)) != 0 {
		t.Errorf("nothing is over 200000 bytes: %+v", e.Over(200000, false))
	}
}
