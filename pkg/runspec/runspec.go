// Package runspec reads the pipeline of a run that names a Pipeline
// (referenced mode), so that readers see it as they see an embedded run.
package runspec

import (
	"context"
	"fmt"
	"sync"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	rendertekton "github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
)

// Inliner shows a run that names a Pipeline (referenced mode) as readers
// see an embedded one: the Pipeline's spec in spec.pipelineSpec with each
// Task's spec in place. Pipelines are named by content, so each is read
// once per Inliner (a GET, and one labelled LIST for its Tasks) however
// often the run changes.
type Inliner struct {
	tc tekton.Interface
	mu sync.Mutex
	// done holds each Pipeline read, with its Tasks, by namespace/name.
	done map[string]*inlined
}

type inlined struct {
	pipeline *v1.Pipeline
	tasks    map[string]*v1.Task
}

// NewInliner returns an Inliner reading with tc.
func NewInliner(tc tekton.Interface) *Inliner {
	return &Inliner{tc: tc, done: map[string]*inlined{}}
}

// Inline returns pr with its pipeline embedded. A run that embeds its
// pipeline already, or names a Pipeline by a resolver, is returned as is.
func (in *Inliner) Inline(ctx context.Context, pr *v1.PipelineRun) (*v1.PipelineRun, error) {
	if !rendertekton.IsReferenced(pr) || pr.Spec.PipelineRef.Resolver != "" {
		return pr, nil
	}
	key := pr.Namespace + "/" + pr.Spec.PipelineRef.Name
	in.mu.Lock()
	got := in.done[key]
	in.mu.Unlock()
	if got == nil {
		var err error
		if got, err = in.read(ctx, pr); err != nil {
			return nil, err
		}
		in.mu.Lock()
		in.done[key] = got
		in.mu.Unlock()
	}
	return rendertekton.Inline(pr, got.pipeline, got.tasks)
}

func (in *Inliner) read(ctx context.Context, pr *v1.PipelineRun) (*inlined, error) {
	ns, name := pr.Namespace, pr.Spec.PipelineRef.Name
	p, err := in.tc.TektonV1().Pipelines(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("run %s refers to Pipeline %s, which is not in namespace %q (deleted?)", pr.Name, name, ns)
	}
	if err != nil {
		return nil, err
	}
	got := &inlined{pipeline: p, tasks: map[string]*v1.Task{}}
	names := rendertekton.TaskNames(p)
	if len(names) == 0 {
		return got, nil
	}
	list, err := in.tc.TektonV1().Tasks(ns).List(ctx, metav1.ListOptions{LabelSelector: rendertekton.LabelManagedBy + "=" + rendertekton.ManagedBy + "," + rendertekton.LabelPipeline + "=" + p.Labels[rendertekton.LabelPipeline]})
	if err != nil {
		return nil, err
	}
	for i := range list.Items {
		got.tasks[list.Items[i].Name] = &list.Items[i]
	}
	// A Task someone else made, or relabelled, is read by name.
	for _, n := range names {
		if got.tasks[n] != nil {
			continue
		}
		t, err := in.tc.TektonV1().Tasks(ns).Get(ctx, n, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue // Inline names it
		}
		if err != nil {
			return nil, err
		}
		got.tasks[n] = t
	}
	return got, nil
}

// Run is Inline with a one-off Inliner, for commands that read one run.
func Run(ctx context.Context, tc tekton.Interface, pr *v1.PipelineRun) (*v1.PipelineRun, error) {
	return NewInliner(tc).Inline(ctx, pr)
}
