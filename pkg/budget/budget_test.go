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
	steps := Steps(pr, false)
	ref := Steps(pr, true)
	if len(steps) != 10 || steps[1].Stored-ref[1].Stored < 1000 {
		t.Errorf("embedded TaskRuns hold the task spec twice: %+v vs %+v", steps[1], ref[1])
	}
}

func TestHuman(t *testing.T) {
	for n, want := range map[int]string{512: "512 B", 2048: "2 KiB", 1536 * 1024: "1.5 MiB"} {
		if got := Human(n); got != want {
			t.Errorf("Human(%d) = %q, want %q", n, got, want)
		}
	}
}
