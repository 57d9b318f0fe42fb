package util

import (
	"context"
	"strings"
	"testing"
	"time"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tektonfake "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"

	"github.com/mlpipe/kubectl-mlpipe/pkg/liveview"

	"github.com/mlpipe/kubectl-mlpipe/pkg/testio"
)

type syncBuffer = testio.SyncBuffer

func runningRun() *v1.PipelineRun {
	pr := &v1.PipelineRun{
		ObjectMeta: metav1.ObjectMeta{Name: "hello-abcde", Namespace: "ml"},
		Spec:       v1.PipelineRunSpec{PipelineSpec: &v1.PipelineSpec{Tasks: []v1.PipelineTask{{Name: "say"}}}},
	}
	pr.Status.Status = duckv1.Status{Conditions: duckv1.Conditions{{Type: apis.ConditionSucceeded, Status: corev1.ConditionUnknown, Reason: "Running"}}}
	now := metav1.Now()
	pr.Status.StartTime = &now
	return pr
}

func TestWaitExitCodes(t *testing.T) {
	for _, c := range []struct {
		name     string
		end      func(pr *v1.PipelineRun) // nil: the run never ends
		timeout  time.Duration
		cancel   bool
		wantCode int
		wantErr  string
	}{
		{name: "succeeded", end: finish(corev1.ConditionTrue, "Succeeded"), wantCode: ExitOK},
		{name: "failed", end: finish(corev1.ConditionFalse, "Failed"), wantCode: ExitFailure, wantErr: "run hello-abcde failed"},
		{name: "cancelled", end: finish(corev1.ConditionFalse, "Cancelled"), wantCode: ExitTimeout, wantErr: "was cancelled"},
		{name: "timeout", timeout: 300 * time.Millisecond, wantCode: ExitTimeout, wantErr: "timed out after 300ms waiting for run hello-abcde (Running, 0/1 steps done)"},
		{name: "ctrl-c", cancel: true, wantCode: ExitInterrupted, wantErr: "the run goes on; follow it again with 'kubectl mlpipe describe hello-abcde -n ml -w'"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tc := tektonfake.NewSimpleClientset(runningRun())
			clients := &Clients{Tekton: tc, Kube: kubefake.NewClientset(), Namespace: "ml"}
			out := &syncBuffer{}
			view := &liveview.View{W: out, Now: time.Now}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			errc := make(chan error, 1)
			go func() {
				_, err := Wait(ctx, clients, "hello-abcde", view, c.timeout)
				errc <- err
			}()
			// The informers have listed once the first view is printed ("say" waits: nothing
			// printed), so give them a moment, then end the run the way the case says.
			time.Sleep(200 * time.Millisecond)
			if c.end != nil {
				pr, _ := tc.TektonV1().PipelineRuns("ml").Get(ctx, "hello-abcde", metav1.GetOptions{})
				c.end(pr)
				if _, err := tc.TektonV1().PipelineRuns("ml").UpdateStatus(ctx, pr, metav1.UpdateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			if c.cancel {
				cancel()
			}
			var err error
			select {
			case err = <-errc:
			case <-time.After(30 * time.Second):
				t.Fatal("Wait did not return")
			}
			if got := Code(err); got != c.wantCode {
				t.Fatalf("exit %d (%v), want %d", got, err, c.wantCode)
			}
			if c.wantErr != "" && !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("error %q lacks %q", err, c.wantErr)
			}
			if c.end != nil && !strings.Contains(out.String(), "hello-abcde "+map[int]string{0: "Succeeded", 1: "Failed", 3: "Cancelled"}[c.wantCode]) {
				t.Errorf("the view did not show the end:\n%s", out.String())
			}
		})
	}
}

func finish(s corev1.ConditionStatus, reason string) func(*v1.PipelineRun) {
	return func(pr *v1.PipelineRun) {
		pr.Status.Status = duckv1.Status{Conditions: duckv1.Conditions{{Type: apis.ConditionSucceeded, Status: s, Reason: reason, Message: "Tasks Completed: 1"}}}
		now := metav1.Now()
		pr.Status.CompletionTime = &now
	}
}
