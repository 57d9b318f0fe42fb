package run

import (
	"errors"
	"strings"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tektonfake "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	rendertekton "github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
)

const sweepSpec = `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: sweep}
spec:
  image: busybox:1.36
  steps:
    - {name: a, command: [train, --lr, $(params.lr)], matrix: {lr: ["0.1", "0.2", "0.3"]}}
    - {name: b, command: [report], after: [a]}
  params: [{name: lr, default: "0.1"}]
`

// creates lists what was created, kind and name, in order.
func creates(tc *tektonfake.Clientset) []string {
	var out []string
	for _, a := range tc.Actions() {
		if ca, ok := a.(k8stesting.CreateAction); ok {
			name := ""
			switch ca.GetObject().(type) {
			case *v1.Task:
				name = "task"
			case *v1.Pipeline:
				name = "pipeline"
			case *v1.PipelineRun:
				name = "pipelinerun"
			}
			out = append(out, name)
		}
	}
	return out
}

// Referenced mode writes Tasks, then the Pipeline, then the run; a second
// run of the same spec writes only its run; a server dry run sends every
// write with dryRun=All; stdout is the run alone.
func TestReferencedModeWritesInOrderAndReuses(t *testing.T) {
	tc := tektonfake.NewSimpleClientset()
	out, err := runCmd(t, sweepSpec, withTekton(tc), "--mode", "referenced", "-o", "name")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "pipelinerun.tekton.dev/sweep-") || strings.Count(out, "\n") != 1 {
		t.Errorf("stdout %q: want the run's name alone", out)
	}
	got := strings.Join(creates(tc), ",")
	if got != "task,task,pipeline,pipelinerun" {
		t.Fatalf("writes %s, want two Tasks (a's instances share one), the Pipeline, then the run", got)
	}
	runs, _ := tc.TektonV1().PipelineRuns("ml").List(t.Context(), metav1.ListOptions{})
	pr := runs.Items[0]
	if !rendertekton.IsReferenced(&pr) {
		t.Fatalf("the run embeds its pipeline: %+v", pr.Spec)
	}
	tc.ClearActions()
	if _, err := runCmd(t, sweepSpec, withTekton(tc), "--mode", "referenced"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(creates(tc), ","); got != "pipelinerun" {
		t.Errorf("second run wrote %s, want only its run", got)
	}

	dry := tektonfake.NewSimpleClientset()
	var modes []string
	dry.PrependReactor("create", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		modes = append(modes, a.GetResource().Resource+"="+strings.Join(a.(k8stesting.CreateActionImpl).CreateOptions.DryRun, ""))
		return false, nil, nil
	})
	if _, err := runCmd(t, sweepSpec, withTekton(dry), "--mode", "referenced", "--dry-run=server"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(modes, " "); got != "tasks=All tasks=All pipelines=All pipelineruns=All" {
		t.Errorf("server dry run sent %s", got)
	}
}

// A Task of the same name with other content is refused, and the run is
// not created.
func TestReferencedModeRefusesACollision(t *testing.T) {
	tc := tektonfake.NewSimpleClientset()
	if _, err := runCmd(t, sweepSpec, withTekton(tc), "--mode", "referenced"); err != nil {
		t.Fatal(err)
	}
	tasks, _ := tc.TektonV1().Tasks("ml").List(t.Context(), metav1.ListOptions{})
	other := tasks.Items[0].DeepCopy()
	other.Annotations[rendertekton.AnnotationContent] = strings.Repeat("0", 64)
	if _, err := tc.TektonV1().Tasks("ml").Update(t.Context(), other, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	tc.ClearActions()
	_, err := runCmd(t, sweepSpec, withTekton(tc), "--mode", "referenced")
	if util.Code(err) != util.ExitFailure || !strings.Contains(err.Error(), "has other content") || !strings.Contains(err.Error(), other.Name) {
		t.Fatalf("got %v", err)
	}
	if got := creates(tc); len(got) != 0 {
		t.Errorf("wrote %v after the collision", got)
	}
	if _, err := runCmd(t, sweepSpec, withTekton(tc), "--mode", "inline"); util.Code(err) != util.ExitInvalid {
		t.Errorf("--mode inline: %v", err)
	}
}

// The apiserver giving up on Tekton's webhook is said plainly, with the
// object's size and what to do.
func TestWebhookTimeoutIsExplained(t *testing.T) {
	tc := tektonfake.NewSimpleClientset()
	tc.PrependReactor("create", "pipelineruns", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New(`Internal error occurred: failed calling webhook "validation.webhook.pipeline.tekton.dev": failed to call webhook: Post "https://tekton-pipelines-webhook.tekton-pipelines.svc:443/resource-validation?timeout=10s": context deadline exceeded`)
	})
	_, err := runCmd(t, sweepSpec, withTekton(tc))
	if err == nil || !strings.Contains(err.Error(), "Tekton's webhook did not answer in time while validating the ") || !strings.Contains(err.Error(), "--mode referenced") {
		t.Fatalf("got %v", err)
	}
}

// A write that fails part-way leaves only content-named Tasks, and the next
// run writes only what is missing.
func TestReferencedModeResumesAfterAFailedWrite(t *testing.T) {
	tc := tektonfake.NewSimpleClientset()
	fail := true
	tc.PrependReactor("create", "pipelines", func(k8stesting.Action) (bool, runtime.Object, error) {
		if fail {
			return true, nil, errors.New("the apiserver is gone")
		}
		return false, nil, nil
	})
	if _, err := runCmd(t, sweepSpec, withTekton(tc), "--mode", "referenced"); err == nil {
		t.Fatal("the run was created without its Pipeline")
	}
	if got := strings.Join(creates(tc), ","); got != "task,task,pipeline" {
		t.Fatalf("writes %s", got)
	}
	runs, _ := tc.TektonV1().PipelineRuns("ml").List(t.Context(), metav1.ListOptions{})
	if len(runs.Items) != 0 {
		t.Fatal("a run was stored")
	}
	fail = false
	tc.ClearActions()
	if _, err := runCmd(t, sweepSpec, withTekton(tc), "--mode", "referenced"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(creates(tc), ","); got != "pipeline,pipelinerun" {
		t.Errorf("the second attempt wrote %s, want only the Pipeline and the run", got)
	}
}
