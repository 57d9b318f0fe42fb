package run

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	tektonfake "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"
)

func init() { retryDelay = func(int) time.Duration { return time.Millisecond } }

// The apiserver stores the run but its answer is lost: the create is sent
// again, meets AlreadyExists for our own run, and takes it. One run.
func TestCreateAfterALostAnswerMakesOneRun(t *testing.T) {
	tc := tektonfake.NewSimpleClientset()
	posts := 0
	tc.PrependReactor("create", "pipelineruns", func(a k8stesting.Action) (bool, runtime.Object, error) {
		posts++
		if posts == 1 {
			obj := a.(k8stesting.CreateAction).GetObject()
			if err := tc.Tracker().Create(a.GetResource(), obj, a.GetNamespace()); err != nil {
				t.Fatal(err)
			}
			return true, nil, io.ErrUnexpectedEOF
		}
		return false, nil, nil
	})
	var errOut bytes.Buffer
	o := &Options{ns: "ml", DryRun: DryRunNone}
	o.ErrOut = &errOut
	got, err := o.create(context.Background(), tc, run("h"))
	if err != nil || got.Name != "hello-abcde" {
		t.Fatalf("got %v, %v", got, err)
	}
	if posts != 2 || !strings.Contains(errOut.String(), "sending it again (1/3)") {
		t.Errorf("%d creates sent, stderr %q", posts, errOut.String())
	}
	list, _ := tc.TektonV1().PipelineRuns("ml").List(context.Background(), metav1.ListOptions{})
	if len(list.Items) != 1 {
		t.Errorf("%d runs stored, want 1", len(list.Items))
	}
}

func TestCreateRetriesOnlyTransientErrors(t *testing.T) {
	invalid := apierrors.NewInvalid(schema.GroupKind{Group: "tekton.dev", Kind: "PipelineRun"}, "hello-abcde", nil)
	unavailable := apierrors.NewServiceUnavailable("apiserver is starting")
	for _, c := range []struct {
		name  string
		err   error
		sends int
	}{
		{"invalid: answered, not retried", invalid, 1},
		{"unavailable: retried to the limit", unavailable, createAttempts},
		{"connection reset: retried to the limit", io.EOF, createAttempts},
	} {
		t.Run(c.name, func(t *testing.T) {
			tc := tektonfake.NewSimpleClientset()
			sends := 0
			tc.PrependReactor("create", "pipelineruns", func(k8stesting.Action) (bool, runtime.Object, error) {
				sends++
				return true, nil, c.err
			})
			o := &Options{ns: "ml", DryRun: DryRunNone}
			if _, err := o.create(context.Background(), tc, run("h")); err == nil {
				t.Fatal("want the error")
			}
			if sends != c.sends {
				t.Errorf("%d creates sent, want %d", sends, c.sends)
			}
		})
	}
}
