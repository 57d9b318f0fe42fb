package tektonclient

//lint:file-ignore SA1019 clusters that serve only tekton.dev/v1beta1 are what this file is for

import (
	"context"
	"testing"
	"time"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/apis/pipeline/v1beta1"
	tektonfake "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	fakediscovery "k8s.io/client-go/discovery/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// noV1 makes the fake answer every v1 request as Tekton before v0.44 does.
func noV1(tc *tektonfake.Clientset) {
	tc.PrependReactor("*", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetResource().Version != "v1" {
			return false, nil, nil
		}
		return true, nil, apierrors.NewGenericServerResponse(404, a.GetVerb(), schema.GroupResource{Group: "tekton.dev", Resource: a.GetResource().Resource}, "", "", 0, false)
	})
}

func TestAutoFallsBackToV1beta1Once(t *testing.T) {
	ctx := context.Background()
	old := &v1beta1.PipelineRun{
		ObjectMeta: metav1.ObjectMeta{Name: "train-abcde", Namespace: "ml", Labels: map[string]string{"mlpipe.dev/pipeline": "train"}},
		Spec:       v1beta1.PipelineRunSpec{ServiceAccountName: "ml-runner", Status: v1beta1.PipelineRunSpecStatusCancelled},
	}
	tr := &v1beta1.TaskRun{ObjectMeta: metav1.ObjectMeta{Name: "train-abcde-fit", Namespace: "ml", Labels: map[string]string{"tekton.dev/pipelineRun": "train-abcde"}}}
	fake := tektonfake.NewSimpleClientset(old, tr)
	noV1(fake)
	c := New(fake, Auto)

	got, err := c.TektonV1().PipelineRuns("ml").Get(ctx, "train-abcde", metav1.GetOptions{})
	if err != nil || got.Spec.TaskRunTemplate.ServiceAccountName != "ml-runner" || got.Spec.Status != v1.PipelineRunSpecStatusCancelled {
		t.Fatalf("got %+v, %v", got, err)
	}
	if c.Mode() != V1beta1 {
		t.Fatal("the first miss must switch the clientset to v1beta1")
	}
	n := len(fake.Actions())
	list, err := c.TektonV1().TaskRuns("ml").List(ctx, metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=train-abcde"})
	if err != nil || len(list.Items) != 1 || list.Items[0].Name != "train-abcde-fit" {
		t.Fatalf("got %+v, %v", list, err)
	}
	if len(fake.Actions()) != n+1 {
		t.Fatal("after the switch, one request per call")
	}
	if _, err := c.TektonV1().PipelineRuns("ml").Get(ctx, "missing", metav1.GetOptions{}); !apierrors.IsNotFound(err) || Missing(err) {
		t.Fatalf("an object that is not there is NotFound, not a missing API: %v", err)
	}
	patched, err := c.TektonV1().PipelineRuns("ml").Patch(ctx, "train-abcde", types.MergePatchType, []byte(`{"metadata":{"labels":{"x":"y"}}}`), metav1.PatchOptions{})
	if err != nil || patched.Labels["x"] != "y" {
		t.Fatalf("got %+v, %v", patched, err)
	}
	created, err := c.TektonV1().PipelineRuns("ml").Create(ctx, &v1.PipelineRun{ObjectMeta: metav1.ObjectMeta{Name: "new-abcde"}, Spec: v1.PipelineRunSpec{TaskRunTemplate: v1.PipelineTaskRunTemplate{ServiceAccountName: "sa"}}}, metav1.CreateOptions{})
	if err != nil || created.Spec.TaskRunTemplate.ServiceAccountName != "sa" {
		t.Fatalf("got %+v, %v", created, err)
	}
	stored, _ := fake.TektonV1beta1().PipelineRuns("ml").Get(ctx, "new-abcde", metav1.GetOptions{})
	if stored.Spec.ServiceAccountName != "sa" {
		t.Fatalf("stored %+v", stored.Spec)
	}

	w, err := c.TektonV1().PipelineRuns("ml").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	go func() {
		_, _ = fake.TektonV1beta1().PipelineRuns("ml").Create(ctx, &v1beta1.PipelineRun{ObjectMeta: metav1.ObjectMeta{Name: "watched-abcde", Namespace: "ml"}}, metav1.CreateOptions{})
	}()
	for seen := false; !seen; {
		select {
		case e := <-w.ResultChan():
			pr, ok := e.Object.(*v1.PipelineRun)
			if !ok {
				t.Fatalf("watch gave a %T", e.Object)
			}
			seen = pr.Name == "watched-abcde"
		case <-time.After(5 * time.Second):
			t.Fatal("no watch event for the new run")
		}
	}
}

// On a v1 cluster nothing is converted and no request is spent finding out.
func TestAutoOnV1Cluster(t *testing.T) {
	fake := tektonfake.NewSimpleClientset(&v1.PipelineRun{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "ml"}})
	c := New(fake, Auto)
	if _, err := c.TektonV1().PipelineRuns("ml").Get(context.Background(), "a", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(fake.Actions()) != 1 || c.Mode() != Auto {
		t.Fatalf("%d requests, mode %v", len(fake.Actions()), c.Mode())
	}
}

func TestDetect(t *testing.T) {
	ctx := context.Background()
	dc := &fakediscovery.FakeDiscovery{Fake: &k8stesting.Fake{Resources: []*metav1.APIResourceList{
		{GroupVersion: "tekton.dev/v1beta1", APIResources: []metav1.APIResource{{Name: "pipelineruns"}}},
	}}}
	kube := kubefake.NewSimpleClientset(
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "pipelines-info", Namespace: Namespace}, Data: map[string]string{"version": "v0.38.3"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "feature-flags", Namespace: Namespace}, Data: map[string]string{"enable-api-fields": "alpha"}},
	)
	tg, err := Detect(ctx, dc, kube)
	if err != nil || tg.API != "tekton.dev/v1beta1" || tg.Release.String() != "v0.38.3" || tg.Assumed != "" || tg.APIFields() != "alpha" || tg.Source == "" {
		t.Fatalf("got %+v, %v", tg, err)
	}
	// No pipelines-info: the release comes from the controller's label.
	kube = kubefake.NewSimpleClientset()
	tg, err = Detect(ctx, dc, kube)
	if err != nil || tg.Assumed == "" || tg.Release.String() != "v0.38.3" {
		t.Fatalf("got %+v, %v", tg, err)
	}
	if _, err := Detect(ctx, &fakediscovery.FakeDiscovery{Fake: &k8stesting.Fake{}}, kube); err == nil {
		t.Fatal("no Tekton: want an error")
	}
}
