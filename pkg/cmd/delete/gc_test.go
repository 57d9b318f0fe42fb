package delete

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tektonfake "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	k8stesting "k8s.io/client-go/testing"
)

func labelled(age time.Duration) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: "ml", CreationTimestamp: metav1.NewTime(t0.Add(-age)),
		Labels: map[string]string{"mlpipe.dev/pipeline": "train", "app.kubernetes.io/managed-by": "kubectl-mlpipe"}}
}

func pipelineOf(name string, age time.Duration, tasks ...string) *v1.Pipeline {
	p := &v1.Pipeline{ObjectMeta: labelled(age)}
	p.Name = name
	for _, t := range tasks {
		p.Spec.Tasks = append(p.Spec.Tasks, v1.PipelineTask{Name: "s-" + t, TaskRef: &v1.TaskRef{Name: t}})
	}
	return p
}

func taskOf(name string, age time.Duration) *v1.Task {
	t := &v1.Task{ObjectMeta: labelled(age)}
	t.Name = name
	return t
}

func names(t *testing.T, tc *tektonfake.Clientset) string {
	t.Helper()
	ps, _ := tc.TektonV1().Pipelines("ml").List(context.Background(), metav1.ListOptions{})
	ts, _ := tc.TektonV1().Tasks("ml").List(context.Background(), metav1.ListOptions{})
	var out []string
	for _, p := range ps.Items {
		out = append(out, "pipeline/"+p.Name)
	}
	for _, tk := range ts.Items {
		out = append(out, "task/"+tk.Name)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// Deleting runs sweeps the Pipelines no remaining run names, and the Tasks
// no remaining Pipeline names; a shared Task, and anything younger than
// --gc-grace, stays.
func TestDeleteSweepsUnusedPipelinesAndTasks(t *testing.T) {
	ref := func(name, pipeline string, age int) *v1.PipelineRun {
		pr := run(name, "train", age, corev1.ConditionTrue, "ds")
		pr.Spec.PipelineRef = &v1.PipelineRef{Name: pipeline}
		return pr
	}
	objs := []runtime.Object{
		ref("train-a", "train-p1", 30), ref("train-b", "train-p2", 20),
		pipelineOf("train-p1", time.Hour, "train-t1", "train-shared"),
		pipelineOf("train-p2", time.Hour, "train-t2", "train-shared"),
		pipelineOf("train-fresh", 10*time.Second, "train-t3"),
		taskOf("train-t1", time.Hour), taskOf("train-t2", time.Hour), taskOf("train-shared", time.Hour),
		taskOf("train-t3", 10*time.Second), taskOf("train-orphan", time.Hour),
	}
	tc := tektonfake.NewSimpleClientset(objs...)
	var out bytes.Buffer
	o := &Options{IOStreams: genericiooptions.IOStreams{Out: &out, ErrOut: &bytes.Buffer{}}, GCGrace: time.Minute}
	if err := o.sweep(context.Background(), tc, "ml", map[string]bool{"train-a": true}, t0); err != nil {
		t.Fatal(err)
	}
	// train-a is deleted (as far as the sweep knows): p1 and t1 go, with the
	// orphan; p2 is used, train-fresh is young, and their Tasks stay.
	want := "pipeline/train-fresh pipeline/train-p2 task/train-shared task/train-t2 task/train-t3"
	if got := names(t, tc); got != want {
		t.Errorf("left %s\nwant %s", got, want)
	}
	for _, line := range []string{"pipeline.tekton.dev/train-p1 deleted", "task.tekton.dev/train-orphan deleted", "task.tekton.dev/train-t1 deleted"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("stdout lacks %q:\n%s", line, out.String())
		}
	}

	// A client dry run deletes nothing and says what it would.
	tc = tektonfake.NewSimpleClientset(objs...)
	out.Reset()
	o.DryRun = "client"
	if err := o.sweep(context.Background(), tc, "ml", map[string]bool{"train-a": true, "train-b": true}, t0); err != nil {
		t.Fatal(err)
	}
	if got := names(t, tc); strings.Count(got, " ")+1 != 8 || !strings.Contains(out.String(), "pipeline.tekton.dev/train-p2 deleted (dry run)") {
		t.Errorf("dry run: left %s; said\n%s", got, out.String())
	}
}

// Many runs are deleted in parallel batches: every deleted run is printed,
// in order, with a progress line; a failure stops the rest and still names
// what was deleted.
func TestDeleteManyInBatches(t *testing.T) {
	var objs []runtime.Object
	for i := 0; i < 120; i++ {
		objs = append(objs, run(fmt.Sprintf("train-%03d", i), "train", i, corev1.ConditionTrue, "ds"))
	}
	tc := tektonfake.NewSimpleClientset(objs...)
	var out, errOut bytes.Buffer
	o := &Options{IOStreams: genericiooptions.IOStreams{Out: &out, ErrOut: &errOut}, DryRun: "none"}
	names := make([]string, 120)
	for i := range names {
		names[i] = fmt.Sprintf("train-%03d", i)
	}
	if err := o.deleteAll(context.Background(), tc.TektonV1().PipelineRuns("ml"), names, ""); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 120 || lines[0] != "pipelinerun.tekton.dev/train-000 deleted" || lines[119] != "pipelinerun.tekton.dev/train-119 deleted" {
		t.Errorf("%d lines, first %q, last %q", len(lines), lines[0], lines[len(lines)-1])
	}
	if !strings.Contains(errOut.String(), "deleted 120/120 runs") {
		t.Errorf("no progress line: %q", errOut.String())
	}
	if left, _ := tc.TektonV1().PipelineRuns("ml").List(context.Background(), metav1.ListOptions{}); len(left.Items) != 0 {
		t.Errorf("%d runs left", len(left.Items))
	}

	tc = tektonfake.NewSimpleClientset(objs...)
	tc.PrependReactor("delete", "pipelineruns", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.(k8stesting.DeleteAction).GetName() == "train-050" {
			return true, nil, errors.New("etcd is unhappy")
		}
		return false, nil, nil
	})
	out.Reset()
	err := o.deleteAll(context.Background(), tc.TektonV1().PipelineRuns("ml"), names, "")
	if err == nil || !strings.Contains(err.Error(), "deleting run train-050: etcd is unhappy") {
		t.Fatalf("got %v", err)
	}
	left, _ := tc.TektonV1().PipelineRuns("ml").List(context.Background(), metav1.ListOptions{})
	if said := strings.Count(out.String(), " deleted"); said != 120-len(left.Items) {
		t.Errorf("%d deletes said, %d done", said, 120-len(left.Items))
	}
}
