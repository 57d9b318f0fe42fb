package run

import (
	"context"
	"strings"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tektonfake "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	k8stesting "k8s.io/client-go/testing"
)

func run(hash string) *v1.PipelineRun {
	return &v1.PipelineRun{ObjectMeta: metav1.ObjectMeta{Name: "hello-abcde", Namespace: "ml", Annotations: map[string]string{"mlpipe.dev/spec-sha256": hash}}}
}

func TestCreateSendsDryRunAndFieldManager(t *testing.T) {
	for _, c := range []struct {
		dryRun string
		want   []string
	}{{DryRunNone, nil}, {DryRunServer, []string{metav1.DryRunAll}}} {
		tc := tektonfake.NewSimpleClientset()
		var seen metav1.CreateOptions
		tc.PrependReactor("create", "pipelineruns", func(a k8stesting.Action) (bool, runtime.Object, error) {
			seen = a.(k8stesting.CreateActionImpl).CreateOptions
			return false, nil, nil
		})
		o := &Options{ns: "ml", DryRun: c.dryRun, FieldManager: "kubectl-mlpipe"}
		if _, err := o.create(context.Background(), tc, run("h")); err != nil {
			t.Fatal(err)
		}
		if seen.FieldManager != "kubectl-mlpipe" || strings.Join(seen.DryRun, ",") != strings.Join(c.want, ",") {
			t.Errorf("dry-run %s: sent %+v", c.dryRun, seen)
		}
		if n := len(tc.Actions()); n != 1 {
			t.Errorf("dry-run %s: %d API calls, want exactly one write", c.dryRun, n)
		}
	}
}

// A create retried after a lost response meets AlreadyExists: the run with
// our name and spec hash is ours, not a reason to fail or to start another.
func TestCreateRetryFindsItsOwnRun(t *testing.T) {
	tc := tektonfake.NewSimpleClientset(run("same"))
	o := &Options{ns: "ml", DryRun: DryRunNone}
	got, err := o.create(context.Background(), tc, run("same"))
	if err != nil || got.Name != "hello-abcde" {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := o.create(context.Background(), tc, run("other")); !apierrors.IsAlreadyExists(err) {
		t.Fatalf("a different run under the same name must not be taken as ours: %v", err)
	}
}

func TestCreateForbiddenNamesVerbResourceNamespace(t *testing.T) {
	tc := tektonfake.NewSimpleClientset()
	tc.PrependReactor("create", "pipelineruns", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "tekton.dev", Resource: "pipelineruns"}, "hello-abcde", nil)
	})
	o := &Options{ns: "ml"}
	_, err := o.create(context.Background(), tc, run("h"))
	if err == nil || !strings.Contains(err.Error(), `may not create pipelineruns.tekton.dev in namespace "ml"`) {
		t.Fatalf("got %v", err)
	}
}

func TestCheckTekton(t *testing.T) {
	o := &Options{context: "prod"}
	dc := &fakediscovery.FakeDiscovery{Fake: &k8stesting.Fake{}}
	err := o.checkTekton(dc)
	if err == nil || !strings.Contains(err.Error(), `Tekton Pipelines (tekton.dev/v1) is not installed in context "prod"`) {
		t.Fatalf("got %v", err)
	}
	dc.Resources = []*metav1.APIResourceList{{GroupVersion: "tekton.dev/v1", APIResources: []metav1.APIResource{{Name: "pipelineruns"}}}}
	if err := o.checkTekton(dc); err != nil {
		t.Fatal(err)
	}
}
